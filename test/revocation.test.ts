// Stateless revocation on Node (issue #16): start-up errors, the reserved key, the stamp
// hidden from the app, a generation store outage (503, nothing written), logout, chunked
// cookies, and a real redis-server as the generation store (started here on a free port,
// stopped by PID). The runtime-independent cases are in conformance/revocation.suite.ts.

import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionError, createSessions, memoryStore } from "../src/index.ts";
import type { SessionsOptions } from "../src/index.ts";
import { redisStore } from "../src/stores/redis.ts";
import type { OwnerIndex } from "../src/stores/store.ts";
import { countingIndex, revocableApp } from "./conformance/revocation.suite.ts";
import { TEST_SECRET, clock, cookieOf, requestWith } from "./helpers.ts";
import { startRedis } from "./stores/redis-server.ts";
import type { RedisServer } from "./stores/redis-server.ts";

const owner = (data: { user?: unknown }): string | undefined => (typeof data.user === "string" ? data.user : undefined);

function options(extra: Partial<SessionsOptions>): SessionsOptions {
  return { secret: TEST_SECRET, owner, revocation: { store: memoryStore().owners, checkEvery: 60 }, ...extra };
}

describe("start-up", () => {
  test("flask format refuses revocation", () => {
    expect(() => createSessions(options({ format: "flask" }))).toThrow(/revocation cannot be used with format: "flask": Flask must still read the cookie/);
  });
  test("revocation needs owner, and owner on cookies needs revocation", () => {
    expect(() => createSessions({ secret: TEST_SECRET, revocation: { store: memoryStore().owners, checkEvery: 60 } })).toThrow(/revocation needs option owner/);
    expect(() => createSessions({ secret: TEST_SECRET, owner })).toThrow(/needs option revocation: \{ store, checkEvery \}/);
  });
  test("with a server-side store, revocation is refused", () => {
    expect(() => createSessions(options({ store: memoryStore() }))).toThrow(/revocation applies to cookie sessions/);
  });
  test("a store that is not an owner index, an unknown key, a bad checkEvery", () => {
    expect(() => createSessions(options({ revocation: { store: memoryStore() as unknown as OwnerIndex, checkEvery: 60 } }))).toThrow(
      /revocation.store must be an owner index \(missing generation, add, revoke\)/,
    );
    expect(() => createSessions(options({ revocation: { store: memoryStore().owners, checkEvery: 60, every: 1 } as never }))).toThrow(
      /revocation.every is unknown/,
    );
    for (const checkEvery of [-1, 1.5, "60", 31 * 24 * 3600]) {
      expect(() => createSessions(options({ revocation: { store: memoryStore().owners, checkEvery: checkEvery as number } }))).toThrow(RangeError);
    }
    expect(() => createSessions(options({ lifetime: 600, revocation: { store: memoryStore().owners, checkEvery: 600 } }))).toThrow(/below lifetime \(600\)/);
  });
});

describe("the stamp", () => {
  test("is never visible through the Session API, and the app cannot set it", async () => {
    const app = revocableApp();
    const cookie = (await app.fetch("/login?user=alice")).cookie!;
    // The signed payload carries it (base64url JSON before the first dot).
    const payload = JSON.parse(Buffer.from(cookie.slice(cookie.indexOf("=") + 1).split(".")[0]!, "base64url").toString());
    expect(JSON.stringify(payload)).toContain("\\u0000ws");
    const session = await app.sessions.load(requestWith(cookie));
    expect(session.keys()).toEqual(["user"]);
    expect(session.toJSON()).toEqual({ user: "alice" });
    expect(session.has("\u0000ws" as "user")).toBe(false);
    expect(() => session.set("\u0000ws" as "user", "x")).toThrow(/reserved by websession/);
    expect(() => session.update({ ["\u0000ws"]: 1 } as never)).toThrow(/reserved/);
    expect(() => session.setDefault("\u0000ws" as "user", "x")).toThrow(/reserved/);
  });

  test("a stamped cookie read with revocation off shows no stamp", async () => {
    const app = revocableApp();
    const cookie = (await app.fetch("/login?user=alice")).cookie!;
    const plain = createSessions({ secret: TEST_SECRET, now: app.time.now });
    const session = await plain.load(requestWith(cookie));
    expect(session.keys()).toEqual(["user"]);
  });

  test("logout writes a cookie without a stamp, and a later login stamps it again", async () => {
    const time = clock();
    const index = countingIndex(memoryStore({ now: time.now }).owners);
    const sessions = createSessions<{ user?: string; theme?: string }>({
      secret: TEST_SECRET,
      now: time.now,
      owner,
      revocation: { store: index, checkEvery: 60 },
    });
    const login = await sessions.load(requestWith());
    login.set("user", "alice");
    login.set("theme", "dark");
    const cookie = cookieOf(await sessions.commit(login, new Response()));
    expect(index.calls).toBe(1);
    const out = await sessions.load(requestWith(cookie));
    out.delete("user");
    const anonymous = cookieOf(await sessions.commit(out, new Response()));
    expect(Buffer.from(anonymous.split("=")[1]!.split(".")[0]!, "base64url").toString()).not.toContain("\\u0000ws");
    await sessions.revokeAll("alice");
    time.advance(120);
    const later = await sessions.load(requestWith(anonymous));
    expect(later.get("theme")).toBe("dark");
  });

  test("a cookie from before revocation was on is stamped at its next request", async () => {
    const time = clock();
    const plain = createSessions({ secret: TEST_SECRET, now: time.now });
    const old = await plain.load(requestWith());
    old.set("user", "alice");
    const before = cookieOf(await plain.commit(old, new Response()));
    const app = createSessions({ secret: TEST_SECRET, now: time.now, owner, revocation: { store: memoryStore({ now: time.now }).owners, checkEvery: 60 } });
    const s = await app.load(requestWith(before));
    const stamped = cookieOf(await app.commit(s, new Response()));
    expect(stamped).not.toBe(before);
    await app.revokeAll("alice");
    time.advance(60);
    expect((await app.load(requestWith(stamped))).get("user")).toBeUndefined();
  });

  test("a cookie with a malformed stamp (signed by us, from another version) is an ended session", async () => {
    const plain = createSessions({ secret: TEST_SECRET });
    const s = await plain.load(requestWith());
    // Written through the internals, as no app can.
    const { sessionInternals } = await import("../src/session.ts");
    sessionInternals(s).state.data.set("\u0000ws", ["alice", "x", 1]);
    s.set("user" as never, "alice" as never);
    const forged = cookieOf(await plain.commit(s, new Response()));
    const app = createSessions(options({}));
    const loaded = await app.load(requestWith(forged));
    expect(loaded.get("user")).toBeUndefined();
    const writes = await app.save(loaded);
    expect(writes.cookies[0]?.maxAge ?? writes.cookies[0]?.expires).toBe(0);
  });
});

describe("failure", () => {
  test("a generation store outage at a due check answers 503 and writes nothing", async () => {
    const time = clock();
    const inner = memoryStore({ now: time.now }).owners;
    let down = false;
    const store: OwnerIndex = { ...inner, add: (...args) => (down ? Promise.reject(new Error("connection refused")) : inner.add(...args)) };
    const sessions = createSessions({ secret: TEST_SECRET, now: time.now, owner, revocation: { store, checkEvery: 60 }, storeTimeout: 200 });
    const handler = sessions.handle((_request, session) => new Response(String(session.get("user"))));
    const s = await sessions.load(requestWith());
    s.set("user", "alice");
    const cookie = cookieOf(await sessions.commit(s, new Response()));
    down = true;
    const within = await handler(requestWith(cookie));
    expect(await within.text()).toBe("alice");
    time.advance(60);
    const error = console.error;
    console.error = () => {};
    try {
      const failed = await handler(requestWith(cookie));
      expect(failed.status).toBe(503);
      expect(failed.headers.getSetCookie()).toEqual([]);
      await expect(sessions.load(requestWith(cookie))).rejects.toMatchObject({ code: "store_unavailable" });
    } finally {
      console.error = error;
    }
    // A store that hangs times out the same way.
    const hung = createSessions({
      secret: TEST_SECRET,
      now: time.now,
      owner,
      revocation: { store: { ...inner, add: () => new Promise<number>(() => {}) }, checkEvery: 60 },
      storeTimeout: 50,
    });
    await expect(hung.load(requestWith(cookie))).rejects.toBeInstanceOf(SessionError);
  });

  test("revokeAll with except after commit says to call it first", async () => {
    const app = revocableApp();
    const cookie = (await app.fetch("/login?user=alice")).cookie!;
    const s = await app.sessions.load(requestWith(cookie));
    await app.sessions.commit(s, new Response());
    await expect(app.sessions.revokeAll("alice", { except: s })).rejects.toThrow(/before the session's response is committed/);
  });
});

describe("chunked and sealed cookies", () => {
  test("oversize: chunk carries the stamp across chunks", async () => {
    const time = clock();
    const sessions = createSessions<{ user?: string; blob?: string }>({
      secret: TEST_SECRET,
      format: "sealed",
      oversize: "chunk",
      now: time.now,
      owner,
      revocation: { store: memoryStore({ now: time.now }).owners, checkEvery: 30 },
    });
    const s = await sessions.load(requestWith());
    s.set("user", "alice");
    s.set("blob", "x".repeat(4500));
    const response = await sessions.commit(s, new Response());
    const cookies = response.headers.getSetCookie().map((line) => line.split(";")[0]!);
    expect(cookies.length).toBeGreaterThan(1);
    const header = cookies.join("; ");
    expect((await sessions.load(requestWith(header))).get("user")).toBe("alice");
    await sessions.revokeAll("alice");
    time.advance(30);
    expect((await sessions.load(requestWith(header))).get("user")).toBeUndefined();
  });
});

describe("a real redis-server as the generation store", () => {
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

  test("revokeAll on one server ends the cookie on another sharing the store, within checkEvery", async () => {
    const time = clock(Date.now());
    const make = () =>
      createSessions({ secret: TEST_SECRET, now: time.now, owner, revocation: { store: redisStore({ client, prefix: "rv:" }).owners, checkEvery: 5 } });
    const [a, b] = [make(), make()];
    const s = await a.load(requestWith());
    s.set("user", "carol");
    const cookie = cookieOf(await a.commit(s, new Response()));
    time.advance(5);
    const checked = await b.load(requestWith(cookie));
    expect(checked.get("user")).toBe("carol");
    const fresh = cookieOf(await b.commit(checked, new Response()));
    await a.revokeAll("carol");
    time.advance(4);
    expect((await b.load(requestWith(fresh))).get("user")).toBe("carol");
    time.advance(1);
    expect((await b.load(requestWith(fresh))).get("user")).toBeUndefined();
  });
});
