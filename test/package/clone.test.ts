// A fresh clone, as a contributor or a git install gets it (issue #20): `npm install` builds
// dist/ through `prepare`, leaves `git status` clean (the lock file unchanged, build output
// ignored), and `npx websession secret` works right away.
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { ROOT, run } from "./tarball.ts";

const CLONE = join(ROOT, ".tmp", "clone-test");

beforeAll(() => {
  rmSync(CLONE, { recursive: true, force: true });
  run("git", ["clone", "--quiet", "--no-hardlinks", ROOT, CLONE], ROOT);
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], CLONE, { TMPDIR: join(ROOT, ".tmp") });
}, 600_000);

test("npm install built dist/ through prepare", () => {
  for (const file of ["dist/src/index.js", "dist/src/index.d.ts", "dist/adapters/hono.js", "dist/bin/websession.js"])
    expect(existsSync(join(CLONE, file)), file).toBe(true);
});

test("the built CLI is executable, so npx can run it after any rebuild", () => {
  // npx links the project's bin (and makes it executable) only the first time it sees the
  // project; `npm run build` recreates dist/, so the build itself must set the mode.
  expect(statSync(join(CLONE, "dist/bin/websession.js")).mode & 0o111).toBe(0o111);
});

test("npm install leaves git status clean: the lock file is unchanged and the build output ignored", () => {
  expect(run("git", ["status", "--porcelain", "--untracked-files=all"], CLONE)).toBe("");
});

test("npx websession secret works in the clone", () => {
  expect(run("npx", ["websession", "secret"], CLONE)).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
}, 60_000);
