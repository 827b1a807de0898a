// `npm run bench:scale`: websession with a distributed store under churn. For a Redis Cluster
// (three masters) and a Postgres server, both started here on loopback and stopped by PID, it
// runs the Hono demo route (bench/scale-server.ts) in one and in three server processes on
// different ports, and measures:
//   - requests/s of the demo route (read, visits + 1, per-key store patch), every process loaded;
//   - sessions created at a fixed rate (default 1,000/s) for a bounded time (default 60 s): each
//     one logs in on one process, sets three keys at once on the others (concurrent per-key
//     patches) and is read back on another: any missing session or key is a lost session or a
//     lost update, and fails the command;
//   - the store's size after the sessions' lifetime (short, default 20 s): back to its baseline
//     (Redis: DBSIZE of every master; Postgres: live rows, then rows after the cleanup statement).
// Results go to bench/results/scale.json and BENCHMARKS.md's "scale" section.
//
//   npm run bench:scale [-- --stores redis-cluster,postgres --procs 1,3 --rate 1000 --duration 60 --lifetime 10 --load-seconds 5]

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import autocannon from "autocannon";
import pg from "pg";
import { startPostgres } from "../test/stores/postgres-server.ts";
import { startRedisCluster } from "../test/stores/redis-cluster.ts";
import { parseArgs } from "./cli.ts";
import { machineDescription, writeSection } from "./report.ts";

const args = parseArgs(process.argv.slice(2)).rest;
const stores = (args.stores ?? "redis-cluster,postgres").split(",");
const procCounts = (args.procs ?? "1,3").split(",").map(Number);
const rate = Number(args.rate ?? 1000);
const duration = Number(args.duration ?? 60);
const lifetime = Number(args.lifetime ?? 20);
const loadSeconds = Number(args["load-seconds"] ?? 5);
// Session flows in flight at most: when the servers fall behind the rate, the generator waits
// (and reports the rate it reached) instead of piling up unbounded work.
const MAX_IN_FLIGHT = Number(args["max-in-flight"] ?? 256);
const KEYS = 3;
const log = (line: string): void => console.log(`[scale] ${line}`);
const env = { ...process.env, TMPDIR: process.env.TMPDIR ?? `${process.cwd()}/.tmp` };

const running = new Set<ChildProcess>();
function stopAll(): void {
  for (const child of running) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
  running.clear();
}
process.on("exit", stopAll);

function startServer(kind: string, target: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/scale-server.ts", kind, target, String(lifetime)], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  running.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scale-server ${kind}: no "listening" line within 30 s`)), 30_000);
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.on("exit", (code) => reject(new Error(`scale-server ${kind}: exited (${code}) before listening`)));
  });
}

async function get(url: string, cookie?: string): Promise<{ status: number; body: string; cookie: string | undefined }> {
  const r = await fetch(url, cookie === undefined ? {} : { headers: { cookie } });
  return { status: r.status, body: await r.text(), cookie: r.headers.getSetCookie()[0]?.split(";")[0] };
}

/** Requests/s of the demo route with every process loaded at once (one session per process). */
async function demoRps(bases: string[]): Promise<{ rps: number; p99: number }> {
  const runs = await Promise.all(
    bases.map(async (base) => {
      const login = await get(`${base}/login?user=load`);
      if (login.cookie === undefined) throw new Error(`${base}/login set no cookie`);
      return autocannon({
        url: `${base}/`,
        connections: Math.max(4, Math.round(24 / bases.length)),
        duration: loadSeconds,
        headers: { cookie: login.cookie },
        timeout: 10,
      });
    }),
  );
  for (const r of runs)
    if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) throw new Error(`demo route load: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  return { rps: runs.reduce((sum, r) => sum + r.requests.total, 0) / loadSeconds, p99: Math.max(...runs.map((r) => r.latency.p99)) };
}

interface Churn {
  created: number;
  achievedRate: number;
  lostSessions: number;
  lostUpdates: number;
  /** Flows slower than the session lifetime (the session may rightly have expired): not checked. */
  outlived: number;
  errors: string[];
}

/** One session's life: log in on one process, 3 concurrent key writes on others, read back on another. */
async function flow(bases: string[], i: number, churn: Churn): Promise<void> {
  const at = (n: number): string => bases[(i + n) % bases.length]!;
  const t0 = performance.now();
  const login = await get(`${at(0)}/login?user=u${i}`);
  if (login.status !== 200 || login.cookie === undefined) throw new Error(`login answered ${login.status}`);
  churn.created++;
  const sets = await Promise.all(Array.from({ length: KEYS }, (_, k) => get(`${at(k + 1)}/set?k=k${k}&v=${i}`, login.cookie)));
  for (const s of sets) if (s.status !== 200) throw new Error(`set answered ${s.status}`);
  const read = await get(`${at(KEYS + 1)}/get`, login.cookie);
  const data = JSON.parse(read.body) as Record<string, unknown>;
  if (performance.now() - t0 >= (lifetime - 1) * 1000) churn.outlived++;
  else if (data.user !== `u${i}`) churn.lostSessions++;
  else for (let k = 0; k < KEYS; k++) if (data[`k${k}`] !== i) churn.lostUpdates++;
}

async function churnFor(bases: string[]): Promise<Churn> {
  const churn: Churn = { created: 0, achievedRate: 0, lostSessions: 0, lostUpdates: 0, outlived: 0, errors: [] };
  const flows = new Set<Promise<void>>();
  const t0 = performance.now();
  let started = 0;
  while (performance.now() - t0 < duration * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (started < due && flows.size < MAX_IN_FLIGHT) {
      const p: Promise<void> = flow(bases, started++, churn)
        .catch((error: unknown) => void churn.errors.push(String(error)))
        .finally(() => flows.delete(p));
      flows.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(flows);
  churn.achievedRate = churn.created / ((performance.now() - t0) / 1000);
  return churn;
}

interface StoreHandle {
  target: string;
  /** Sessions (plus anything else) the store holds now. */
  size(): Promise<number>;
  /** After expiry: live sessions left, and the size once expired data is gone. */
  afterExpiry(): Promise<{ live: number; size: number }>;
  stop(): Promise<void>;
}

async function openStore(kind: string): Promise<StoreHandle> {
  if (kind === "redis-cluster") {
    const cluster = await startRedisCluster();
    const size = async (): Promise<number> =>
      (await Promise.all(cluster.nodes.map((n) => cluster.cli(n.port, "DBSIZE")))).reduce((sum, out) => sum + Number(out.trim()), 0);
    return {
      target: JSON.stringify(cluster.seeds),
      size,
      async afterExpiry() {
        // Redis expires keys actively in the background: wait (bounded) for it to catch up.
        for (let i = 0; i < 60; i++) {
          const n = await size();
          if (n === 0) return { live: 0, size: 0 };
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        const n = await size();
        return { live: n, size: n };
      },
      stop: () => cluster.stop(),
    };
  }
  if (kind === "postgres") {
    const server = await startPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const count = async (where = ""): Promise<number> => {
      try {
        return Number((await client.query(`SELECT count(*) AS n FROM websession ${where}`)).rows[0].n);
      } catch (error) {
        if ((error as { code?: string }).code === "42P01") return 0; // no table yet
        throw error;
      }
    };
    return {
      target: server.url,
      size: () => count(),
      async afterExpiry() {
        const live = await count("WHERE expires_at > now()");
        // What the app schedules: the documented cleanup statement (postgresCleanup()).
        await client.query("DELETE FROM websession WHERE expires_at <= now()");
        return { live, size: await count() };
      },
      async stop() {
        await client.end();
        await server.stop();
      },
    };
  }
  throw new Error(`unknown store ${kind}; use redis-cluster or postgres`);
}

interface ScaleRow {
  store: string;
  procs: number;
  rps: number;
  p99: number;
  churn: Churn;
}
interface StoreResult {
  store: string;
  baseline: number;
  peak: number;
  after: { live: number; size: number };
  rows: ScaleRow[];
}

const loadAverage = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const results: StoreResult[] = [];
let failed = false;
for (const kind of stores) {
  log(`${kind}: starting the store on 127.0.0.1`);
  const store = await openStore(kind);
  try {
    const rows: ScaleRow[] = [];
    let baseline = -1;
    let peak = 0;
    for (const procs of procCounts) {
      const servers = await Promise.all(Array.from({ length: procs }, () => startServer(kind, store.target)));
      const bases = servers.map((s) => s.base);
      if (baseline < 0) baseline = await store.size(); // the table exists now (ensureSchema)
      try {
        log(`${kind}, ${procs} process(es) (${servers.map((s) => s.child.pid).join(", ")}): demo route for ${loadSeconds} s`);
        const demo = await demoRps(bases);
        log(`${kind}, ${procs} process(es): ${Math.round(demo.rps)} req/s (p99 ${demo.p99} ms); now ${rate} sessions/s for ${duration} s`);
        const churn = await churnFor(bases);
        peak = Math.max(peak, await store.size());
        log(
          `${kind}, ${procs} process(es): ${churn.created} sessions (${Math.round(churn.achievedRate)}/s), ${churn.lostSessions} lost sessions, ${churn.lostUpdates} lost updates, ${churn.outlived} flows outlived the lifetime, ${churn.errors.length} errors${churn.errors.length ? ` (first: ${churn.errors[0]})` : ""}`,
        );
        if (churn.lostSessions + churn.lostUpdates + churn.errors.length > 0) failed = true;
        // A check that skipped most flows proves nothing: the lifetime is too short for this machine.
        if (churn.outlived * 2 > churn.created) {
          log(`${kind}: ${churn.outlived} of ${churn.created} flows outlived the ${lifetime} s lifetime and were not checked; raise --lifetime`);
          failed = true;
        }
        rows.push({ store: kind, procs, rps: demo.rps, p99: demo.p99, churn: { ...churn, errors: churn.errors.slice(0, 5) } });
      } finally {
        for (const s of servers) if (s.child.pid !== undefined && s.child.exitCode === null) process.kill(s.child.pid, "SIGTERM");
      }
    }
    log(`${kind}: waiting ${lifetime + 2} s for every session to expire`);
    await new Promise((resolve) => setTimeout(resolve, (lifetime + 2) * 1000));
    const after = await store.afterExpiry();
    log(`${kind}: size ${baseline} before, ${peak} at peak, ${after.size} after expiry (${after.live} live sessions left)`);
    if (after.live > 0 || after.size !== baseline) failed = true;
    results.push({ store: kind, baseline, peak, after, rows });
  } finally {
    await store.stop();
  }
}

const run = { date: new Date().toISOString(), node: process.version, loadAverage: loadAverage(), rate, duration, lifetime, loadSeconds, results };
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/scale.json", `${JSON.stringify(run, null, 1)}\n`);
const label: Record<string, string> = {
  "redis-cluster": "Redis Cluster (3 masters, ioredis `Cluster`)",
  postgres: "Postgres (`pg` Pool, 8 connections per process)",
};
const out = [
  "## Scale: distributed stores under churn",
  "",
  "`npm run bench:scale`: the Hono demo route (`bench/scale-server.ts`: read the session, `visits + 1`, a per-key store",
  "patch) with websession on a Redis Cluster of three `redis-server` masters and on a Postgres server, both started on",
  "127.0.0.1 and stopped by PID, served by one and by three Node processes on different ports (the load generator spreads",
  "over them). **Demo route**: every process loaded at once with autocannon. **Churn**: sessions created at a fixed rate,",
  "each logging in on one process, setting three keys at once through the other processes (concurrent per-key patches)",
  "and read back on another; a missing session or key counts as lost. **Expiry**: after the sessions' lifetime the store",
  "must be back to its size before the run (Redis: `DBSIZE` of every master; Postgres: no live row, and the row count",
  "after the documented cleanup statement). Store, servers and load generator share the machine's 2 cores with other work.",
  "",
  `Machine: ${machineDescription()}. ${run.date.slice(0, 16).replace("T", " ")} UTC, Node ${run.node}; load average at the end ${run.loadAverage}.`,
  `Target rate ${rate} sessions/s for ${duration} s${duration < 60 ? " (shorter than the 60 s asked: this 2-core machine is shared, so each run is kept short)" : ""}, at most ${MAX_IN_FLIGHT} session flows in flight (when the servers fall behind, the generator waits, and the rate reached is reported); session lifetime ${lifetime} s; demo route loaded ${loadSeconds} s.`,
  "",
  "| store | server processes | demo route requests/s | p99 (ms) | sessions created | rate reached (/s) | lost sessions | lost updates | not checked (flow slower than the lifetime) | errors |",
  "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ...results.flatMap((r) =>
    r.rows.map(
      (row) =>
        `| ${label[r.store] ?? r.store} | ${row.procs} | ${Math.round(row.rps)} | ${row.p99} | ${row.churn.created} | ${Math.round(row.churn.achievedRate)} | ${row.churn.lostSessions} | ${row.churn.lostUpdates} | ${row.churn.outlived} | ${row.churn.errors.length} |`,
    ),
  ),
  "",
  "| store | size before | at peak | live sessions after expiry | size after expiry | back to baseline |",
  "|---|--:|--:|--:|--:|---|",
  ...results.map(
    (r) =>
      `| ${label[r.store] ?? r.store} | ${r.baseline} | ${r.peak} | ${r.after.live} | ${r.after.size} | ${r.after.live === 0 && r.after.size === r.baseline ? "yes" : "**no**"} |`,
  ),
];
writeSection("scale", out.join("\n"));
log(failed ? "FAILED: lost sessions, lost updates, errors or a store that did not return to its baseline (see above)" : "wrote BENCHMARKS.md");
process.exit(failed ? 1 : 0);
