// `npm run bench`: the micro-benchmark on every runtime, one after the other (never two at
// once on this 2-core machine), then BENCHMARKS.md. A failed proof or a crashed runtime fails
// the command (after the others have run).
//
//   npm run bench                                  # node, deno, bun, workerd; 5 rounds
//   npm run bench -- --runtimes node,bun --quick   # any of: --rounds --budget --warmup --only --sizes

import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "./cli.ts";
import { RUNTIMES, loadResults, machineDescription, microSection, writeSection } from "./report.ts";

const args = parseArgs(process.argv.slice(2));
const runtimes = args.runtimes ?? [...RUNTIMES];
const passThrough = process.argv.slice(2).filter((_, i, all) => {
  // Everything except --runtimes (and its value) goes to each runner.
  const a = all[i]!;
  const prev = all[i - 1];
  return !a.startsWith("--runtimes") && prev !== "--runtimes";
});

const env = {
  ...process.env,
  DENO_DIR: process.env.DENO_DIR ?? `${process.cwd()}/.cache/deno`,
  TMPDIR: process.env.TMPDIR ?? `${process.cwd()}/.tmp`,
  WRANGLER_SEND_METRICS: "false",
  DENO_NO_UPDATE_CHECK: "1",
};
const bin = (name: string): string => (existsSync(`node_modules/.bin/${name}`) ? `node_modules/.bin/${name}` : name);
const commands: Record<string, [string, string[]]> = {
  node: [process.execPath, ["--expose-gc", "--import", "tsx", "bench/suite.ts"]],
  deno: [bin("deno"), ["run", "-A", "--v8-flags=--expose-gc", "bench/suite.ts"]],
  bun: [bin("bun"), ["bench/suite.ts"]],
  workerd: [process.execPath, ["--import", "tsx", "bench/workerd.ts"]],
};

const failed: string[] = [];
for (const runtime of runtimes) {
  const command = commands[runtime];
  if (command === undefined) {
    console.error(`unknown runtime ${runtime}; use ${Object.keys(commands).join(", ")}`);
    process.exit(2);
  }
  // A runtime that fails must not leave its previous numbers in the report.
  rmSync(`bench/results/micro-${runtime}.json`, { force: true });
  console.log(`\n=== ${runtime}: ${[command[0], ...command[1], ...passThrough].join(" ")}`);
  const r = spawnSync(command[0], [...command[1], ...passThrough], { stdio: "inherit", env, timeout: 30 * 60_000 });
  if (r.status !== 0) {
    console.error(`=== ${runtime} FAILED (exit ${r.status ?? r.signal ?? r.error?.message})`);
    failed.push(runtime);
  }
}

writeSection("micro", microSection(loadResults(), machineDescription()));
console.log("\nwrote BENCHMARKS.md");
if (failed.length > 0) {
  console.error(`failed: ${failed.join(", ")}`);
  process.exit(1);
}
