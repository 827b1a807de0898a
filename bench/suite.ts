// The micro-benchmark for Node, Deno and Bun: every contender in this one process, proven
// first, then timed with mitata in interleaved rounds. Writes bench/results/micro-<runtime>.json.
//
//   node --expose-gc --import tsx bench/suite.ts [--out FILE] [--rounds N] [--budget MS] [--quick] [--only id,id]
//   deno run -A --v8-flags=--expose-gc bench/suite.ts ...      bun bench/suite.ts ...
//
// `npm run bench` runs this on every runtime (and bench/workerd.ts for workerd), then the report.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { measure } from "mitata";
import { webContenders } from "./contenders.ts";
import type { Contender } from "./contenders.ts";
import { flaskContender } from "./flask.ts";
import { prepare, runRounds } from "./harness.ts";
import type { RunResult, Sampler } from "./harness.ts";
import { othersMeter, parseArgs, summaryLines, waitForQuiet } from "./cli.ts";

function runtimeInfo(): { runtime: string; version: string; engine: string } {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string; v8: string } } };
  if (g.Bun !== undefined) return { runtime: "bun", version: `Bun ${g.Bun.version}`, engine: "JavaScriptCore" };
  if (g.Deno !== undefined) return { runtime: "deno", version: `Deno ${g.Deno.version.deno}`, engine: `V8 ${g.Deno.version.v8}` };
  return { runtime: "node", version: `Node ${process.version}`, engine: `V8 ${process.versions.v8}` };
}

const args = parseArgs(process.argv.slice(2));
const info = runtimeInfo();
const log = (line: string): void => console.log(`[${info.runtime}] ${line}`);

// mitata: batches of 64 requests for anything under 65 µs, at least 6 samples, a full GC
// before each measurement where the runtime exposes one (never inside the timed loop).
const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
const gc = g.gc ?? (g.Bun !== undefined ? () => g.Bun!.gc(true) : undefined);
const sampler: Sampler = async (run, concurrency, budgetMs) => {
  const stats = await measure(run, {
    gc: gc ?? false,
    min_cpu_time: budgetMs * 1e6,
    min_samples: 6,
    // Each batch sample is 64 requests (4 groups of 16 in flight at concurrency 16).
    batch_samples: Math.max(4, 64 / concurrency),
    concurrency,
  } as Parameters<typeof measure>[1]);
  return stats.samples.map((ns: number) => ns / concurrency);
};

const contenders: Contender[] = await webContenders();
try {
  // The Node-only reference needs node:crypto (present on Node, Deno and Bun).
  contenders.splice(
    contenders.findIndex((c) => c.kind === "baseline"),
    0,
    (await import("./native.ts")).cookieSignature,
  );
} catch (error) {
  log(`skip  cookie-signature: ${(error as Error).message}`);
}

log(`${info.version} (${info.engine}); proving every contender before timing`);
const prepared = await prepare(contenders, { log, only: args.only, sizes: args.sizes });
for (const note of prepared.notes) log(`note  ${note}`);
const byKey = new Map(prepared.tasks.map((t) => [t.key, t]));
log(`${prepared.tasks.length} tasks x ${args.rounds} rounds, ${args.budgetMs} ms each`);
const { results, rounds } = await runRounds(prepared.tasks, (key, budget) => sampler(byKey.get(key)!.run, byKey.get(key)!.concurrency, budget), {
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
      return (u.user + u.system) / 1e6;
    },
  ),
});

// Flask itself (Node's run only: the Python side is the same whatever the JS runtime), unless
// --only leaves websession's flask format out.
const contendersOut = [...prepared.contenders];
if (info.runtime === "node" && (args.only === undefined || args.only.includes("websession-flask") || args.only.includes("flask-python"))) {
  log("timing Flask's own serializer (bench/flask_serializer.py)");
  const flask = flaskContender({ rounds: args.rounds, budgetMs: args.budgetMs, sizes: args.sizes });
  contendersOut.splice(
    contendersOut.findIndex((c) => c.kind === "baseline"),
    0,
    flask.info,
  );
  Object.assign(results, flask.results);
}

const result: RunResult = {
  ...info,
  sampler: "mitata measure()",
  date: new Date().toISOString(),
  rounds: args.rounds,
  budgetMs: args.budgetMs,
  contenders: contendersOut,
  skipped: prepared.skipped,
  notes: prepared.notes,
  roundInfo: rounds,
  results,
};
const out = args.out ?? `bench/results/micro-${info.runtime}.json`;
mkdirSync(out.slice(0, out.lastIndexOf("/")) || ".", { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
for (const line of summaryLines(result)) console.log(line);
log(`wrote ${out}`);
// Some peers keep timers or handles alive; the run is over.
process.exit(0);
