// The owner index on real Redis: a single redis-server and a real 3-master Redis Cluster,
// both started here on free loopback ports and stopped by PID. The owner's two keys share a
// hash tag, so every owner script runs on one slot (a CROSSSLOT error would fail these tests).

import Redis from "ioredis";
import type { Cluster } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSessions } from "../../src/index.ts";
import { redisStore } from "../../src/stores/redis.ts";
import { TEST_SECRET, cookieOf, requestWith } from "../helpers.ts";
import { registerOwnerScenarios } from "./owners-scenarios.ts";
import { startRedisCluster } from "./redis-cluster.ts";
import type { RedisCluster } from "./redis-cluster.ts";
import { startRedis } from "./redis-server.ts";
import type { RedisServer } from "./redis-server.ts";

describe("single redis-server (node-redis)", () => {
  let server: RedisServer;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    server = await startRedis();
    client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  registerOwnerScenarios(test, () => redisStore({ client, prefix: `t${Math.random().toString(36).slice(2)}:` }));

  test("10,000 expired sessions leave no owner keys behind", async () => {
    const prefix = "expiry:";
    const sessions = createSessions<{ user?: string }>({ secret: TEST_SECRET, store: redisStore({ client, prefix }), owner: (d) => d.user, lifetime: 1 });
    const batch = async (from: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: 500 }, async (_, n) => {
          const s = await sessions.load(requestWith());
          s.set("user", (from + n) % 2 === 0 ? "bob" : `user-${from + n}`);
          cookieOf(await sessions.commit(s, new Response()));
        }),
      );
    };
    for (let from = 0; from < 10_000; from += 500) await batch(from);
    const ownerKeys = async (): Promise<number> => (await client.keys(`${prefix}owner:*`)).length;
    // An index and a generation per owner still live (the earliest may have expired already).
    expect(await ownerKeys()).toBeGreaterThan(1000);
    // Entries expire one lifetime after their records at the latest (x = now + 2 × ttl).
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const left = await ownerKeys();
    console.log(`redis owner keys after 10,000 expired sessions: ${left}`);
    expect(left).toBe(0);
    expect(await client.keys(`${prefix}*`)).toEqual([]);
  }, 60_000);
});

describe("Redis Cluster, 3 masters", () => {
  let cluster: RedisCluster;
  let io: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    io = new Redis.Cluster([...cluster.seeds], { lazyConnect: true });
    io.on("error", () => {});
    await io.connect();
  }, 60_000);
  afterAll(async () => {
    await io?.quit().catch(() => {});
    await cluster?.stop();
  });

  describe("ioredis Cluster", () => {
    registerOwnerScenarios(test, () => redisStore({ client: io, prefix: `c${Math.random().toString(36).slice(2)}:` }));
  });
});
