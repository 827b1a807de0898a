// Numbers out of a run: medians with spread, net cost over the no-session baseline, ratios.

import type { Scenario } from "./contenders.ts";
import type { Size } from "./fixtures.ts";
import type { RunResult, TaskResult } from "./harness.ts";
import { taskKey } from "./harness.ts";

export interface Cell {
  /** Median over rounds of each round's median, in µs per request. */
  median: number;
  /** Typical half inter-quartile range within a round, relative to the median (0.05 = ±5%). */
  spread: number;
  /** Lowest and highest round median, in µs (stability across the run). */
  low: number;
  high: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function cellOf(task: TaskResult | undefined): Cell | undefined {
  if (task === undefined || task.rounds.length === 0) return undefined;
  const p50 = task.rounds.map((r) => r.p50 / 1000);
  const rel = task.rounds.map((r) => (r.p75 - r.p25) / 2 / r.p50);
  return { median: median(p50), spread: median(rel), low: Math.min(...p50), high: Math.max(...p50) };
}

export function cell(run: RunResult, contender: string, size: Size, scenario: Scenario, concurrency: number): Cell | undefined {
  return cellOf(run.results[taskKey(contender, size, scenario, concurrency)]);
}

/** The baseline a contender's net cost is taken against: the bare handler, or the bare Hono app. */
export function baselineOf(run: RunResult, contender: string): string {
  return run.contenders.find((c) => c.id === contender)?.viaHono ? "none-hono" : "none";
}

/** µs a contender adds over its no-session baseline (never below 0.01, so ratios stay finite). */
export function net(run: RunResult, contender: string, size: Size, scenario: Scenario, concurrency: number): number | undefined {
  const c = cell(run, contender, size, scenario, concurrency);
  if (c !== undefined && run.contenders.find((x) => x.id === contender)?.noHandler === true) return c.median;
  const b = cell(run, baselineOf(run, contender), size, scenario, concurrency);
  if (c === undefined || b === undefined) return undefined;
  return Math.max(0.01, c.median - b.median);
}

/** The fastest (lowest raw median) contender among `ids` in one comparison. */
export function fastest(run: RunResult, ids: string[], size: Size, scenario: Scenario, concurrency: number, by: "raw" | "net" = "raw"): string | undefined {
  let best: string | undefined;
  let bestValue = Infinity;
  for (const id of ids) {
    const v = by === "raw" ? cell(run, id, size, scenario, concurrency)?.median : net(run, id, size, scenario, concurrency);
    if (v !== undefined && v < bestValue) {
      bestValue = v;
      best = id;
    }
  }
  return best;
}

export function fmtUs(us: number | undefined): string {
  if (us === undefined) return "–";
  if (us >= 100) return us.toFixed(0);
  if (us >= 10) return us.toFixed(1);
  return us.toFixed(2);
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "–";
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(1)}x`;
}

export function fmtCell(c: Cell | undefined): string {
  if (c === undefined) return "–";
  return `${fmtUs(c.median)} ±${Math.round(c.spread * 100)}%`;
}
