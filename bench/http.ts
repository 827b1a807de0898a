// `npm run bench:http`: the same Hono app with each session library (and with none) served
// on 127.0.0.1 by Node (@hono/node-server) and Bun (Bun.serve), loaded with a fixed number
// of requests that each read, change and re-sign the session. Reports requests/s and the
// overhead against no session, into BENCHMARKS.md. Servers are stopped by PID.
//
// `--runtimes node-native` runs node:http and Express apps instead (bench/http-node-apps.ts):
// websession/node against express-session (MemoryStore) and cookie-session.
//
//   npm run bench:http [-- --runtimes node,bun,node-native --requests 30000 --connections 32 --rounds 3 --client wrk|autocannon --apps a,b --max-wait 180]

import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import autocannon from "autocannon";
import { parseArgs, waitForQuiet } from "./cli.ts";
import { APPS, APP_LABELS } from "./http-apps.ts";
import type { AppName as HonoAppName } from "./http-apps.ts";
import { NODE_APPS, NODE_APP_LABELS } from "./http-node-apps.ts";
import type { NodeAppName } from "./http-node-apps.ts";
import { machineDescription, writeSection } from "./report.ts";
import { net } from "./stats.ts";
import type { RunResult } from "./harness.ts";

type AppName = HonoAppName | NodeAppName;
const LABELS: Record<AppName, string> = { ...APP_LABELS, ...NODE_APP_LABELS };

const args = parseArgs(process.argv.slice(2));
const runtimes = args.runtimes ?? ["node", "bun", "node-native"];
const quick = process.argv.includes("--quick");
// A fixed number of requests per run: enough for a run of several seconds on each runtime.
const requestsFor = (runtime: string): number => Number(args.rest.requests ?? (quick ? 5_000 : runtime === "bun" ? 100_000 : 30_000));
const appsFor = (runtime: string): AppName[] =>
  (args.rest.apps?.split(",") as AppName[] | undefined) ?? (runtime === "node-native" ? [...NODE_APPS] : [...APPS]);
const connections = Number(args.rest.connections ?? 32);
const rounds = process.argv.some((a) => a.startsWith("--rounds")) ? args.rounds : quick ? 1 : 3;
const wrkPath = ["/usr/bin/wrk", "/usr/local/bin/wrk"].find((p) => existsSync(p));
// autocannon sends a fixed number of requests (the default); wrk runs for a fixed duration.
const client = (args.rest.client ?? "autocannon") as "wrk" | "autocannon";
const duration = Number(args.rest.duration ?? 10);
// How long each run waits for the rest of the machine to go quiet before measuring anyway.
const maxWaitSeconds = Number(args.rest["max-wait"] ?? 180);
if (client === "wrk" && wrkPath === undefined) throw new Error("--client wrk: wrk is not installed (apt-get install -y wrk), or use --client autocannon");
// A load run may take at most this long; a server slower than requests/MAX_SECONDS fails loudly.
const MAX_SECONDS = 120;
const log = (line: string): void => console.log(`[http] ${line}`);
// --bundle: the node-native servers run as one esbuild bundle (plain JS, what a user's build
// ships) instead of through tsx, whose esbuild `keepNames` wraps every named closure in a
// `__name()` call (an Object.defineProperty per closure per request) that published code never pays.
const bundled = process.argv.includes("--bundle");
const BUNDLE = `${process.env.TMPDIR ?? `${process.cwd()}/.tmp`}/bench-bundle/http-node-server.mjs`;
if (bundled && runtimes.includes("node-native")) {
  const { build } = await import("esbuild");
  await build({
    entryPoints: ["bench/http-node-server.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile: BUNDLE,
    logLevel: "warning",
  });
}
const env = { ...process.env, TMPDIR: process.env.TMPDIR ?? `${process.cwd()}/.tmp` };
const bun = existsSync("node_modules/.bin/bun") ? "node_modules/.bin/bun" : "bun";

interface Server {
  app: AppName;
  child: ChildProcess;
  port: number;
  cookie: string | undefined;
}

const running = new Set<ChildProcess>();
function stopAll(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
  }
  running.clear();
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}

function startServer(runtime: string, app: AppName): Promise<Server> {
  const [cmd, argv] =
    runtime === "bun"
      ? [bun, ["bench/http-server.ts", app, "0"]]
      : runtime === "node-native" && bundled
        ? [process.execPath, [BUNDLE, app, "0"]]
        : [process.execPath, ["--import", "tsx", runtime === "node-native" ? "bench/http-node-server.ts" : "bench/http-server.ts", app, "0"]];
  const child = spawn(cmd, argv, { env, stdio: ["ignore", "pipe", "inherit"] });
  running.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} ${app}: no "listening" line within 30 s`)), 30_000);
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ app, child, port: Number(m[1]), cookie: undefined });
      }
    });
    child.on("exit", (code) => reject(new Error(`${runtime} ${app}: server exited (${code}) before listening`)));
  });
}

function stop(server: Server): void {
  if (server.child.pid !== undefined && server.child.exitCode === null) process.kill(server.child.pid, "SIGTERM");
  running.delete(server.child);
}

/** Logs in, then proves a loaded request reads, changes and re-signs the session. */
async function login(server: Server): Promise<void> {
  const base = `http://127.0.0.1:${server.port}`;
  const first = await fetch(`${base}/login`);
  await first.text();
  if (server.app.endsWith("none")) return;
  const line = first.headers.getSetCookie()[0];
  if (line === undefined) throw new Error(`${server.app}: /login set no cookie`);
  // cookie-session writes a signature cookie beside the session's: send every cookie.
  server.cookie = first.headers
    .getSetCookie()
    .map((l) => l.split(";")[0]!)
    .join("; ");
  if (NODE_APPS.includes(server.app as NodeAppName)) {
    await checkNative(server, base);
    return;
  }
  const again = await fetch(`${base}/`, { headers: { cookie: server.cookie } });
  await again.text();
  const next = again.headers.getSetCookie()[0]?.split(";")[0];
  if (again.status !== 200 || next === undefined || next === server.cookie) {
    throw new Error(`${server.app}: GET / with the session cookie did not re-issue a changed cookie (status ${again.status})`);
  }
  const third = await fetch(`${base}/`, { headers: { cookie: next } });
  await third.text();
  if (third.headers.getSetCookie()[0]?.split(";")[0] === next) throw new Error(`${server.app}: the session did not change between requests`);
}

/**
 * Proves the node:http/Express contenders do the same work: a read-only visit answers the count
 * and sends no cookie; a write visit increments it and sends a cookie with an expiry (a new
 * signed cookie, or express-session's id cookie after its store write).
 */
async function checkNative(server: Server, base: string): Promise<void> {
  async function get(path: string): Promise<{ body: string; cookies: string[] }> {
    const r = await fetch(`${base}${path}`, { headers: { cookie: server.cookie! } });
    return { body: await r.text(), cookies: r.headers.getSetCookie() };
  }
  const serverSide = server.app.endsWith("express-session");
  const reads = [await get("/read"), await get("/read")];
  const w1 = await get("/");
  const w2 = await get("/");
  const after = await get("/read");
  const c0 = Number(reads[0]!.body);
  const problems: string[] = [];
  if (reads.some((r) => r.cookies.length > 0)) problems.push(`a read-only visit sent ${reads.flatMap((r) => r.cookies).join(" / ")}`);
  if (reads[1]!.body !== String(c0)) problems.push(`read-only visits answered ${reads.map((r) => r.body).join(", ")}`);
  for (const w of [w1, w2])
    if (!w.cookies.some((c) => /max-age|expires/i.test(c))) problems.push(`a write visit sent no persistent cookie (${w.cookies.join(" / ") || "nothing"})`);
  // Server-side state advances with every write; a cookie sent again is read again.
  const expected = [c0 + 1, serverSide ? c0 + 2 : c0 + 1, serverSide ? c0 + 2 : c0].map(String);
  const got = [w1.body, w2.body, after.body];
  if (got.join() !== expected.join()) problems.push(`write, write, read answered ${got.join(", ")}, not ${expected.join(", ")}`);
  if (problems.length > 0) throw new Error(`${server.app}: ${problems.join("; ")}`);
}

interface Load {
  /** Server CPU time (user + system) per request, in µs: robust when other work shares the machine. */
  cpuUs: number;
  rps: number;
  p50: number;
  p99: number;
  seconds: number;
}

// utime + stime of a process, in ms, from /proc (Linux); NaN elsewhere.
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

async function load(server: Server, amount: number, warmup = false, path = "/"): Promise<Load> {
  const cpu0 = cpuMsOf(server.child.pid);
  const loaded = await loadOnce(server, amount, warmup, path);
  return { ...loaded, cpuUs: ((cpuMsOf(server.child.pid) - cpu0) * 1000) / amount };
}

async function loadOnce(server: Server, amount: number, warmup: boolean, path: string): Promise<Omit<Load, "cpuUs">> {
  const url = `http://127.0.0.1:${server.port}${path}`;
  const headers: Record<string, string> = server.cookie === undefined ? {} : { cookie: server.cookie };
  if (client === "autocannon" || warmup) {
    const t0 = performance.now();
    const instance = autocannon({ url, connections, amount, headers, timeout: 10 });
    // autocannon only notices the end at its next 1 s tick: time the run to the last response.
    let last = t0;
    instance.on("response", () => {
      last = performance.now();
    });
    const timer = setTimeout(() => instance.stop(), MAX_SECONDS * 1000);
    const r = await instance;
    clearTimeout(timer);
    const seconds = (last - t0) / 1000;
    if (r.requests.total < amount) throw new Error(`${server.app}: only ${r.requests.total} of ${amount} requests within ${MAX_SECONDS} s`);
    if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) throw new Error(`${server.app}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
    return { rps: r.requests.total / seconds, p50: r.latency.p50, p99: r.latency.p99, seconds };
  }
  // wrk has no request count (its threads can stop early, but it still waits out -d), so
  // with wrk each run lasts a fixed --duration instead.
  const argv = ["-t2", `-c${connections}`, `-d${duration}s`, "--latency", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url];
  const t0 = performance.now();
  const r = spawnSync(wrkPath!, argv, { encoding: "utf8", timeout: (MAX_SECONDS + 10) * 1000 });
  const seconds = (performance.now() - t0) / 1000;
  const out = r.stdout ?? "";
  const done = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
  if (r.status !== 0 || done === null || /Non-2xx|Socket errors/.test(out)) throw new Error(`${server.app}: wrk failed: ${out}${r.stderr ?? ""}`);
  const ms = (re: RegExp): number => {
    const m = re.exec(out);
    if (m === null) return NaN;
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  const wrkSeconds = Number(done[2]) / (done[3] === "ms" ? 1000 : 1);
  return { rps: Number(done[1]) / wrkSeconds, p50: ms(/50%\s+([\d.]+)(us|ms|s)/), p99: ms(/99%\s+([\d.]+)(us|ms|s)/), seconds };
}

/** A read-only visit (`/read`, node-native only) or a write visit (`/`). */
type Scenario = "read" | "write";
const PATHS: Record<Scenario, string> = { read: "/read", write: "/" };

interface AppResult {
  app: AppName;
  /** Absent in results stored before scenarios existed: a write visit. */
  scenario?: Scenario;
  rps: number[];
  cpuUs?: number[];
  p50: number[];
  p99: number[];
}

interface HttpRun {
  runtime: string;
  version: string;
  client: string;
  requests: number;
  duration: number;
  connections: number;
  date: string;
  /** /proc/loadavg when the run ended: how busy the rest of the machine was. */
  loadAverage?: string;
  results: AppResult[];
}

function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

function versionOf(runtime: string): string {
  if (runtime === "node") return `Node ${process.version}`;
  if (runtime === "node-native")
    return `Node ${process.version}, node:http and Express 5${bundled ? " (servers bundled by esbuild, no tsx)" : " (servers through tsx)"}`;
  const r = spawnSync(bun, ["--version"], { encoding: "utf8" });
  return `Bun ${r.stdout.trim()}`;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const all: HttpRun[] = [];
for (const runtime of runtimes) {
  const apps = appsFor(runtime);
  log(`${runtime}: starting ${apps.length} servers on 127.0.0.1`);
  const servers: Server[] = [];
  try {
    for (const app of apps) servers.push(await startServer(runtime, app));
    const scenarios: Scenario[] = runtime === "node-native" ? ["read", "write"] : ["write"];
    for (const s of servers) {
      await login(s);
      log(`${runtime} ${s.app}: pid ${s.child.pid}, port ${s.port}; session round trip checked`);
      for (const scenario of scenarios) await load(s, Math.min(5_000, requestsFor(runtime)), true, PATHS[scenario]); // warm-up, untimed
    }
    const targets = scenarios.flatMap((scenario) => servers.map((server) => ({ server, scenario })));
    const keyOf = (app: AppName, scenario: Scenario): string => `${app} ${scenario}`;
    const results = new Map<string, AppResult>(
      targets.map(({ server: { app }, scenario }) => [keyOf(app, scenario), { app, scenario, rps: [], cpuUs: [], p50: [], p99: [] }]),
    );
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round so no app always runs first.
      const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
      for (const { server: s, scenario } of order) {
        await waitForQuiet((path) => readFileSync(path, "utf8"), log, 0.2, maxWaitSeconds * 1000);
        const r = await load(s, requestsFor(runtime), false, PATHS[scenario]);
        const entry = results.get(keyOf(s.app, scenario))!;
        entry.rps.push(r.rps);
        entry.cpuUs!.push(r.cpuUs);
        entry.p50.push(r.p50);
        entry.p99.push(r.p99);
        log(
          `${runtime} round ${round + 1}/${rounds} ${s.app} ${scenario}: ${Math.round(r.rps)} req/s, ${r.cpuUs.toFixed(0)} µs server CPU per request (p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.seconds.toFixed(1)} s)`,
        );
      }
    }
    const run: HttpRun = {
      runtime,
      version: versionOf(runtime),
      loadAverage: loadAverage(),
      client,
      requests: requestsFor(runtime),
      duration,
      connections,
      date: new Date().toISOString(),
      results: [...results.values()],
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(`bench/results/http-${runtime}${runtime === "node-native" && bundled ? "-bundled" : ""}.json`, `${JSON.stringify(run, null, 1)}\n`);
    all.push(run);
  } finally {
    for (const s of servers) stop(s);
    stopAll();
  }
}

// Report every runtime with stored results (this run's, and earlier ones for the others).
const stored = ["node", "bun", "node-native", "node-native-bundled"]
  .filter((r) => existsSync(`bench/results/http-${r}.json`))
  .map((r) => JSON.parse(readFileSync(`bench/results/http-${r}.json`, "utf8")) as HttpRun);
const out: string[] = [
  "## HTTP: the same Hono app under load, every request reading, changing and re-signing the session",
  "",
  "Each library runs in its own server process on 127.0.0.1 (Node: `@hono/node-server`; Bun: `Bun.serve`). Every",
  "request carries a valid session cookie; the app reads it, increments a counter, re-signs it and sets the cookie",
  "(the no-session app just answers). The load generator sends a fixed number of requests per run, the apps take",
  "turns each round, and the table gives the median of the rounds (lowest-highest in brackets). Load generator and",
  "server share the machine's 2 cores, so absolute numbers are modest; the ratios are the point.",
  "",
  `Machine: ${machineDescription()}.`,
];
for (const run of stored) {
  if (run.runtime === "node-native") {
    out.push(...nativeSection(run));
    continue;
  }
  const base = median(run.results.find((r) => r.app === "none")?.rps ?? [NaN]);
  const hono = median(run.results.find((r) => r.app === "hono-signed")?.rps ?? [NaN]);
  out.push(
    "",
    `### ${run.version}`,
    "",
    `${run.date.slice(0, 16).replace("T", " ")} UTC; ${run.client}, ${run.connections} connections, ${run.client === "wrk" ? `${run.duration} s` : `${run.requests} requests`} per run, ${run.results[0]?.rps.length ?? 0} rounds.`,
    "",
    "| app | requests/s | vs no session | overhead | vs Hono signed cookies | latency p50 / p99 (ms) |",
    "|---|--:|--:|--:|--:|--:|",
  );
  for (const r of run.results) {
    const rps = median(r.rps);
    const name = r.app === "websession" ? `**${LABELS[r.app]}**` : LABELS[r.app];
    out.push(
      `| ${name} | ${Math.round(rps)} (${Math.round(Math.min(...r.rps))}-${Math.round(Math.max(...r.rps))}) | ${(rps / base).toFixed(2)}x | ${r.app === "none" ? "–" : `${Math.round((1 - rps / base) * 100)}%`} | ${(rps / hono).toFixed(2)}x | ${median(r.p50).toFixed(2)} / ${median(r.p99).toFixed(2)} |`,
    );
  }
  const ws = median(run.results.find((r) => r.app === "websession")?.rps ?? [NaN]);
  out.push(
    "",
    `Targets: websession >= 3x Hono signed cookies: **${(ws / hono).toFixed(2)}x** (${ws / hono >= 3 ? "met" : "not met"}); >= 0.6x the no-session baseline: **${(ws / base).toFixed(2)}x** (${ws / base >= 0.6 ? "met" : "not met"}).`,
  );
}
writeSection("http", out.join("\n"));

// The node:http and Express table: websession/node against express-session and cookie-session,
// and its per-request cost against websession's own micro-benchmark (no adapter tax).
function nativeSection(run: HttpRun): string[] {
  const of = (app: NodeAppName, scenario: Scenario): AppResult | undefined => run.results.find((r) => r.app === app && (r.scenario ?? "write") === scenario);
  const rps = (app: NodeAppName, scenario: Scenario): number => median(of(app, scenario)?.rps ?? [NaN]);
  const cpu = (app: NodeAppName, scenario: Scenario): number => median(of(app, scenario)?.cpuUs ?? [NaN]);
  const lines = [
    "",
    `### ${run.version}`,
    "",
    "The same contract with Node's own servers: `node:http` with `websession/node`'s `withSession`, express-session",
    "(its MemoryStore) or cookie-session, and Express 5 with `websession/node`'s `session()` or express-session. Every",
    "contender does the same work, configured as its docs recommend for it: a persistent session (31-day cookie) whose",
    "cookie is sent only when the session changed: websession `permanent` with `refresh: false`, express-session",
    "`resave: false`, `saveUninitialized: false`, `cookie.maxAge` (no `rolling`), cookie-session `maxAge`. Two visits,",
    "each checked over HTTP before the load: **read** (`GET /read`: read the counter, answer it; no cookie is sent, no",
    "store write) and **write** (`GET /`: increment the counter; a new signed cookie, or express-session's store write",
    "plus its id cookie with a renewed expiry). Besides requests/s (which the load generator, sharing the 2 cores, and",
    "any other load on the machine disturb), the server's own CPU time per request is read from /proc: the cost each",
    "request puts on a dedicated core, and the basis of the overhead column.",
    "",
    `${run.date.slice(0, 16).replace("T", " ")} UTC; ${run.client}, ${run.connections} connections, ${run.client === "wrk" ? `${run.duration} s` : `${run.requests} requests`} per run, ${run.results[0]?.rps.length ?? 0} rounds${run.loadAverage === undefined ? "" : `; load average at the end ${run.loadAverage} (other work on the machine)`}.`,
    "",
    "| app | visit | requests/s | vs its no-session baseline | server CPU µs per request | CPU µs over the baseline | latency p50 / p99 (ms) |",
    "|---|---|--:|--:|--:|--:|--:|",
  ];
  for (const r of [...run.results].sort((x, y) => (x.scenario ?? "write").localeCompare(y.scenario ?? "write"))) {
    const app = r.app as NodeAppName;
    const scenario = r.scenario ?? "write";
    const baseline = app.startsWith("express") ? "express-none" : "node-none";
    const value = median(r.rps);
    const name = app.endsWith("websession") ? `**${LABELS[app]}**` : LABELS[app];
    const over = app.endsWith("none") ? "–" : (cpu(app, scenario) - cpu(baseline, scenario)).toFixed(1);
    lines.push(
      `| ${name} | ${app.endsWith("none") ? "(no session)" : scenario} | ${Math.round(value)} (${Math.round(Math.min(...r.rps))}-${Math.round(Math.max(...r.rps))}) | ${(value / rps(baseline, scenario)).toFixed(2)}x | ${cpu(app, scenario).toFixed(1)} | ${over} | ${median(r.p50).toFixed(2)} / ${median(r.p99).toFixed(2)} |`,
    );
  }
  const micro = existsSync("bench/results/micro-node.json") ? (JSON.parse(readFileSync("bench/results/micro-node.json", "utf8")) as RunResult) : undefined;
  lines.push("", "Targets (ratios from this run):", "");
  for (const scenario of ["read", "write"] as const) {
    const nodeRatio = rps("node-websession", scenario) / rps("node-express-session", scenario);
    const expressRatio = rps("express-websession", scenario) / rps("express-express-session", scenario);
    const nodeCpuRatio = cpu("node-express-session", scenario) / cpu("node-websession", scenario);
    const expressCpuRatio = cpu("express-express-session", scenario) / cpu("express-websession", scenario);
    const overhead = cpu("node-websession", scenario) - cpu("node-none", scenario);
    // The micro-benchmark's matching path: a read-only visit is its `read`, a write visit its `full`.
    const microPath = scenario === "read" ? "read" : "full";
    const microUs = micro === undefined ? undefined : net(micro, "websession-signed", "small", microPath, 1);
    const adapterRatio = microUs === undefined ? NaN : overhead / microUs;
    lines.push(
      `- **${scenario}** visit: websession >= 2x express-session's requests/s: node:http **${nodeRatio.toFixed(2)}x** (${nodeRatio >= 2 ? "met" : "not met"}), Express **${expressRatio.toFixed(2)}x** (${expressRatio >= 2 ? "met" : "not met"}); by server CPU per request (requests/s on a dedicated core): node:http **${nodeCpuRatio.toFixed(2)}x**, Express **${expressCpuRatio.toFixed(2)}x**.`,
      `  Per-request overhead of node:http + websession over bare node:http: **${overhead.toFixed(1)} µs** of server CPU, against ${microUs === undefined ? "no micro-benchmark result (run `npm run bench`)" : `${microUs.toFixed(1)} µs net for websession's own \`${microPath}\` path (micro-benchmark, small session)`}: **${adapterRatio.toFixed(2)}x** (target <= 1.25x: ${adapterRatio <= 1.25 ? "met" : "not met"}).`,
    );
  }
  return lines;
}
log("wrote BENCHMARKS.md");
process.exit(0);
