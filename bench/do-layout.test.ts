// Durable Object layout: the same session workload through durableObjectStore with one object
// per session (shardPrefixLength 0), 64 shared objects (1) and 4096 (2), inside workerd.
// Prints requests/s and latency percentiles; README "Durable Objects" quotes the numbers.

import { abortAllDurableObjects, env } from "cloudflare:test";
import { test } from "vitest";
import { createSessions } from "../src/index.ts";
import { durableObjectStore } from "../src/stores/durable-object.ts";
import type { DurableObjectNamespaceLike } from "../src/stores/durable-object.ts";

const ns = (env as unknown as { SESSION_OBJECTS: DurableObjectNamespaceLike }).SESSION_OBJECTS;
const SECRET = "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o";
const SESSIONS = 60;
const CONCURRENCY = 32;

/** Per session: a login, then reads and writes in the ratio of a typical app (4 reads : 1 write). */
const REQUESTS_PER_SESSION = 10;

async function workload(shardPrefixLength: 0 | 1 | 2): Promise<{ rps: number; p50: number; p99: number }> {
  const sessions = createSessions({
    secret: SECRET,
    storeTimeout: 10_000,
    store: durableObjectStore(ns, { prefix: `bench${shardPrefixLength}:${crypto.randomUUID()}:`, shardPrefixLength }),
  });
  const app = sessions.handle((request, session) => {
    if (new URL(request.url).pathname === "/write") session.set("n", ((session.get("n") as number | undefined) ?? 0) + 1);
    else session.get("user");
    return new Response("ok");
  });
  const login = sessions.handle((_r, session) => (session.set("user", "ada"), new Response("ok")));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  async function worker(): Promise<void> {
    while (next < SESSIONS) {
      next++;
      const res = await login(new Request("https://app.example/login"));
      const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
      for (let n = 0; n < REQUESTS_PER_SESSION; n++) {
        const t = performance.now();
        await app(new Request(`https://app.example/${n % 5 === 4 ? "write" : "read"}`, { headers: { cookie } }));
        latencies.push(performance.now() - t);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!;
  return { rps: (SESSIONS * (REQUESTS_PER_SESSION + 1)) / seconds, p50: at(0.5), p99: at(0.99) };
}

test("Durable Object layout: one object per session vs sharded by key prefix", async () => {
  await workload(0); // warm-up
  const rows: string[] = [];
  // Each round in a different order: later runs are slower (every object created so far stays
  // in the one local workerd process), so no layout always runs last.
  const orders = [
    [0, 1, 2],
    [1, 2, 0],
    [2, 0, 1],
  ] as const;
  for (const [index, order] of orders.entries()) {
    const round = index + 1;
    for (const shard of order) {
      // Start each run from no live instances (objects created by earlier runs stay on disk).
      await abortAllDurableObjects();
      const r = await workload(shard);
      rows.push(
        `round ${round}  shardPrefixLength ${shard} (${["one per session", "64 objects", "4096 objects"][shard]}): ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
      );
    }
  }
  console.log(rows.join("\n"));
});
