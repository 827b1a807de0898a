// redisStore against a real redis-server (started here on a free port, stopped by PID), with
// node-redis, ioredis and Bun's RedisClient: the store contract, real concurrency, real outages.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import Redis from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionsOptions } from "../../src/index.ts";
import { newSessionId, storeKeyOf } from "../../src/modes/store.ts";
import { redisStore } from "../../src/stores/redis.ts";
import type { RedisClientLike } from "../../src/stores/redis.ts";
import { cookieOf } from "../helpers.ts";
import { registerStoreContract } from "./contract.ts";
import { appOver, destroyRaces, killMidRequest, ok, parallelWriters, pauseMidRequest } from "./races.ts";
import { startRedis } from "./redis-server.ts";
import type { RedisServer } from "./redis-server.ts";

/** One client library, as the tests drive it (the store sees only `client`). */
interface TestClient {
  readonly client: RedisClientLike;
  keys(pattern: string): Promise<string[]>;
  /** Milliseconds to live, -2 when absent. */
  pttl(key: string): Promise<number>;
  hset(key: string, fields: Record<string, string>): Promise<unknown>;
  setString(key: string, value: string): Promise<unknown>;
  ping(): Promise<unknown>;
  close(): Promise<void>;
}

type Flavour = { name: string; connect(url: string, failFast?: boolean): Promise<TestClient> };

const flavours: Flavour[] = [
  {
    name: "node-redis",
    async connect(url, failFast = false) {
      const c = createClient({ url, disableOfflineQueue: failFast, socket: { reconnectStrategy: () => 50, connectTimeout: 1000 } });
      c.on("error", () => {}); // a lost connection must not crash the test process
      await c.connect();
      return {
        client: c,
        keys: (pattern) => c.keys(pattern),
        pttl: (key) => c.pTTL(key),
        hset: (key, fields) => c.hSet(key, fields),
        setString: (key, value) => c.set(key, value),
        ping: () => c.ping(),
        close: async () => void c.destroy(),
      };
    },
  },
  {
    name: "ioredis",
    async connect(url, failFast = false) {
      const c = new Redis(url, { enableOfflineQueue: !failFast, maxRetriesPerRequest: failFast ? 0 : 20, retryStrategy: () => 50, lazyConnect: true });
      c.on("error", () => {});
      await c.connect();
      return {
        client: c,
        keys: (pattern) => c.keys(pattern),
        pttl: (key) => c.pttl(key),
        hset: (key, fields) => c.hset(key, fields),
        setString: (key, value) => c.set(key, value),
        ping: () => c.ping(),
        close: async () => c.disconnect(),
      };
    },
  },
];

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

let prefixes = 0;

describe.each(flavours)("with $name", (flavour) => {
  let c: TestClient;
  beforeAll(async () => {
    c = await flavour.connect(server.url);
  });
  afterAll(async () => {
    await c?.close();
  });

  function app(options: Partial<SessionsOptions> = {}) {
    const prefix = `${flavour.name}:${++prefixes}:`;
    const { sessions, run } = appOver(redisStore({ client: c.client, prefix }), options);
    return { sessions, run, prefix };
  }

  describe("contract", () => {
    registerStoreContract(test, async ({ prefix }) => ({
      store: redisStore({ client: c.client, prefix }),
      prefix,
      minTtl: 1,
      rawKeys: async () => (await c.keys(`${prefix}*`)).sort(),
      async ttl(key) {
        const ms = Number(await c.pttl(key));
        return ms < 0 ? null : ms / 1000;
      },
    }));
  });

  test("50 requests in parallel on one session, each setting a different key: all 50 survive, 100 rounds (ST-09)", async () => {
    expect(await parallelWriters(app().run, 100)).toBe(0);
  });

  test("destroy() racing a slow request never resurrects the session, 200 trials (ST-08)", async () => {
    const { run, sessions, prefix } = app();
    const result = await destroyRaces({ run, sessions }, 200, async (cookie) => (await c.keys(`${prefix}${storeKeyOf(cookie.slice(8))}`)).length > 0);
    expect(result.resurrected).toBe(0);
    // Both orders happened: some slow commits landed after the destroy (and were dropped).
    expect(result.late).toBeGreaterThan(0);
  });

  test("what sits in Redis under a session's key is validated: garbage is a fresh session (ST-04)", async () => {
    const reasons: string[] = [];
    const checked = app({ onInvalid: (r) => reasons.push(r) });
    for (const write of [
      (key: string) => c.hset(key, { k: "x", c: "1", a: "1", "d:user": '"eve"' }),
      (key: string) => c.hset(key, JSON.parse('{"__proto__":"1","constructor":"2","d:user":"{"}')),
      (key: string) => c.setString(key, "not a hash"),
    ]) {
      const id = newSessionId();
      await write(`${checked.prefix}${storeKeyOf(id)}`);
      const res = await checked.run((_r, s) => new Response(JSON.stringify(s.toJSON())), `session=${id}`);
      expect([res.status, await res.text()]).toEqual([200, "{}"]);
    }
    expect(reasons).toEqual(["malformed", "malformed", "unknown_id"]);
    expect(({} as Record<string, unknown>).user).toBeUndefined();
  });

  test("hostile-looking values and keys are arguments, never commands (ST-15)", async () => {
    const { run, prefix } = app();
    const hostile = ["'); redis.call('FLUSHALL') --", "\r\n*1\r\n$8\r\nFLUSHALL\r\n", "]] .. redis.call('DEL', KEYS[1]) .. [[", "\u0000\uffff😀"];
    const data = Object.fromEntries(hostile.map((h, n) => [h, `${h}${n}`]));
    const cookie = cookieOf(await run((_r, s) => (s.update(data), ok())));
    await run((_r, s) => (s.set(hostile[1]!, "patched"), ok()), cookie);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ ...data, [hostile[1]!]: "patched" });
    expect(await c.keys(`${prefix}*`)).toHaveLength(1);
  });
});

describe.each(flavours)("Redis outage with $name", (flavour) => {
  let outage: RedisServer;
  let c: TestClient;
  beforeAll(async () => {
    outage = await startRedis();
    c = await flavour.connect(outage.url, true);
  });
  afterAll(async () => {
    await c?.close();
    await outage?.stop();
  });

  function app() {
    return appOver(redisStore({ client: c.client }), { storeTimeout: 300 });
  }

  async function waitUntilConnected(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.ping();
        return;
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  test("server killed by PID mid-run: store_unavailable, cookie untouched, recovery after restart (ST-01, ST-16)", async () => {
    const outageApp = app();
    const { run } = outageApp;
    const cookie = await killMidRequest(outageApp, () => outage.kill(), 300 + 100);

    await outage.restart();
    await waitUntilConnected();

    // Recovery: requests work again. (This server keeps no data across restarts, so the old
    // session is unknown now: a fresh session, never an error.)
    const after = await run((_r, s) => new Response(String(s.get("user"))), cookie);
    expect([after.status, await after.text(), after.headers.getSetCookie()]).toEqual([200, "undefined", []]);
    const relogin = await run((_r, s) => (s.set("user", "ada"), ok()));
    expect(relogin.status).toBe(200);
    const again = await run((_r, s) => new Response(String(s.get("user"))), cookieOf(relogin));
    expect(await again.text()).toBe("ada");
  });

  test("server paused (SIGSTOP): store_unavailable within the timeout + 50 ms, then the same session works (ST-02)", async () => {
    const pausedApp = app();
    const { run } = pausedApp;
    await waitUntilConnected();
    const cookie = await pauseMidRequest(pausedApp, outage, 300 + 50);
    const after = await run((_r, s) => new Response(JSON.stringify(s.toJSON())), cookie);
    expect([after.status, await after.text()]).toEqual([200, '{"user":"ada"}']);
  });
});

describe("with Bun's RedisClient", () => {
  test("the store contract passes under `bun test` against the same server", async () => {
    const bun = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(bun, ["test", "./test/stores/redis.bun.ts"], {
        cwd: root,
        env: { ...process.env, WEBSESSION_REDIS_URL: server.url },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, output }));
    });
    expect(output).toMatch(/\b0 fail\b/);
    expect(output).toMatch(/\b(2[5-9]|[3-9]\d) pass\b/);
    expect(code, output).toBe(0);
  }, 60_000);
});
