// The runtime-independent half of the benchmark: set every contender up, prove it works
// (round trip, tamper rejection) before timing anything, list the timed tasks, run them in
// interleaved rounds, and keep per-round quantiles. Web globals only (runs inside workerd).

import { Unavailable } from "./contenders.ts";
import type { Contender, Instance, Kind, Scenario } from "./contenders.ts";
import { SIZES, dataOf, requestTo, sink } from "./fixtures.ts";
import type { Size } from "./fixtures.ts";

export const SCENARIOS: readonly Scenario[] = ["read", "write", "full", "untouched"];
/** Requests in flight: one at a time, and 16 at once (Promise.all of 16). */
export const CONCURRENCY: readonly number[] = [1, 16];

/** One timed unit: a contender, a size, a scenario and a concurrency. */
export interface Task {
  key: string;
  contender: string;
  size: Size;
  scenario: Scenario;
  concurrency: number;
  run: () => Promise<unknown>;
}

export interface ContenderInfo {
  id: string;
  label: string;
  kind: Kind;
  webStandard: boolean;
  viaHono: boolean;
  /** Measured without any request handler (Flask's serializer in Python): its net cost is its whole time. */
  noHandler?: boolean;
  note: string;
  /** Length of the `name=value` pair each size produces. */
  cookieBytes: Partial<Record<Size, number>>;
}

export interface Prepared {
  contenders: ContenderInfo[];
  skipped: Array<{ id: string; label: string; reason: string }>;
  /** Facts found while proving (such as peers that throw on a tampered cookie). */
  notes: string[];
  tasks: Task[];
}

/** Quantiles of one round's samples, in nanoseconds per request. */
export interface RoundStats {
  p25: number;
  p50: number;
  p75: number;
  n: number;
}

export interface TaskResult {
  contender: string;
  size: Size;
  scenario: Scenario;
  concurrency: number;
  rounds: RoundStats[];
}

/** The state of the machine before each round: the fraction of all CPUs busy elsewhere. */
export interface RoundInfo {
  busyBefore: number;
  seconds: number;
  /** Comparisons re-run because the machine was busy while they ran. */
  retried: number;
  /** Highest share of all CPUs used elsewhere during a kept comparison. */
  worstOthers: number;
}

/** Takes timing samples of `run`: nanoseconds per request, `concurrency` requests in flight. */
export type Sampler = (run: () => Promise<unknown>, concurrency: number, budgetMs: number) => Promise<number[]>;

export function taskKey(contender: string, size: Size, scenario: Scenario, concurrency: number): string {
  return `${contender}|${size}|${scenario}|${concurrency}`;
}

class ProofError extends Error {}
const THREW = Symbol("threw");
/** Contenders that rejected some tampered cookie by throwing (a 500 in an app), with the paths. */
export const rejectsByThrowing: Set<string> = new Set<string>();

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ProofError(message);
}

/** The `name=value` pair of the only Set-Cookie a response carries (one is required). */
function cookiePair(response: Response, what: string): string {
  const lines = response.headers.getSetCookie();
  assert(lines.length === 1, `${what}: expected exactly one Set-Cookie, got ${lines.length}: ${JSON.stringify(lines)}`);
  return lines[0]!.split(";")[0]!;
}

// JSON with object keys sorted (Flask's format sorts them, like Flask does).
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

function sameData(actual: Record<string, unknown> | null, expected: Record<string, unknown>): boolean {
  if (actual === null) return false;
  return Object.keys(expected).every((k) => canonical(actual[k]) === canonical(expected[k]));
}

/**
 * Tampered copies of a `name=value` pair: one changed character at the start, the middle,
 * 10 and 46 from the end (signature or tag; key id) of the value, and the value truncated by one.
 * Only alphanumerics are changed, to one that differs in the high bits of a base64 digit.
 */
export function tamperedPairs(pair: string): string[] {
  const eq = pair.indexOf("=") + 1;
  const name = pair.slice(0, eq);
  const value = pair.slice(eq);
  const out = new Set<string>();
  for (const target of [0, value.length >> 1, value.length - 10, value.length - 46]) {
    for (let i = Math.max(0, target); i < value.length; i++) {
      const c = value[i]!;
      if (!/[A-Za-z0-9]/.test(c)) continue;
      const replacement = /[A-P]/.test(c) ? "w" : "A";
      out.add(`${name}${value.slice(0, i)}${replacement}${value.slice(i + 1)}`);
      break;
    }
  }
  out.add(`${name}${value.slice(0, -1)}`);
  out.delete(pair);
  return [...out];
}

/**
 * Proves an instance does the job before it is timed: the write path round-trips the data,
 * the read path sees it without setting a cookie, the full cycle increments the counter,
 * a request that never touches the session gets no cookie, and every tampered cookie is a
 * fresh session on every path. Returns the valid cookie pair for the timed requests.
 */
export async function prove(contender: Contender, instance: Instance, size: Size): Promise<string> {
  const what = `${contender.id} (${size})`;
  const data = dataOf(size);
  const pair = cookiePair(await instance.write(requestTo("/write")), `${what} write`);
  assert(sameData(await instance.decode(pair), data), `${what}: the written cookie does not decode to the data`);

  sink.value = undefined;
  const read = await instance.read(requestTo("/read", pair));
  assert(read.status === 200, `${what} read: status ${read.status}`);
  assert(sink.value === data.user, `${what} read: read ${JSON.stringify(sink.value)}, expected ${JSON.stringify(data.user)}`);
  assert(read.headers.getSetCookie().length === 0, `${what} read: a read-only request set a cookie`);

  // A server-side store may keep the cookie (an id) and write only the store: no Set-Cookie.
  const next = (response: Response, previous: string, step: string): string =>
    response.headers.getSetCookie().length === 0 ? previous : cookiePair(response, `${what} ${step}`);
  const once = next(await instance.full(requestTo("/full", pair)), pair, "full");
  const twice = next(await instance.full(requestTo("/full", once)), once, "full (again)");
  assert(sameData(await instance.decode(twice), { ...data, visits: data.visits + 2 }), `${what} full: two full cycles did not add 2 to visits`);

  if (instance.untouched !== undefined) {
    const untouched = await instance.untouched(requestTo("/untouched", pair));
    assert(untouched.headers.getSetCookie().length === 0, `${what} untouched: set a cookie`);
  }

  const tampered = tamperedPairs(pair);
  assert(tampered.length >= 4, `${what}: could not build tampered cookies from ${pair}`);
  // Rejection means "not accepted": a fresh session, or (a peer's choice, noted) an exception.
  const throws: string[] = [];
  const orThrow = async <T>(path: string, f: () => Promise<T>): Promise<T | typeof THREW> => {
    try {
      return await f();
    } catch {
      throws.push(path);
      return THREW;
    }
  };
  for (const bad of tampered) {
    const decoded = await orThrow("decode", () => instance.decode(bad));
    assert(decoded === null || decoded === THREW, `${what}: accepted the tampered cookie ${bad}`);
    sink.value = undefined;
    await orThrow("read", () => instance.read(requestTo("/read", bad)));
    assert(sink.value === undefined, `${what} read: accepted the tampered cookie ${bad}`);
    const response = await orThrow("full", () => instance.full(requestTo("/full", bad)));
    if (response !== THREW) {
      const after = await instance.decode(cookiePair(response, `${what} full (tampered)`));
      assert(
        after !== null && after.user === undefined && after.visits === 1,
        `${what} full: a tampered cookie was not a fresh session: ${JSON.stringify(after)}`,
      );
    }
  }
  if (throws.length > 0) rejectsByThrowing.add(`${contender.id}: ${[...new Set(throws)].join(", ")}`);
  return pair;
}

// Some libraries log a rejected cookie (@hono/session prints jose's error); keep proofs quiet.
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const error = console.error;
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.error = error;
  }
}

export interface PrepareOptions {
  sizes?: readonly Size[];
  scenarios?: readonly Scenario[];
  concurrency?: readonly number[];
  /** Only these contender ids (baselines are always kept). */
  only?: readonly string[];
  log?: (line: string) => void;
}

/** Sets up and proves every contender for every size; throws on the first failed proof. */
export async function prepare(contenders: readonly Contender[], options: PrepareOptions = {}): Promise<Prepared> {
  const sizes = options.sizes ?? SIZES;
  const scenarios = options.scenarios ?? SCENARIOS;
  const concurrency = options.concurrency ?? CONCURRENCY;
  const log = options.log ?? (() => {});
  const infos: ContenderInfo[] = [];
  const skipped: Prepared["skipped"] = [];
  const tasks: Task[] = [];
  for (const contender of contenders) {
    if (options.only !== undefined && contender.kind !== "baseline" && !options.only.includes(contender.id)) continue;
    const info: ContenderInfo = {
      id: contender.id,
      label: contender.label,
      kind: contender.kind,
      webStandard: contender.webStandard,
      viaHono: contender.viaHono ?? false,
      note: contender.note,
      cookieBytes: {},
    };
    try {
      for (const size of sizes) {
        const instance = await contender.create(size);
        const pair = contender.kind === "baseline" ? "" : await quietly(() => prove(contender, instance, size));
        info.cookieBytes[size] = pair.length;
        for (const scenario of scenarios) {
          const handler = instance[scenario];
          if (handler === undefined) continue;
          const request = requestTo(`/${scenario}`, scenario === "write" || pair === "" ? undefined : pair);
          const run = (): Promise<Response> => handler(request);
          for (const c of scenario === "untouched" ? [1] : concurrency) {
            tasks.push({ key: taskKey(contender.id, size, scenario, c), contender: contender.id, size, scenario, concurrency: c, run });
          }
        }
      }
    } catch (error) {
      if (error instanceof Unavailable) {
        skipped.push({ id: contender.id, label: contender.label, reason: error.message });
        log(`skip  ${contender.id}: ${error.message}`);
        continue;
      }
      if (error instanceof ProofError) throw new Error(`PROOF FAILED: ${error.message}`);
      throw new Error(`${contender.id} failed to set up: ${(error as Error).stack ?? error}`);
    }
    infos.push(info);
    log(
      `ok    ${contender.id}${contender.kind === "baseline" ? "" : ": round trip and tamper rejection proven"} (cookie ${sizes.map((s) => `${s} ${info.cookieBytes[s]} B`).join(", ")})`,
    );
  }
  const notes = [...rejectsByThrowing].map((n) => `rejects some tampered cookies by throwing (a 500 unless caught): ${n}`);
  return { contenders: infos, skipped, notes, tasks: orderTasks(tasks) };
}

// Tasks of one comparison (same size, scenario, concurrency) run next to each other, so the
// contenders it compares are measured close together in time.
function orderTasks(tasks: Task[]): Task[] {
  const cell = (t: Task): string => `${SCENARIOS.indexOf(t.scenario)}|${t.size}|${t.concurrency}`;
  return [...tasks].sort((a, b) => (cell(a) < cell(b) ? -1 : cell(a) > cell(b) ? 1 : 0));
}

/** Quantiles of a sample list (nearest rank), in the samples' unit. */
export function roundStats(samples: number[]): RoundStats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))]!;
  return { p25: q(0.25), p50: q(0.5), p75: q(0.75), n: s.length };
}

export interface RunOptions {
  rounds: number;
  budgetMs: number;
  /** Untimed time per task before the first round (JIT warm-up). */
  warmupMs: number;
  log?: (line: string) => void;
  /** Called before each round; returns how busy the rest of the machine was (0..1). */
  beforeRound?: () => Promise<number>;
  /**
   * Measures the rest of the machine's CPU use while one comparison runs (0..1 of all CPUs).
   * A comparison measured while others used more than `maxOthers` is thrown away and run
   * again after `beforeRound` (at most twice).
   */
  meter?: { start(): unknown; stop(token: unknown): number };
  maxOthers?: number;
}

/**
 * Runs every task once per round (after one warm-up pass), in the order of {@link prepare}
 * but with the contenders of each comparison rotated every round, so no contender always
 * runs first or last. `measure` returns nanoseconds per request.
 */
export async function runRounds(
  tasks: readonly Pick<Task, "key" | "contender" | "size" | "scenario" | "concurrency">[],
  measure: (key: string, budgetMs: number) => Promise<number[]>,
  options: RunOptions,
): Promise<{ results: Record<string, TaskResult>; rounds: RoundInfo[] }> {
  const log = options.log ?? (() => {});
  const roundInfo: RoundInfo[] = [];
  const results: Record<string, TaskResult> = {};
  for (const t of tasks) results[t.key] = { contender: t.contender, size: t.size, scenario: t.scenario, concurrency: t.concurrency, rounds: [] };
  const cells = new Map<string, string[]>();
  for (const t of tasks) {
    const cell = `${t.scenario}|${t.size}|${t.concurrency}`;
    cells.set(cell, [...(cells.get(cell) ?? []), t.key]);
  }
  const started = Date.now();
  for (const key of tasks.map((t) => t.key)) await measure(key, options.warmupMs);
  log(`warm-up done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (let round = 0; round < options.rounds; round++) {
    const busyBefore = options.beforeRound === undefined ? NaN : await options.beforeRound();
    const t0 = Date.now();
    let retried = 0;
    let worstOthers = 0;
    for (const keys of cells.values()) {
      const shift = round % keys.length;
      const order = [...keys.slice(shift), ...keys.slice(0, shift)];
      for (let attempt = 0; ; attempt++) {
        const token = options.meter?.start();
        const stats: RoundStats[] = [];
        for (const key of order) stats.push(roundStats(await measure(key, options.budgetMs)));
        const others = options.meter === undefined ? NaN : options.meter.stop(token);
        if (attempt < 2 && others > (options.maxOthers ?? 0.3)) {
          retried++;
          log(`busy machine (${Math.round(others * 100)}% of all CPUs used elsewhere) during ${order[0]!.split("|").slice(1).join(" ")}; measuring it again`);
          await options.beforeRound?.();
          continue;
        }
        if (!Number.isNaN(others)) worstOthers = Math.max(worstOthers, others);
        order.forEach((key, i) => results[key]!.rounds.push(stats[i]!));
        break;
      }
    }
    roundInfo.push({ busyBefore, seconds: (Date.now() - t0) / 1000, retried, worstOthers });
    log(
      `round ${round + 1}/${options.rounds} done in ${((Date.now() - t0) / 1000).toFixed(0)} s (machine ${Number.isNaN(busyBefore) ? "?" : `${Math.round(busyBefore * 100)}%`} busy before it)`,
    );
  }
  return { results, rounds: roundInfo };
}

/**
 * A sampler for runtimes where mitata cannot run (workerd forbids code generation, and its
 * clock ticks in whole milliseconds): it times batches of at least `minBatchMs` and divides.
 */
export function clockSampler(now: () => number = () => performance.now(), minBatchMs = 20): Sampler {
  async function batch(run: () => Promise<unknown>, n: number, concurrency: number): Promise<number> {
    const t0 = now();
    if (concurrency === 1) {
      for (let i = 0; i < n; i++) await run();
    } else {
      const inFlight = new Array<Promise<unknown>>(concurrency);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < concurrency; j++) inFlight[j] = run();
        await Promise.all(inFlight);
      }
    }
    return now() - t0;
  }
  return async (run, concurrency, budgetMs) => {
    let n = 1;
    for (;;) {
      const ms = await batch(run, n, concurrency);
      if (ms >= minBatchMs || n >= 1 << 22) break;
      n *= ms < minBatchMs / 8 ? 8 : 2;
    }
    const samples: number[] = [];
    const end = now() + budgetMs;
    while (samples.length < 5 || (now() < end && samples.length < 10_000)) {
      samples.push(((await batch(run, n, concurrency)) * 1e6) / (n * concurrency));
    }
    return samples;
  };
}

/** The whole result of one runtime's run, as written to bench/results/micro-<runtime>.json. */
export interface RunResult {
  runtime: string;
  version: string;
  engine: string;
  sampler: string;
  date: string;
  rounds: number;
  budgetMs: number;
  contenders: ContenderInfo[];
  skipped: Prepared["skipped"];
  notes: string[];
  roundInfo: RoundInfo[];
  results: Record<string, TaskResult>;
}
