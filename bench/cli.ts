// Command-line options shared by the runners, and the summary they print.

import type { Size } from "./fixtures.ts";
import type { RunResult } from "./harness.ts";
import { cell, fmtCell, fmtRatio, fmtUs, net } from "./stats.ts";

export interface Args {
  out?: string;
  rounds: number;
  budgetMs: number;
  warmupMs: number;
  only?: string[];
  sizes?: Size[];
  runtimes?: string[];
  rest: Record<string, string>;
}

/**
 * `--rounds N` (default 5), `--budget MS` per task per round (default 40), `--warmup MS`
 * (default 40), `--quick` (2 rounds of 15 ms), `--only id,id`, `--sizes small,large`,
 * `--runtimes node,deno,bun,workerd`, `--out FILE`; anything else `--key value` is kept in `rest`.
 */
export function parseArgs(argv: string[]): Args {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) continue;
    const [k, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (inline !== undefined) flags[k] = inline;
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags[k] = argv[++i]!;
    else flags[k] = "true";
  }
  const quick = flags.quick === "true";
  const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(",").filter(Boolean));
  const { out, rounds, budget, warmup, only, sizes, runtimes, quick: _q, ...rest } = flags;
  return {
    out,
    rounds: Number(rounds ?? (quick ? 2 : 5)),
    budgetMs: Number(budget ?? (quick ? 15 : 40)),
    warmupMs: Number(warmup ?? (quick ? 15 : 40)),
    only: list(only),
    sizes: list(sizes) as Size[] | undefined,
    runtimes: list(runtimes),
    rest,
  };
}

/** A terminal summary: the full cycle, small session, one request at a time. */
export function summaryLines(run: RunResult): string[] {
  const lines = [`\n${run.version} (${run.engine}): full cycle, small session, one request at a time`];
  const ws = net(run, "websession-signed", "small", "full", 1);
  lines.push(`${"contender".padEnd(44)} ${"µs/request".padStart(14)} ${"net µs".padStart(8)} ${"net vs websession signed".padStart(26)}`);
  for (const c of run.contenders) {
    const raw = cell(run, c.id, "small", "full", 1);
    const n = c.kind === "baseline" ? undefined : net(run, c.id, "small", "full", 1);
    const ratio = n !== undefined && ws !== undefined ? fmtRatio(n / ws) : "";
    lines.push(`${c.label.padEnd(44)} ${fmtCell(raw).padStart(14)} ${fmtUs(n).padStart(8)} ${ratio.padStart(26)}`);
  }
  return lines;
}

/**
 * Waits (up to `maxWaitMs`) until the rest of the machine is quiet: less than `threshold` of
 * all CPUs busy over half a second, read from /proc/stat while this process idles. Returns the
 * busy fraction last seen (NaN where /proc/stat does not exist). Other engineers' test runs
 * share this 2-core machine; a round measured under their load is worth little.
 */
export async function waitForQuiet(readFile: (path: string) => string, log: (line: string) => void, threshold = 0.2, maxWaitMs = 180_000): Promise<number> {
  const sample = (): [busy: number, total: number] | undefined => {
    try {
      const fields = readFile("/proc/stat").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
      const total = fields.reduce((a, b) => a + b, 0);
      return [total - fields[3]! - (fields[4] ?? 0), total];
    } catch {
      return undefined;
    }
  };
  const started = Date.now();
  let warned = false;
  for (;;) {
    const a = sample();
    if (a === undefined) return NaN;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const b = sample()!;
    const busy = (b[0] - a[0]) / Math.max(1, b[1] - a[1]);
    if (busy < threshold) return busy;
    if (Date.now() - started > maxWaitMs) {
      log(`machine still busy (${Math.round(busy * 100)}% of all CPUs) after ${maxWaitMs / 1000} s; measuring anyway (expect noise)`);
      return busy;
    }
    if (!warned) {
      log(`waiting for the machine to go quiet (${Math.round(busy * 100)}% of all CPUs busy elsewhere)`);
      warned = true;
    }
  }
}

/**
 * Measures how much CPU the rest of the machine used between `start()` and `stop()`, as a
 * fraction of all CPUs: /proc/stat's busy time minus this run's own (`ownSeconds`, which
 * includes its threads and, for workerd, the workerd process). NaN without /proc/stat.
 */
export function othersMeter(readFile: (path: string) => string, ownSeconds: () => number): { start(): unknown; stop(token: unknown): number } {
  const hz = 100; // USER_HZ: /proc/stat counts in 1/100 s on Linux
  const stat = (): [busy: number, total: number] | undefined => {
    try {
      const fields = readFile("/proc/stat").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
      const total = fields.reduce((a, b) => a + b, 0);
      return [total - fields[3]! - (fields[4] ?? 0), total];
    } catch {
      return undefined;
    }
  };
  return {
    start: () => [stat(), ownSeconds()],
    stop(token) {
      const [a, own0] = token as [[number, number] | undefined, number];
      const b = stat();
      if (a === undefined || b === undefined || b[1] === a[1]) return NaN;
      const others = b[0] - a[0] - (ownSeconds() - own0) * hz;
      return Math.max(0, others / (b[1] - a[1]));
    },
  };
}
