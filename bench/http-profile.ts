// `npm run bench:http:profile`: where a node:http request's time goes. Serves one app of
// bench/http-node-apps.ts under `node --cpu-prof` on 127.0.0.1, loads one visit with autocannon,
// stops the server by PID (SIGTERM: it exits and writes the profile), and prints the frames with
// the most self time, then the same grouped by where the code lives.
//
//   npm run bench:http:profile [-- --app node-websession --path / --requests 30000 --top 25]

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import autocannon from "autocannon";
import { parseArgs } from "./cli.ts";

const args = parseArgs(process.argv.slice(2)).rest;
const app = args.app ?? "node-websession";
const path = args.path ?? "/";
const requests = Number(args.requests ?? 30_000);
const top = Number(args.top ?? 25);
const tmp = process.env.TMPDIR ?? `${process.cwd()}/.tmp`;
mkdirSync(tmp, { recursive: true });
const dir = mkdtempSync(join(tmp, "cpu-prof-"));

// --bundle: profile an esbuild bundle of the server (plain JS, as users ship it) instead of tsx's
// on-the-fly transform (whose keepNames adds a `__name()` call per named closure).
const bundle = join(tmp, "bench-bundle", "http-node-server.mjs");
if (process.argv.includes("--bundle")) {
  const { build } = await import("esbuild");
  await build({
    entryPoints: ["bench/http-node-server.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile: bundle,
    logLevel: "warning",
  });
}
const server = process.argv.includes("--bundle") ? [bundle] : ["--import", "tsx", "bench/http-node-server.ts"];
const child = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, ...server, app, "0"], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise<number>((resolve, reject) => {
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const m = /listening (\d+)/.exec(out);
    if (m !== null) resolve(Number(m[1]));
  });
  child.on("exit", (code) => reject(new Error(`${app}: server exited (${code}) before listening`)));
});
const base = `http://127.0.0.1:${port}`;
const login = await fetch(`${base}/login`);
await login.text();
const cookie = login.headers
  .getSetCookie()
  .map((l) => l.split(";")[0]!)
  .join("; ");
// Only the samples taken under load count (not start-up): V8's profile clock and hrtime are
// both the system's monotonic clock, in µs here.
const loadStart = Number(process.hrtime.bigint() / 1000n);
const r = await autocannon({ url: `${base}${path}`, connections: 16, amount: requests, headers: cookie === "" ? {} : { cookie }, timeout: 10 });
const loadEnd = Number(process.hrtime.bigint() / 1000n);
if (r.errors > 0 || r.non2xx > 0) throw new Error(`${app}: ${r.errors} errors, ${r.non2xx} non-2xx`);
const exited = new Promise((resolve) => child.on("exit", resolve));
process.kill(child.pid!, "SIGTERM");
await exited;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
const selfUs = new Map<number, number>();
let at = profile.startTime;
let inWindow = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  const next = profile.timeDeltas[i + 1] ?? 0;
  if (at < loadStart || at > loadEnd) return;
  inWindow++;
  selfUs.set(id, (selfUs.get(id) ?? 0) + next);
});
if (inWindow === 0) throw new Error("no profile sample falls inside the load window: is the profile clock not the monotonic clock?");
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

const where = (url: string): string => {
  if (url === "") return "V8 / native (GC, idle, program)";
  if (url.includes("/adapters/")) return "websession adapter (adapters/)";
  if (url.includes("/src/")) return "websession core (src/)";
  if (url.includes("node_modules/")) return `dependency ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]}`;
  if (url.startsWith("node:")) return `Node internals (${url.replace(/^node:internal\/|^node:/, "").split("/")[0]})`;
  return url;
};
const frames = new Map<string, number>();
const groups = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === "(idle)") {
    idle += us;
    continue;
  }
  total += us;
  const short = url.replace(/^.*\/(src|adapters|node_modules)\//, "$1/");
  const name = `${functionName || "(anonymous)"} ${short}${url === "" ? "" : `:${lineNumber + 1}`}`;
  frames.set(name, (frames.get(name) ?? 0) + us);
  groups.set(where(url), (groups.get(where(url)) ?? 0) + us);
}
if (idle + total < (loadEnd - loadStart) * 0.5)
  console.log(`(warning: the samples cover ${(((idle + total) / (loadEnd - loadStart)) * 100).toFixed(0)}% of the load window)`);
const perRequest = (us: number): string => `${(us / requests).toFixed(1)} µs/req`;
console.log(
  `${app} ${path}: ${requests} requests, ${Math.round(r.requests.average)} req/s; busy CPU ${perRequest(total)} (idle ${(idle / 1e6).toFixed(1)} s); profile ${join(dir, file)}`,
);
console.log(`\nTop ${top} frames by self time:`);
for (const [name, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${perRequest(us).padStart(12)}  ${name}`);
console.log("\nBy where the code lives:");
for (const [name, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${perRequest(us).padStart(12)}  ${name}`);
