// The reshaped core against a previous release, in one run (issue #13: "behaviour, output bytes
// and benchmarks do not regress"). Usage: tsx bench/compare-release.ts <path of the old checkout>
// (e.g. `git worktree add --detach ../v010 <tag>`). Interleaved rounds, median per op.

import { pathToFileURL } from "node:url";

const oldRoot = process.argv[2];
if (oldRoot === undefined) throw new Error("usage: tsx bench/compare-release.ts <old checkout>");
type Lib = typeof import("../src/index.ts");
const current = (await import("../src/index.ts")) as Lib;
const previous = (await import(pathToFileURL(`${oldRoot}/src/index.ts`).href)) as Lib;
const SECRET = "Ec3JyiFTT7HIG5dKpn5kHq3lNvN6_jAwRF4Si0f8f3o";

async function cycle(lib: Lib, format: "signed" | "sealed" | "flask"): Promise<() => Promise<void>> {
  const sessions = lib.createSessions<{ user?: string; visits?: number }>({ secret: SECRET, format, cookie: { secure: true } });
  const first = await sessions.handle((_r, s) => (s.set("user", "ada"), s.set("visits", 1), new Response("ok")))(new Request("https://app.example/"));
  const cookie = first.headers.getSetCookie()[0]!.split(";")[0]!;
  const request = new Request("https://app.example/", { headers: { cookie } });
  return async () => {
    const session = await sessions.load(request);
    session.set("visits", (session.get("visits") ?? 0) + 1);
    await sessions.commit(session, new Response("ok"));
  };
}

async function timeOf(run: () => Promise<void>, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await run();
  return ((performance.now() - start) * 1000) / n;
}

console.log("| format | 0.1.0 µs/cycle | now µs/cycle | now / 0.1.0 |\n| --- | --- | --- | --- |");
for (const format of ["signed", "sealed", "flask"] as const) {
  const runs = { old: await cycle(previous, format), now: await cycle(current, format) };
  const n = format === "signed" ? 3000 : 1000;
  await timeOf(runs.old, n / 4);
  await timeOf(runs.now, n / 4);
  const old: number[] = [];
  const now: number[] = [];
  for (let round = 0; round < 7; round++) {
    old.push(await timeOf(runs.old, n));
    now.push(await timeOf(runs.now, n));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`| ${format} | ${median(old).toFixed(1)} | ${median(now).toFixed(1)} | ${(median(now) / median(old)).toFixed(2)} |`);
}
