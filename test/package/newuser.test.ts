// A new user's first hour (issue #20), as a test: the package is packed, installed into a fresh
// project with nothing but the README's Install line (pointed at the tarball), the README's
// quick start is copied in verbatim, type-checked against the installed package, served and
// requested; then `npx websession secret` and `websession inspect` on each cookie format.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { blocksOf, visit } from "../docs/snippets.ts";
import { freePort } from "../stores/servers.ts";
import { BIN, ROOT, pack, run } from "./tarball.ts";

const WORK = join(ROOT, ".tmp", "newuser-test");
const APP = join(WORK, "app");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
let secret: string;

// The README's Install block and its npm line, and the first block of the Quick start.
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThan(-1);
  return README.slice(start + 1, README.indexOf("\n## ", start + 1));
}
function firstBlockAfter(heading: string): string {
  const line = README.slice(0, README.indexOf(`\n## ${heading}\n`)).split("\n").length;
  const block = blocksOf("README.md").find((b) => Number(b.where.split(":")[1]) > line && b.lang === "ts");
  return block!.code;
}

beforeAll(() => {
  const tarball = pack(WORK);
  mkdirSync(APP, { recursive: true });
  writeFileSync(join(APP, "package.json"), JSON.stringify({ name: "first-hour", private: true, type: "module" }));
  const install = /^npm install websession\b[^#\n]*/m.exec(section("Install"));
  expect(install, "the Install section has an `npm install websession` line").not.toBeNull();
  const args = install![0]
    .trim()
    .split(/\s+/)
    .slice(2)
    .map((a) => (a === "websession" ? tarball : a));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...args], APP);
}, 300_000);

test("npx websession secret prints a strong secret", () => {
  secret = run("npx", ["--no-install", "websession", "secret"], APP).trim();
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
}, 60_000);

test("the quick start, copied verbatim, type-checks against the installed package, serves and keeps a login", async () => {
  writeFileSync(join(APP, "quickstart.ts"), firstBlockAfter("Quick start"));
  // Type-checked against the installed package's own .d.ts files, as a user's editor would.
  writeFileSync(
    join(APP, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        lib: ["ES2022", "DOM", "DOM.Iterable"],
      },
      files: ["quickstart.ts"],
    }),
  );
  run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], APP);
  // Served on Node the way the docs serve a fetch handler there: @hono/node-server (found in the
  // checkout's node_modules, above this project; the README's Install line brings only websession).
  writeFileSync(
    join(APP, "serve.ts"),
    `import { serve } from "@hono/node-server";\nimport { fetch } from "./quickstart.ts";\nserve({ fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" });\n`,
  );
  const port = await freePort();
  const child = spawn(join(BIN, "tsx"), ["serve.ts"], {
    cwd: APP,
    env: { ...process.env, PORT: String(port), SESSION_SECRET: secret ?? run("npx", ["--no-install", "websession", "secret"], APP).trim() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  try {
    const end = Date.now() + 30_000;
    while (
      Date.now() < end &&
      child.exitCode === null &&
      !(await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(child.exitCode, output).toBe(null);
    const visits = await visit((request) => fetch(request), `http://127.0.0.1:${port}/`);
    expect(visits.map((v) => v.status)).toEqual([200, 303, 200]);
    expect(visits[0]!.body).toBe("Hello stranger");
    expect(visits[2]!.body).toBe("Welcome! Hello ada");
  } finally {
    process.kill(child.pid!, "SIGTERM");
  }
}, 120_000);

test("websession inspect reads a signed, a sealed and a Flask cookie made by the installed package", () => {
  const key = secret ?? run("npx", ["--no-install", "websession", "secret"], APP).trim();
  writeFileSync(
    join(APP, "cookies.mjs"),
    `
import { createSessions } from "websession";
const out = {};
for (const format of ["signed", "sealed", "flask"]) {
  const sessions = createSessions({ secret: process.env.KEY, format });
  const response = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(new Request("https://app.example/"));
  out[format] = response.headers.getSetCookie()[0].split(";")[0];
}
console.log(JSON.stringify(out));
`,
  );
  const cookies = JSON.parse(run(process.execPath, ["cookies.mjs"], APP, { KEY: key })) as Record<string, string>;
  for (const [format, cookie] of Object.entries(cookies)) {
    // With the format named and the secret given: verified, and the data shown.
    const verified = run("npx", ["--no-install", "websession", "inspect", cookie, "--format", format, "--secret", key], APP);
    expect(verified, format).toContain("ada");
    // Without a format (detection is being added): it runs, prints something, and does not crash.
    const guessed = spawnSync("npx", ["--no-install", "websession", "inspect", cookie, "--secret", key]);
    expect([0, 1], `${format}: ${guessed.output}`).toContain(guessed.status);
    expect(guessed.output.trim().length, format).toBeGreaterThan(0);
    expect(guessed.output, format).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
  }
}, 60_000);

function spawnSync(command: string, args: string[]): { status: number | null; output: string } {
  try {
    return { status: 0, output: run(command, args, APP) };
  } catch (error) {
    const e = error as { status: number | null; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  }
}
