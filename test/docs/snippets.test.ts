// Every code block in README.md and docs/*.md is tested (issue #20: a snippet that drifts from
// the API fails CI). Each TypeScript block carries a marker (see snippets.ts) and is
// type-checked against the package's sources under its runtime's types (tsc for Node, Bun and
// Workers, `deno check` for Deno); `run` blocks are executed and their fetch handler requested,
// `server` blocks are started on a free loopback port and requested over HTTP. Shell blocks may
// only name npm scripts and binaries that exist; Python blocks must compile.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../stores/servers.ts";
import { ROOT, blocksOf, isCode, markdownFiles, npmScriptsIn, npxBinsIn, visit } from "./snippets.ts";
import type { Block, Mode, Runtime } from "./snippets.ts";

const WORK = join(ROOT, ".tmp", "snippets");
const BIN = join(ROOT, "node_modules", ".bin");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; scripts: Record<string, string>; bin: Record<string, string> };
const jsr = JSON.parse(readFileSync(join(ROOT, "jsr.json"), "utf8")) as { exports: Record<string, string> };
const MODES: readonly Mode[] = ["run", "server", "typecheck", "app"];
const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun", "workers"];
const TEXT_LANGS = new Set(["", "text", "sh", "bash", "shell", "python", "json", "toml", "http", "sql"]);
const exec = promisify(execFile);
// Tools a reader's npx downloads from the registry (never installed here): the JSR client.
const FETCHED_BY_NPX = new Set(["jsr"]);

// The secrets the snippets read from their environment (fresh, strong, per run).
const SECRETS = {
  SESSION_SECRET: randomBytes(32).toString("base64url"),
  SECRET_KEY: randomBytes(32).toString("base64url"),
  OLD_SECRET_KEY: randomBytes(32).toString("base64url"),
};

const blocks = markdownFiles().flatMap((file) => blocksOf(file));
const code = blocks.filter(isCode);
const ofRuntime = (runtime: Runtime) => code.filter((b) => b.marker !== undefined && b.marker.mode !== "app" && b.marker.runtime === runtime);
const fileOf = (block: Block) => join(WORK, block.marker!.runtime, `${block.id}.ts`);

// `websession` and its subpaths, mapped to the sources they are built from (jsr.json lists them).
function subpaths(prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(jsr.exports).map(([sub, source]) => [`${prefix}${sub.slice(1)}`, join(ROOT, source)]));
}

function tsconfig(runtime: Exclude<Runtime, "deno">, files: string[]): object {
  const ambient = runtime === "node" ? [] : [join(ROOT, "test", "docs", "ambient", `${runtime}.d.ts`)];
  return {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      moduleDetection: "force",
      lib: ["ES2022", "ES2024.String", "DOM", "DOM.Iterable"],
      types: runtime === "node" ? ["node"] : [],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      paths: Object.fromEntries(Object.entries(subpaths(pkg.name)).map(([k, v]) => [k, [v]])),
    },
    files: [...ambient, ...files],
  };
}

beforeAll(() => {
  rmSync(WORK, { recursive: true, force: true });
  for (const runtime of RUNTIMES) mkdirSync(join(WORK, runtime), { recursive: true });
  for (const block of code) if (block.marker !== undefined && RUNTIMES.includes(block.marker.runtime as Runtime)) writeFileSync(fileOf(block), block.code);
  for (const runtime of ["node", "bun", "workers"] as const) {
    writeFileSync(join(WORK, runtime, "tsconfig.json"), JSON.stringify(tsconfig(runtime, ofRuntime(runtime).map(fileOf)), null, 2));
  }
  const imports = { ...subpaths(pkg.name), ...subpaths(`npm:${pkg.name}`) };
  writeFileSync(
    join(WORK, "deno", "deno.json"),
    JSON.stringify({ nodeModulesDir: "manual", lock: false, unstable: ["kv"], imports, compilerOptions: { strict: true } }, null, 2),
  );
});

test("every TypeScript/JavaScript block says what the suite does with it", () => {
  expect(code.length).toBeGreaterThan(20);
  for (const block of code) {
    expect(block.marker, `${block.where}: add <!-- snippet: run|server|typecheck [runtime=...] --> before the block`).toBeDefined();
    expect(MODES, `${block.where}: mode ${block.marker!.mode}`).toContain(block.marker!.mode);
    expect(RUNTIMES, `${block.where}: runtime ${block.marker!.runtime}`).toContain(block.marker!.runtime);
    // Only Node and Workers snippets run in this process's runtime; the others are servers of their own.
    if (block.marker!.mode === "run") expect(["node", "workers"], `${block.where}: run needs runtime node or workers`).toContain(block.marker!.runtime);
  }
  for (const block of blocks.filter((b) => !isCode(b))) expect(TEXT_LANGS, `${block.where}: a block in ${block.lang}`).toContain(block.lang);
});

describe("type-checks", () => {
  for (const runtime of ["node", "bun", "workers"] as const) {
    test(`${runtime} snippets compile with tsc against the package's sources`, async () => {
      expect(ofRuntime(runtime).length).toBeGreaterThan(0);
      const result = await exec(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(WORK, runtime, "tsconfig.json")], {
        cwd: ROOT,
      }).then(
        () => "",
        (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
      );
      expect(located(result)).toBe("");
    }, 180_000);
  }

  test("deno snippets pass `deno check`", async () => {
    const files = ofRuntime("deno").map(fileOf);
    expect(files.length).toBeGreaterThan(0);
    const result = await exec(join(BIN, "deno"), ["check", "--quiet", "--config", join(WORK, "deno", "deno.json"), ...files], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    }).then(
      () => "",
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    expect(located(result)).toBe("");
  }, 180_000);
});

// tsc and deno name the temporary file; say which Markdown block it came from.
function located(output: string): string {
  let text = output;
  for (const block of code)
    if (block.marker !== undefined) text = text.replaceAll(fileOf(block), block.where).replaceAll(relative(ROOT, fileOf(block)), block.where);
  return text.trim();
}

describe("run blocks execute, and their handler answers", () => {
  const runs = code.filter((b) => b.marker?.mode === "run");
  test("there are runnable blocks", () => expect(runs.length).toBeGreaterThan(5));
  for (const block of runs) {
    test(
      block.where,
      async () => {
        const { stdout } = await exec(join(BIN, "tsx"), [join(ROOT, "test", "docs", "run-snippet.ts"), fileOf(block), block.marker!.runtime], {
          cwd: ROOT,
          env: { ...process.env, ...SECRETS, TSX_TSCONFIG_PATH: join(WORK, block.marker!.runtime, "tsconfig.json") },
        });
        const { visits } = JSON.parse(stdout.trim().split("\n").pop()!) as { visits: Array<{ request: string; status: number; body: string }> | null };
        check(block, visits);
      },
      60_000,
    );
  }
});

describe("server blocks listen on a loopback port and answer", () => {
  for (const block of code.filter((b) => b.marker?.mode === "server")) {
    test(
      block.where,
      async () => {
        const port = await freePort();
        const command: Record<Runtime, [string, string[]]> = {
          node: [join(BIN, "tsx"), [fileOf(block)]],
          bun: [join(BIN, "bun"), ["run", fileOf(block)]],
          deno: [
            join(BIN, "deno"),
            ["run", "--quiet", "--allow-net", "--allow-env", "--allow-read", "--config", join(WORK, "deno", "deno.json"), fileOf(block)],
          ],
          workers: ["false", []],
        };
        const [bin, args] = command[block.marker!.runtime as Runtime];
        const child = spawn(bin, args, {
          cwd: join(WORK, block.marker!.runtime),
          env: { ...process.env, ...SECRETS, PORT: String(port), HOST: "127.0.0.1", TSX_TSCONFIG_PATH: join(WORK, block.marker!.runtime, "tsconfig.json") },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d));
        child.stderr.on("data", (d: Buffer) => (output += d));
        try {
          await until(
            async () =>
              fetch(`http://127.0.0.1:${port}/`).then(
                () => true,
                () => false,
              ),
            () => child.exitCode !== null,
            30_000,
          );
          expect(child.exitCode, output).toBe(null);
          check(block, await visit((request) => fetch(request), `http://127.0.0.1:${port}/`));
        } finally {
          process.kill(child.pid!, "SIGTERM");
        }
      },
      60_000,
    );
  }
});

function check(block: Block, visits: Array<{ request: string; status: number; body: string }> | null): void {
  if (visits === null) {
    expect(block.marker!.expect, `${block.where}: expect= needs an exported fetch handler`).toBeUndefined();
    return;
  }
  for (const v of visits) expect(v.status, `${block.where}: ${v.request} answered ${v.status}: ${v.body}`).toBeLessThan(500);
  if (block.marker!.expect !== undefined) expect(visits.at(-1)!.body, `${block.where}: the last response`).toContain(block.marker!.expect);
}

async function until(ready: () => Promise<boolean>, failed: () => boolean, timeout: number): Promise<void> {
  const end = Date.now() + timeout;
  while (Date.now() < end && !failed()) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("shell blocks name only npm scripts and binaries that exist", () => {
  const shell = blocks.filter((b) => ["sh", "bash", "shell"].includes(b.lang));
  expect(shell.length).toBeGreaterThan(2);
  for (const block of shell) {
    for (const script of npmScriptsIn(block.code)) expect(Object.keys(pkg.scripts), `${block.where}: npm script ${script}`).toContain(script);
    for (const bin of npxBinsIn(block.code)) {
      expect(
        bin in pkg.bin || existsSync(join(BIN, bin)) || FETCHED_BY_NPX.has(bin),
        `${block.where}: npx ${bin} is neither this package's bin nor installed`,
      ).toBe(true);
    }
  }
});

test("python blocks compile", async () => {
  const python = blocks.filter((b) => b.lang === "python");
  expect(python.length).toBeGreaterThan(0);
  for (const block of python) {
    const file = join(WORK, `${block.id}.py`);
    writeFileSync(file, block.code);
    await exec("python3", ["-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", file]).catch((error: { stderr: string }) => {
      throw new Error(`${block.where}: ${error.stderr}`);
    });
  }
});
