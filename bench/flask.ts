// Flask itself as a contender: bench/flask_serializer.py times Flask's own session serializer
// (itsdangerous, as Flask's SecureCookieSessionInterface builds it) on Debian's CPython for the
// same sessions, and its numbers join this runtime's results under the id "flask-python".
// Flask's side has no HTTP objects (no handler), so its net cost is its whole time.
// Missing Python or Flask fails the bench: the comparison is a target, never silently dropped.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { SECRET, SIZES, dataOf } from "./fixtures.ts";
import type { Size } from "./fixtures.ts";
import type { ContenderInfo, RoundStats, TaskResult } from "./harness.ts";
import { taskKey } from "./harness.ts";

/** Debian's CPython, where `python3-flask` installs Flask. */
export const PYTHON = "/usr/bin/python3";
export const FLASK_ID = "flask-python";

/** Runs the Python side for `sizes` and returns its contender and results; throws when it cannot run. */
export function flaskContender(options: { rounds: number; budgetMs: number; sizes?: readonly Size[] }): {
  info: ContenderInfo;
  results: Record<string, TaskResult>;
} {
  if (!existsSync(PYTHON)) throw new Error(`the Flask contender needs ${PYTHON} (apt-get install -y python3 python3-flask)`);
  const sizes = options.sizes ?? SIZES;
  const input = JSON.stringify({
    secret: SECRET,
    data: Object.fromEntries(sizes.map((s) => [s, dataOf(s)])),
    rounds: options.rounds,
    budget_ms: options.budgetMs,
  });
  const run = spawnSync(PYTHON, [new URL("./flask_serializer.py", import.meta.url).pathname], { input, encoding: "utf8", timeout: 10 * 60_000 });
  if (run.status !== 0) {
    throw new Error(
      `the Flask contender failed (exit ${run.status ?? run.signal}): ${run.stderr.trim() || run.error?.message}; it needs Flask for ${PYTHON} (apt-get install -y python3-flask)`,
    );
  }
  const out = JSON.parse(run.stdout) as {
    version: string;
    cookieBytes: Record<Size, number>;
    results: Record<Size, Record<"read" | "write" | "full", RoundStats[]>>;
  };
  const info: ContenderInfo = {
    id: FLASK_ID,
    label: "Flask's own serializer (CPython)",
    kind: "peer",
    webStandard: false,
    viaHono: false,
    noHandler: true,
    note: `${out.version}: itsdangerous URLSafeTimedSerializer as Flask's session interface builds it (loads with max_age, dumps); no HTTP objects`,
    cookieBytes: out.cookieBytes,
  };
  const results: Record<string, TaskResult> = {};
  for (const size of sizes) {
    for (const scenario of ["read", "write", "full"] as const) {
      results[taskKey(FLASK_ID, size, scenario, 1)] = { contender: FLASK_ID, size, scenario, concurrency: 1, rounds: out.results[size][scenario] };
    }
  }
  return { info, results };
}
