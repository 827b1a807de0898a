// The published package as a user gets it: `npm pack`, installed into a fresh project, imported
// from Node, Deno and Bun for every subpath, the CLI run through npx; publint and
// @arethetypeswrong/cli report no problems.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { BIN, ROOT, pack, run } from "./tarball.ts";

const WORK = join(ROOT, ".tmp", "pack-test");
let tarball: string;

// Imports every subpath and runs one session round trip through the installed package.
const SMOKE = `
import { createSessions, generateSecret, memoryStore, SessionError } from "websession";
import { Markup, PyFloat, Tuple, UUID } from "websession/flask";
import { session } from "websession/hono";
import { withSession as workers } from "websession/workers";
import { withSession as deno } from "websession/deno";
import { withSession as bun } from "websession/bun";
import { redisStore } from "websession/redis";
import { kvStore } from "websession/kv";
import { postgresStore } from "websession/postgres";
import { durableObjectStore, SessionDurableObject } from "websession/durable-object";
import { d1Store } from "websession/d1";
import { denoKvStore } from "websession/deno-kv";
for (const f of [createSessions, generateSecret, memoryStore, session, workers, deno, bun, redisStore, kvStore, postgresStore, durableObjectStore, SessionDurableObject, d1Store, denoKvStore]) {
  if (typeof f !== "function") throw new Error("a missing export");
}
if (!(new SessionError("weak_secret", "x") instanceof Error) || !(new Tuple(1) instanceof Array)) throw new Error("classes");
if (new UUID("{12345678-1234-5678-1234-567812345678}").hex !== "12345678123456781234567812345678" || new Markup("<b>").html !== "<b>" || new PyFloat(2).value !== 2) throw new Error("websession/flask");
const sessions = createSessions({ secret: generateSecret() });
const set = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(new Request("https://x.example/"));
const cookie = set.headers.getSetCookie()[0].split(";")[0];
let user;
await sessions.handle((_r, s) => ((user = s.get("user")), new Response("ok")))(new Request("https://x.example/", { headers: { cookie } }));
console.log(JSON.stringify({ user }));
`;

beforeAll(() => {
  tarball = pack(WORK);
  mkdirSync(join(WORK, "app"), { recursive: true });
  writeFileSync(join(WORK, "app", "package.json"), JSON.stringify({ name: "fresh-app", private: true, type: "module" }));
  writeFileSync(join(WORK, "app", "smoke.mjs"), SMOKE);
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, "hono"], join(WORK, "app"));
}, 240_000);

test("the tarball holds only what users need", () => {
  const files = run("tar", ["-tzf", tarball], WORK)
    .trim()
    .split("\n")
    .map((f) => f.replace(/^package\//, ""));
  for (const file of files) expect(file, file).toMatch(/^(dist\/(src|adapters|bin)\/.+\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/);
  expect(files).toContain("dist/bin/websession.js");
  expect(files.some((f) => f.startsWith("dist/test") || f.includes(".test."))).toBe(false);
});

test("every subpath imports and works on Node", () => {
  expect(JSON.parse(run(process.execPath, ["smoke.mjs"], join(WORK, "app")))).toEqual({ user: "ada" });
});

test("every subpath imports and works on Deno (from node_modules)", () => {
  const out = run(join(BIN, "deno"), ["run", "--no-lock", "--allow-read", "--allow-env", "smoke.mjs"], join(WORK, "app"));
  expect(JSON.parse(out)).toEqual({ user: "ada" });
});

test("every subpath imports and works on Bun", () => {
  expect(JSON.parse(run(join(BIN, "bun"), ["smoke.mjs"], join(WORK, "app")))).toEqual({ user: "ada" });
});

test("the CLI runs from the installed package", () => {
  expect(run("npx", ["--no-install", "websession", "secret"], join(WORK, "app"))).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
});

test("publint and @arethetypeswrong/cli find no problems", () => {
  expect(run(join(BIN, "publint"), ["--strict", tarball], ROOT)).toContain("All good!");
  // attw exits non-zero on any problem; ESM-only is a choice, so CJS resolutions are not asked for.
  run(join(BIN, "attw"), [tarball, "--profile", "esm-only"], ROOT);
});
