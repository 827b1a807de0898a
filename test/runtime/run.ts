// `npm run test:runtimes`: the conformance suites inside workerd, Deno and Bun, then every
// runtime's example server over real HTTP. Each runtime prints its own results; this prints a
// summary and exits non-zero when any runtime fails, cannot start, skips a test, or registers
// fewer conformance cases for some suite file than Node does (a runtime may offer more: KV).
//
//   tsx test/runtime/run.ts [workerd] [deno] [bun] [http]      (default: all four, in this order)

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { registerSuites } from "../conformance/collect.ts";
import type { Registered } from "../conformance/collect.ts";
import { ROOT, bin, runtimeEnv } from "./env.ts";

interface Target {
  /** Commands run in order; the last one prints the test counts. */
  readonly steps: ReadonlyArray<readonly string[]>;
  readonly counts: (output: string) => Counts | undefined;
  /** Whether this target runs the conformance suites (and must print their count line). */
  readonly conformance: boolean;
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface Outcome {
  readonly name: string;
  readonly ok: boolean;
  readonly counts: Counts | undefined;
  readonly seconds: number;
  readonly problem: string | undefined;
}

const suiteFiles = readdirSync(new URL("../conformance/", import.meta.url))
  .filter((f) => f.endsWith(".suite.ts"))
  .sort();

const targets: Record<string, Target> = {
  workerd: {
    steps: [[bin("vitest"), "run", "--config", "test/runtime/vitest.workerd.config.ts"]],
    counts: vitestCounts,
    conformance: true,
  },
  deno: {
    steps: [
      // Deno's own types against the adapters' structural ones: Deno.serve(withSession(...)),
      // and the session type carried through Hono's Variables (test/runtime/deno.json mirrors
      // tsconfig.json's strictness).
      [bin("deno"), "check", "--config", "test/runtime/deno.json", "examples/deno.ts", "examples/hono.ts", "examples/worker.ts"],
      // Read access beyond the checkout: suites may import shared fixtures. Deno KV
      // (deno-kv-store.suite.ts) needs --unstable-kv and writes its database file under .tmp/.
      [bin("deno"), "test", "--config", "test/runtime/deno.json", "--allow-read", "--allow-write=.tmp", "--unstable-kv", "test/runtime/deno.test.ts"],
    ],
    counts: denoCounts,
    conformance: true,
  },
  bun: {
    steps: [[bin("bun"), "test", "./test/runtime/bun.test.ts"]],
    counts: bunCounts,
    conformance: true,
  },
  http: {
    steps: [[bin("vitest"), "run", "--config", "test/runtime/vitest.http.config.ts"]],
    counts: vitestCounts,
    conformance: false,
  },
};

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!(name in targets)) {
    console.error(`unknown target ${name}; choose from ${Object.keys(targets).join(", ")}`);
    process.exit(2);
  }
}

const env = runtimeEnv();
const expected = await expectedConformance();
const outcomes: Outcome[] = [];
const started = performance.now();
for (const name of chosen.length > 0 ? chosen : Object.keys(targets)) {
  outcomes.push(await runTarget(name, targets[name]!));
}
printSummary(outcomes, (performance.now() - started) / 1000);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);

/** The cases per suite file that Node registers: every runtime must register at least these. */
async function expectedConformance(): Promise<Registered> {
  const log = console.log;
  console.log = () => {};
  try {
    return await registerSuites(
      suiteFiles.map((f) => [f, () => import(`../conformance/${f}`)] as const),
      () => {},
    );
  } finally {
    console.log = log;
  }
}

/** Checks a runner's `conformance:` line against Node's registration; a problem, or undefined. */
function compareConformance(output: string): string | undefined {
  const match = /^conformance: (\d+) cases from \d+ suite files \((.*)\)$/m.exec(output);
  if (match === null) return "printed no conformance line";
  const found = new Map(
    match[2]!.split(", ").map((entry) => {
      const [file = "", n = ""] = entry.split(": ");
      return [file, Number(n)] as const;
    }),
  );
  const missing = [...expected.keys()].filter((file) => !found.has(file));
  if (missing.length > 0) return `did not run ${missing.join(", ")}`;
  const fewer = [...expected].filter(([file, n]) => found.get(file)! < n).map(([file, n]) => `${file} ${found.get(file)} of ${n}`);
  if (fewer.length > 0) return `registered fewer cases than Node: ${fewer.join(", ")}`;
  return undefined;
}

async function runTarget(name: string, target: Target): Promise<Outcome> {
  console.log(`\n━━ ${name} ${"━".repeat(60 - name.length)}`);
  const begin = performance.now();
  let output = "";
  let problem: string | undefined;
  for (const [command, ...args] of target.steps) {
    const result = await run(command!, args);
    output = result.output;
    if (result.code !== 0) {
      problem = `${[basename(command!), ...args.slice(0, 2)].join(" ")} exited with ${result.code}`;
      if (/postinstall script was not run/i.test(output)) {
        problem += ` (npm skipped ${name}'s install script: \`npm install-scripts approve ${name} && npm rebuild ${name}\`)`;
      }
      break;
    }
  }
  const counts = target.counts(stripAnsi(output));
  if (problem === undefined) {
    if (counts === undefined) problem = "no test counts in its output";
    else if (counts.passed === 0) problem = "no test passed";
    else if (counts.failed > 0) problem = `${counts.failed} failed`;
    else if (counts.skipped > 0) problem = `${counts.skipped} skipped (nothing may be skipped)`;
  }
  if (problem === undefined && target.conformance) problem = compareConformance(stripAnsi(output));
  return { name, ok: problem === undefined, counts, seconds: (performance.now() - begin) / 1000, problem };
}

/** Runs a command in the checkout, streaming its output through (less known noise), and resolves with it. */
function run(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    // workerd prints this warning (from C++, so no test can silence it) for every Cookie header
    // with bytes beyond ASCII, which the fuzzer sends by the thousand on purpose: count, don't print.
    const NON_ASCII_WARNING = /^A header value for "cookie" contains non-ASCII characters/;
    let output = "";
    let silenced = 0;
    function relay(stream: NodeJS.ReadableStream, sink: NodeJS.WriteStream): () => void {
      let pending = "";
      const emit = (line: string): void => {
        if (NON_ASCII_WARNING.test(line)) {
          silenced++;
          return;
        }
        output += line;
        sink.write(line);
      };
      stream.on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        let newline = pending.indexOf("\n");
        while (newline !== -1) {
          emit(pending.slice(0, newline + 1));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf("\n");
        }
      });
      return () => {
        if (pending !== "") emit(pending);
        pending = "";
      };
    }
    const flushOut = relay(child.stdout, process.stdout);
    const flushErr = relay(child.stderr, process.stderr);
    const finish = (code: number, extra = ""): void => {
      flushOut();
      flushErr();
      if (silenced > 0) process.stdout.write(`(${silenced} workerd warnings about non-ASCII Cookie headers sent by the fuzzer were not printed)\n`);
      resolve({ code, output: output + extra });
    };
    child.on("error", (error) => finish(127, `\n${error.message}`));
    child.on("close", (code, signal) => finish(code ?? (signal === null ? 1 : 128)));
  });
}

// "Tests  2 failed | 270 passed | 1 skipped (273)"
function vitestCounts(output: string): Counts | undefined {
  const line = /^\s*Tests\s+(.*\(\d+\))\s*$/m.exec(output)?.[1];
  if (line === undefined) return undefined;
  const n = (label: string): number => Number(new RegExp(`(\\d+) ${label}`).exec(line)?.[1] ?? 0);
  return { passed: n("passed"), failed: n("failed"), skipped: n("skipped") + n("todo") };
}

// "ok | 67 passed | 0 failed | 1 ignored (212ms)"
function denoCounts(output: string): Counts | undefined {
  const match = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/m.exec(output);
  if (match === null) return undefined;
  return { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3] ?? 0) };
}

// " 273 pass\n 0 fail" (and " 1 skip", " 1 todo")
function bunCounts(output: string): Counts | undefined {
  const n = (label: string): number | undefined => {
    const match = new RegExp(`^\\s*(\\d+) ${label}$`, "m").exec(output);
    return match === null ? undefined : Number(match[1]);
  };
  const passed = n("pass");
  if (passed === undefined) return undefined;
  return { passed, failed: n("fail") ?? 0, skipped: (n("skip") ?? 0) + (n("todo") ?? 0) };
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

function printSummary(list: readonly Outcome[], seconds: number): void {
  console.log(`\n━━ runtimes ${"━".repeat(52)}`);
  console.log(`suite files: ${[...expected].map(([file, n]) => `${file} (${n} cases on Node)`).join(", ")}`);
  for (const o of list) {
    const counts = o.counts === undefined ? "" : `${o.counts.passed} passed, ${o.counts.failed} failed`;
    console.log(
      `${o.ok ? "ok  " : "FAIL"}  ${o.name.padEnd(8)} ${counts.padEnd(22)} ${o.seconds.toFixed(1).padStart(5)} s${o.problem === undefined ? "" : `  ${o.problem}`}`,
    );
  }
  console.log(`total ${seconds.toFixed(1)} s`);
}
