// The fuzzer (fuzz.ts) on every runtime: 100,000 generated Cookie headers and tokens per run,
// in parts small enough for each runner's per-test time limit (Bun's is 5 s). A fixed seed
// keeps CI reproducible; `npm run fuzz` runs millions of cases with any seed (FUZZ_SEED).
// Zero crashes, zero accepted forgeries, zero valid sessions missed.

import { describeFindings, fuzz } from "./fuzz.ts";
import type { TargetName } from "./fuzz.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";

/** The seed of the CI run. */
export const CI_SEED = 0x5eed_2026;
/** Cases per target in one CI run (100,000 in all), cheapest paths weighted most. */
export const CI_PLAN: ReadonlyArray<readonly [TargetName, number]> = [
  ["tokens", 32_000],
  ["signed", 24_000],
  ["flask", 15_000],
  ["store", 16_000],
  ["sealed", 7_000],
  ["signed-chunked", 3_500],
  ["sealed-chunked", 2_500],
];
const PART = 5_000;

export default defineSuite("fuzz", (test) => {
  test("the CI plan covers every target with 100,000 cases in all", () => {
    expectEqual(
      CI_PLAN.reduce((n, [, cases]) => n + cases, 0),
      100_000,
    );
    expectEqual(new Set(CI_PLAN.map(([target]) => target)).size, CI_PLAN.length);
  });

  for (const [target, cases] of CI_PLAN) {
    for (let from = 0; from < cases; from += PART) {
      const n = Math.min(PART, cases - from);
      test(`${target}: cases ${from}-${from + n - 1} of seed ${CI_SEED}: no crash, no forgery, no valid session missed`, async () => {
        const report = await fuzz(target, CI_SEED, n, from);
        expectEqual(report.cases, n);
        expectTrue(report.findings.length === 0, `${report.findings.length} findings:\n${describeFindings(report)}`);
        // Both kinds of outcome were exercised: the oracle is not trivially "reject everything".
        expectTrue(report.accepted > 0 && report.accepted < n, `accepted ${report.accepted} of ${n}`);
        expectEqual(report.refused, 0, "header values the platform refused");
      });
    }
  }
});
