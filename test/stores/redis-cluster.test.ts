// redisStore against a real Redis Cluster (three redis-server masters started here on free
// ports, stopped by PID), with node-redis createCluster and ioredis Cluster: the store
// contract, 50 parallel writers, destroy racing a slow write, a slot moved during traffic,
// and an outage of every master.

import Redis from "ioredis";
import type { Cluster } from "ioredis";
import { createCluster } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionStore, SessionsOptions } from "../../src/index.ts";
import { redisStore } from "../../src/stores/redis.ts";
import type { RedisClientLike } from "../../src/stores/redis.ts";
import { cookieOf } from "../helpers.ts";
import { registerStoreContract } from "./contract.ts";
import { appOver, destroyRaces, killMidRequest, ok, parallelWriters, pause, storeKeyOfCookie } from "./races.ts";
import { startRedisCluster } from "./redis-cluster.ts";
import type { RedisCluster } from "./redis-cluster.ts";

/** One cluster client library, as the tests drive it (the store sees only `client`). */
interface TestClient {
  readonly client: RedisClientLike;
  /** Milliseconds to live, -2 when absent. */
  pttl(key: string): Promise<number>;
  ping(key: string): Promise<unknown>;
  close(): Promise<void>;
}

type Flavour = { name: string; connect(cluster: RedisCluster, failFast?: boolean): Promise<TestClient> };

const flavours: Flavour[] = [
  {
    name: "node-redis createCluster",
    async connect(cluster, failFast = false) {
      const c = createCluster({
        rootNodes: cluster.seeds.map((s) => ({ url: `redis://${s.host}:${s.port}` })),
        defaults: { disableOfflineQueue: failFast, socket: { reconnectStrategy: () => 50, connectTimeout: 1000 } },
      });
      c.on("error", () => {}); // a lost connection must not crash the test process
      await c.connect();
      return {
        client: c,
        pttl: (key) => c.pTTL(key),
        ping: (key) => c.exists(key),
        close: async () => void c.destroy(),
      };
    },
  },
  {
    name: "ioredis Cluster",
    async connect(cluster, failFast = false) {
      const c: Cluster = new Redis.Cluster([...cluster.seeds], {
        enableOfflineQueue: !failFast,
        clusterRetryStrategy: () => 50,
        redisOptions: { maxRetriesPerRequest: failFast ? 0 : 20, connectTimeout: 1000 },
        lazyConnect: true,
      });
      c.on("error", () => {});
      await c.connect();
      return {
        client: c,
        pttl: (key) => c.pttl(key),
        ping: (key) => c.exists(key),
        close: async () => c.disconnect(),
      };
    },
  },
];

/** A store that records every rejection of the one it wraps (a CROSSSLOT, MOVED or ASK that escaped). */
function recording(store: SessionStore): { store: SessionStore; errors: string[] } {
  const errors: string[] = [];
  function watch<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((error: unknown) => {
      errors.push(String((error as Error | undefined)?.message ?? error));
      throw error;
    });
  }
  return {
    errors,
    store: {
      get: (key) => watch(store.get(key)),
      set: (key, record, ttl) => watch(store.set(key, record, ttl)),
      delete: (key) => watch(store.delete(key)),
      patch: (key, patch, ttl) => watch(store.patch!(key, patch, ttl)),
    },
  };
}

let cluster: RedisCluster;
/** Plain connections to each master, for KEYS across the whole cluster. */
let direct: Redis[] = [];
beforeAll(async () => {
  cluster = await startRedisCluster();
  direct = cluster.nodes.map((n) => new Redis(n.port, "127.0.0.1").on("error", () => {}));
}, 60_000);
afterAll(async () => {
  for (const d of direct) d.disconnect();
  await cluster?.stop();
});

/** MOVED and ASK redirects the masters have answered so far (Redis counts them in errorstats). */
async function redirects(): Promise<number> {
  let total = 0;
  for (const d of direct) {
    const info = (await d.info("errorstats")) as string;
    for (const match of info.matchAll(/^errorstat_(?:MOVED|ASK):count=(\d+)/gm)) total += Number(match[1]);
  }
  return total;
}

async function keysEverywhere(pattern: string): Promise<string[]> {
  return (await Promise.all(direct.map((d) => d.keys(pattern)))).flat().sort();
}

/** The node id and port of the master that owns `slot`. */
async function ownerOf(slot: number): Promise<{ id: string; port: number }> {
  const lines = (await cluster.cli(cluster.nodes[0]!.port, "cluster", "nodes")).trim().split("\n");
  for (const line of lines) {
    const [id, address, , , , , , , ...ranges] = line.split(" ");
    for (const range of ranges) {
      if (range.startsWith("[")) continue;
      const [from, to = from] = range.split("-").map(Number);
      if (slot >= from! && slot <= to!) return { id: id!, port: Number(address!.split(":")[1]!.split("@")[0]) };
    }
  }
  throw new Error(`no owner for slot ${slot}`);
}

/**
 * Moves `slot` to another master the way `redis-cli --cluster reshard` does, one batch of
 * keys at a time with pauses in between, so traffic meets the MIGRATING/IMPORTING window
 * (ASK redirects) and the final MOVED.
 */
async function moveSlot(slot: number): Promise<{ from: number; to: number }> {
  const source = await ownerOf(slot);
  const ports = cluster.nodes.map((n) => n.port);
  const targetPort = ports.find((p) => p !== source.port)!;
  const targetId = (await cluster.cli(targetPort, "cluster", "myid")).trim();
  await cluster.cli(targetPort, "cluster", "setslot", String(slot), "importing", source.id);
  await cluster.cli(source.port, "cluster", "setslot", String(slot), "migrating", targetId);
  const src = direct[ports.indexOf(source.port)]!;
  for (;;) {
    const keys = (await src.call("CLUSTER", "GETKEYSINSLOT", String(slot), "25")) as string[];
    if (keys.length === 0) break;
    await src.call("MIGRATE", "127.0.0.1", String(targetPort), "", "0", "5000", "KEYS", ...keys);
    await pause(5);
  }
  for (const port of ports) await cluster.cli(port, "cluster", "setslot", String(slot), "node", targetId);
  return { from: source.port, to: targetPort };
}

let prefixes = 0;

describe.each(flavours)("Redis Cluster with $name", (flavour) => {
  let c: TestClient;
  beforeAll(async () => {
    c = await flavour.connect(cluster);
  });
  afterAll(async () => {
    await c?.close();
  });

  function app(options: Partial<SessionsOptions> = {}) {
    const prefix = `cluster:${++prefixes}:`;
    const recorded = recording(redisStore({ client: c.client, prefix }));
    const { sessions, run } = appOver(recorded.store, options);
    return { sessions, run, prefix, errors: recorded.errors };
  }

  describe("contract", () => {
    registerStoreContract(test, async ({ prefix }) => ({
      store: redisStore({ client: c.client, prefix }),
      prefix,
      minTtl: 1,
      rawKeys: () => keysEverywhere(`${prefix}*`),
      async ttl(key) {
        const ms = Number(await c.pttl(key));
        return ms < 0 ? null : ms / 1000;
      },
    }));
  });

  test("sessions spread over all three masters, each one key in one slot", async () => {
    const { run, prefix } = app();
    for (let n = 0; n < 30; n++) await run((_r, s) => (s.set("n", n), ok()));
    const perNode = await Promise.all(direct.map((d) => d.keys(`${prefix}*`)));
    expect(perNode.flat()).toHaveLength(30);
    expect(perNode.every((keys) => keys.length > 0)).toBe(true);
  });

  test("50 requests in parallel on one session, each setting a different key: all 50 survive, 30 rounds", async () => {
    const { run, errors } = app();
    expect(await parallelWriters(run, 30)).toBe(0);
    expect(errors).toEqual([]);
  });

  test("destroy() racing a slow request never resurrects the session, 100 trials", async () => {
    const { run, sessions, prefix, errors } = app();
    const result = await destroyRaces(
      { run, sessions },
      100,
      async (cookie) => (await keysEverywhere(`${prefix}${await storeKeyOfCookie(cookie)}`)).length > 0,
    );
    expect(result.resurrected).toBe(0);
    expect(result.late).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  test("the session's slot moves to another master during traffic: no error escapes, no update lost", async () => {
    const { run, prefix, errors } = app();
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    const key = `${prefix}${await storeKeyOfCookie(cookie)}`;
    const slot = Number((await direct[0]!.call("CLUSTER", "KEYSLOT", key)) as number);
    // Neighbours in the same slot (the whole key as hash tag), so the move takes many batches.
    const home = (await ownerOf(slot)).port;
    const homeClient = direct[cluster.nodes.findIndex((n) => n.port === home)]!;
    for (let n = 0; n < 1000; n += 100) {
      const batch = homeClient.multi();
      for (let m = n; m < n + 100; m++) batch.set(`filler:{${key}}:${m}`, "x", "EX", 600);
      await batch.exec();
    }

    // No master has the scripts cached: the first patch on the new owner meets NOSCRIPT behind an ASK.
    for (const d of direct) await d.script("FLUSH");
    const redirectsBefore = await redirects();
    let written = 0;
    const statuses: number[] = [];
    let moving = true;
    const traffic = (async () => {
      while (moving) {
        const n = written++;
        const [w, r] = await Promise.all([run((_r, s) => (s.set(`k${n}`, n), ok()), cookie), run((_r, s) => new Response(String(s.get("user"))), cookie)]);
        statuses.push(w.status, r.status);
        expect(await r.text()).toBe("ada");
      }
    })();
    const moved = await moveSlot(slot);
    await pause(50);
    moving = false;
    await traffic;

    expect((await ownerOf(slot)).port).toBe(moved.to);
    expect(moved.to).not.toBe(moved.from);
    expect(await direct[cluster.nodes.findIndex((n) => n.port === moved.to)]!.exists(key)).toBe(1);
    // The clients were redirected (ASK while the slot moved, MOVED after), and none of it escaped.
    expect(await redirects()).toBeGreaterThan(redirectsBefore);
    expect(errors).toEqual([]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(written).toBeGreaterThan(20);
    let seen: Record<string, unknown> = {};
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    for (let n = 0; n < written; n++) expect(seen[`k${n}`]).toBe(n);
  }, 60_000);
});

describe.each(flavours)("Redis Cluster outage with $name", (flavour) => {
  let c: TestClient;
  beforeAll(async () => {
    c = await flavour.connect(cluster, true);
  });
  afterAll(async () => {
    await c?.close();
  });

  test("every master killed by PID: store_unavailable within the timeout, nothing written, recovery after restart", async () => {
    const outageApp = appOver(redisStore({ client: c.client, prefix: `outage:${++prefixes}:` }), { storeTimeout: 300 });
    const { run } = outageApp;
    await killMidRequest(outageApp, () => cluster.kill(), 300 + 100);

    await cluster.restart();
    // The clients reconnect on their own; give them a moment per attempt.
    let after: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      after = await run((_r, s) => (s.set("user", "ada"), ok()));
      if (after.status === 200) break;
      await pause(100);
    }
    expect(after!.status).toBe(200);
    const again = await run((_r, s) => new Response(String(s.get("user"))), cookieOf(after!));
    expect([again.status, await again.text()]).toEqual([200, "ada"]);
  }, 60_000);
});
