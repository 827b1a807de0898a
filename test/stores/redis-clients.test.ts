// redisStore with the reply shapes and client shapes redis.test.ts does not drive from Node:
// RESP3 map replies (as plain objects and as Maps), Bun's `send(command, args)` client shape,
// the NOSCRIPT fallback after SCRIPT FLUSH, and a foreign hash holding a __proto__ field. All
// against a real redis-server; each client below is node-redis, reshaped, never a fake.

import { RESP_TYPES, createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSessions } from "../../src/index.ts";
import type { InvalidReason } from "../../src/index.ts";
import { storeKeyOf } from "../../src/modes/store.ts";
import { redisStore } from "../../src/stores/redis.ts";
import type { BunRedisLike, NodeRedisLike } from "../../src/stores/redis.ts";
import { TEST_SECRET, cookieOf, requestWith } from "../helpers.ts";
import { startRedis } from "./redis-server.ts";
import type { RedisServer } from "./redis-server.ts";

let server: RedisServer;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.stop();
});

async function connect(options: Parameters<typeof createClient>[0] = {}) {
  const client = createClient({ url: server.url, ...options });
  client.on("error", () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** A login, a read, a change, a logout through createSessions on `store`: the session behaves. */
async function lifecycle(store: ReturnType<typeof redisStore>, prefix: string, raw: NodeRedisLike): Promise<void> {
  const reasons: InvalidReason[] = [];
  const sessions = createSessions({ secret: TEST_SECRET, store, onInvalid: (r) => reasons.push(r) });
  const app = (handler: Parameters<typeof sessions.handle>[0], cookie?: string) => sessions.handle(handler)(requestWith(cookie));
  const cookie = cookieOf(await app((_r, s) => (s.set("user", "ada"), s.flash("hi"), new Response("ok"))));
  let seen: unknown;
  await app((_r, s) => ((seen = [s.get("user"), s.flashes()]), new Response("ok")), cookie);
  expect(seen).toEqual(["ada", ["hi"]]);
  await app((_r, s) => (s.set("n", 1), s.delete("user" as never), new Response("ok")), cookie);
  await app((_r, s) => ((seen = s.toJSON()), new Response("ok")), cookie);
  expect(seen).toEqual({ n: 1 });
  await app((_r, s) => (s.destroy(), new Response("ok")), cookie);
  const key = `${prefix}${storeKeyOf(cookie.slice("session=".length))}`;
  expect(await raw.sendCommand(["EXISTS", key])).toBe(0);
  expect(reasons).toEqual([]);
}

describe("redisStore: reply and client shapes", () => {
  test("RESP3, where HGETALL answers a map as a plain object: the whole session lifecycle", async () => {
    const client = await connect({ RESP: 3 });
    expect(await client.sendCommand(["HGETALL", "nothing"])).toEqual({});
    await lifecycle(redisStore({ client, prefix: "resp3obj:" }), "resp3obj:", client);
  });

  test("RESP3 with maps mapped to Map: the whole session lifecycle", async () => {
    const client = await connect({ RESP: 3 });
    const shaped: NodeRedisLike = { sendCommand: (args) => client.sendCommand(args, { typeMapping: { [RESP_TYPES.MAP]: Map } }) };
    await client.hSet("probe", { a: "1" });
    expect(await shaped.sendCommand(["HGETALL", "probe"])).toBeInstanceOf(Map);
    await lifecycle(redisStore({ client: shaped, prefix: "resp3map:" }), "resp3map:", client);
  });

  test("Bun's client shape, send(command, args): the whole session lifecycle, and the script reloaded after SCRIPT FLUSH (NOSCRIPT)", async () => {
    const client = await connect();
    const bunShaped: BunRedisLike = { send: (command, args) => client.sendCommand([command, ...args]) };
    const store = redisStore({ client: bunShaped, prefix: "bun:" });
    await lifecycle(store, "bun:", client);
    await client.sendCommand(["SCRIPT", "FLUSH"]);
    await store.set("k", { k: "k", c: "1", a: "1" }, 60);
    expect(await store.get("k")).toEqual({ k: "k", c: "1", a: "1" });
  });

  test("a client of no known shape is refused at start-up; a reply that is no hash at all is a fresh session", async () => {
    for (const client of [{}, null, "redis://localhost", { send: "x" }]) {
      expect(() => redisStore({ client: client as never })).toThrow(/option client must be a Redis client/);
    }
    const real = await connect();
    // A wrapper around the real client whose HGETALL answers something that is no collection.
    const odd: NodeRedisLike = { sendCommand: async (args) => (args[0] === "HGETALL" ? "OK" : real.sendCommand(args)) };
    const sessions = createSessions({ secret: TEST_SECRET, store: redisStore({ client: odd, prefix: "odd:" }) });
    const cookie = cookieOf(await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(requestWith()));
    expect((await sessions.load(requestWith(cookie))).isNew).toBe(true);
  });

  test("a foreign hash under a session's key with a __proto__ field stays a field: no prototype change, a fresh session", async () => {
    const client = await connect();
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, store: redisStore({ client, prefix: "proto:" }), onInvalid: (r) => reasons.push(r) });
    const cookie = cookieOf(await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(requestWith()));
    const key = `proto:${storeKeyOf(cookie.slice("session=".length))}`;
    await client.sendCommand(["HSET", key, "__proto__", '{"isAdmin":true}', "k", "wrong"]);
    const record = await redisStore({ client, prefix: "proto:" }).get(storeKeyOf(cookie.slice("session=".length)));
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.hasOwn(record!, "__proto__")).toBe(true);
    const session = await sessions.load(requestWith(cookie));
    expect([session.isNew, session.size, reasons]).toEqual([true, 0, ["malformed"]]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
