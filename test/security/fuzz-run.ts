// `npm run fuzz`: the long fuzzing run (security bar d.1: >= 10^6 cases nightly). The same
// engine and oracle as the CI suite (test/conformance/fuzz.suite.ts), with any seed and count:
//
//   npm run fuzz                                   2,000,000 cases, a random seed (printed)
//   FUZZ_SEED=1234 FUZZ_CASES=500000 npm run fuzz  reproducible, shorter
//   FUZZ_TARGETS=signed,store npm run fuzz         some targets only
//   bun test/security/fuzz-run.ts                  the same on Bun (Deno: deno run -A ...)
//
// Exits 1 with the findings (seed and case index replay each one) if any case crashed, was
// accepted though forged, or lost a valid session.

import { CI_PLAN } from "../conformance/fuzz.suite.ts";
import { TARGETS, describeFindings, fuzz } from "../conformance/fuzz.ts";
import type { Finding, TargetName } from "../conformance/fuzz.ts";

type Host = {
  process?: { env: Record<string, string | undefined>; exit(code: number): never };
  Deno?: { env: { get(name: string): string | undefined }; exit(code: number): never };
};
const host = globalThis as unknown as Host;

function env(name: string): string | undefined {
  return host.process?.env[name] ?? host.Deno?.env.get(name);
}

function exit(code: number): never {
  if (host.process !== undefined) host.process.exit(code);
  if (host.Deno !== undefined) host.Deno.exit(code);
  throw new Error(`exit ${code}`);
}

function positiveInteger(name: string, fallback: number): number {
  const text = env(name);
  if (text === undefined || text === "") return fallback;
  const n = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`${name} must be a whole number, got ${JSON.stringify(text)}`);
    exit(2);
  }
  return n;
}

const seed = positiveInteger("FUZZ_SEED", crypto.getRandomValues(new Uint32Array(1))[0]!);
const total = positiveInteger("FUZZ_CASES", 2_000_000);
const chosen = (env("FUZZ_TARGETS") ?? "")
  .split(",")
  .map((t) => t.trim())
  .filter((t) => t !== "");
for (const t of chosen) {
  if (!(TARGETS as readonly string[]).includes(t)) {
    console.error(`unknown target ${t}; choose from ${TARGETS.join(", ")}`);
    exit(2);
  }
}
const plan = CI_PLAN.filter(([t]) => chosen.length === 0 || chosen.includes(t));
const weight = plan.reduce((n, [, cases]) => n + cases, 0);
const BATCH = 10_000;

console.log(`websession fuzz: seed ${seed}, ${total.toLocaleString("en")} cases over ${plan.map(([t]) => t).join(", ")}`);
const findings: Finding[] = [];
const started = performance.now();
let done = 0;
for (const [target, share] of plan) {
  const cases = Math.round((total * share) / weight);
  const begin = performance.now();
  let accepted = 0;
  for (let from = 0; from < cases; from += BATCH) {
    const report = await fuzz(target as TargetName, seed, Math.min(BATCH, cases - from), from);
    accepted += report.accepted;
    findings.push(...report.findings);
    if (report.findings.length > 0) console.log(describeFindings(report, 5));
  }
  done += cases;
  const seconds = (performance.now() - begin) / 1000;
  console.log(
    `  ${target.padEnd(15)} ${cases.toLocaleString("en").padStart(10)} cases  ${accepted.toLocaleString("en").padStart(9)} accepted (valid)  ${seconds.toFixed(1).padStart(6)} s  ${Math.round(
      cases / seconds,
    )
      .toLocaleString("en")
      .padStart(7)} cases/s`,
  );
}
const seconds = (performance.now() - started) / 1000;
const count = (kind: Finding["kind"]) => findings.filter((f) => f.kind === kind).length;
console.log(
  `${done.toLocaleString("en")} cases in ${seconds.toFixed(1)} s: ${count("crash")} crashes, ${count("forgery")} accepted forgeries, ${count("miss")} valid sessions missed (seed ${seed})`,
);
if (findings.length > 0) {
  console.log(`replay one: FUZZ_SEED=${seed} and the case index above, with fuzz(target, seed, 1, index) from test/conformance/fuzz.ts`);
  exit(1);
}
