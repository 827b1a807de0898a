// The micro-benchmark inside workerd (bundled by bench/workerd.ts, run by Miniflare): the same
// contenders and proofs as on the other runtimes, timed here by the batch clock sampler,
// since workerd forbids mitata's code generation and its clock ticks in milliseconds.

import { webContenders } from "./contenders.ts";
import { clockSampler, prepare } from "./harness.ts";
import type { Prepared, PrepareOptions } from "./harness.ts";

let prepared: Promise<Prepared> | undefined;
const lines: string[] = [];
const sampler = clockSampler();

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/prepare") {
    const options = JSON.parse(url.searchParams.get("options") ?? "{}") as PrepareOptions;
    prepared ??= webContenders().then((contenders) => prepare(contenders, { ...options, log: (line) => lines.push(line) }));
    const p = await prepared;
    return Response.json({
      contenders: p.contenders,
      skipped: p.skipped,
      notes: p.notes,
      log: lines,
      tasks: p.tasks.map(({ run: _, ...task }) => task),
    });
  }
  if (url.pathname === "/measure") {
    const p = await prepared!;
    const key = url.searchParams.get("key")!;
    const task = p.tasks.find((t) => t.key === key);
    if (task === undefined) return new Response(`no task ${key}`, { status: 404 });
    const samples = await sampler(task.run, task.concurrency, Number(url.searchParams.get("budget")));
    return Response.json(samples);
  }
  return new Response("not found", { status: 404 });
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await handle(request);
    } catch (error) {
      return new Response(String((error as Error).stack ?? error), { status: 500 });
    }
  },
};
