// The micro-benchmark inside workerd: bundles bench/worker.ts with esbuild, runs it in
// Miniflare's workerd, and drives the same interleaved rounds as bench/suite.ts from here
// (the timing itself happens inside workerd). Writes bench/results/micro-workerd.json.
//
//   node --import tsx bench/workerd.ts [--rounds N] [--budget MS] [--quick] [--only id,id] [--out FILE]

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { othersMeter, parseArgs, summaryLines, waitForQuiet } from "./cli.ts";
import type { ContenderInfo, Prepared, RunResult, Task } from "./harness.ts";
import { runRounds } from "./harness.ts";

const args = parseArgs(process.argv.slice(2));
// workerd's clock ticks in whole milliseconds, so each sample is a batch of >= 20 ms: a task
// needs a longer budget than under mitata to get enough samples per round (7 or more).
if (!process.argv.some((a) => a.startsWith("--budget"))) args.budgetMs *= 4;
const log = (line: string): void => console.log(`[workerd] ${line}`);
const require = createRequire(import.meta.url);
const workerdVersion = (require("workerd/package.json") as { version: string }).version;
const miniflareVersion = (require("miniflare/package.json") as { version: string }).version;

const tmp = process.env.TMPDIR ?? ".tmp";
mkdirSync(tmp, { recursive: true });
const bundle = `${tmp}/websession-bench-worker.js`;
await build({
  entryPoints: ["bench/worker.ts"],
  bundle: true,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  target: "es2022",
  outfile: bundle,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

// The bundle is given as the only module, so Miniflare does not walk it (React Router's
// browser build holds a dynamic import() that Miniflare's module walker refuses).
const mf = new Miniflare({
  modules: [{ type: "ESModule", path: bundle, contents: readFileSync(bundle, "utf8") }],
  compatibilityDate: "2025-01-01",
});

// The workerd process Miniflare started (a descendant of this one), for the CPU meter.
function workerdPids(): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name.startsWith("workerd") && descends(pid)).map(([pid]) => pid);
}

try {
  const response = await mf.dispatchFetch(`http://bench/prepare?options=${encodeURIComponent(JSON.stringify({ only: args.only, sizes: args.sizes }))}`);
  if (!response.ok) throw new Error(`inside workerd: ${await response.text()}`);
  const prepared = (await response.json()) as Omit<Prepared, "tasks"> & { tasks: Omit<Task, "run">[]; log: string[] };
  for (const line of prepared.log) log(line);
  for (const note of prepared.notes) log(`note  ${note}`);

  const pids = workerdPids();
  const ticks = (pid: number): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(f[11]) + Number(f[12]); // utime + stime, in 1/100 s
    } catch {
      return 0;
    }
  };
  log(
    `workerd ${workerdVersion} (miniflare ${miniflareVersion}), pid ${pids.join(", ") || "?"}; ${prepared.tasks.length} tasks x ${args.rounds} rounds, ${args.budgetMs} ms each`,
  );
  const { results, rounds } = await runRounds(
    prepared.tasks,
    async (key, budget) => {
      const r = await mf.dispatchFetch(`http://bench/measure?key=${encodeURIComponent(key)}&budget=${budget}`);
      if (!r.ok) throw new Error(`inside workerd: ${await r.text()}`);
      return (await r.json()) as number[];
    },
    {
      rounds: args.rounds,
      budgetMs: args.budgetMs,
      warmupMs: args.warmupMs,
      log,
      beforeRound: () => waitForQuiet((path) => readFileSync(path, "utf8"), log, 0.2, Number(args.rest["max-wait"] ?? 180) * 1000),
      maxOthers: Number(args.rest["max-others"] ?? 0.3),
      meter: othersMeter(
        (path) => readFileSync(path, "utf8"),
        () => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1e6 + pids.reduce((sum, pid) => sum + ticks(pid), 0) / 100;
        },
      ),
    },
  );
  const result: RunResult = {
    runtime: "workerd",
    version: `workerd ${workerdVersion}`,
    engine: `V8 (via miniflare ${miniflareVersion})`,
    sampler: "a batch clock sampler (workerd forbids the code generation mitata needs, and its clock ticks in ms: batches of >= 20 ms)",
    date: new Date().toISOString(),
    rounds: args.rounds,
    budgetMs: args.budgetMs,
    contenders: prepared.contenders as ContenderInfo[],
    skipped: prepared.skipped,
    notes: prepared.notes,
    roundInfo: rounds,
    results,
  };
  const out = args.out ?? "bench/results/micro-workerd.json";
  mkdirSync(out.slice(0, out.lastIndexOf("/")) || ".", { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
  for (const line of summaryLines(result)) console.log(line);
  log(`wrote ${out}`);
} finally {
  await mf.dispose();
}
