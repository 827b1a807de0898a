// Security bar b.9 (server-side store faults and races), every case by its id, against real
// stores: a memoryStore behind a fault-injecting, call-recording wrapper, and Workers KV on
// Miniflare. The Redis cases under real outages are in test/stores/redis.test.ts.

import { createHash, randomBytes } from "node:crypto";
import * as miniflare from "miniflare";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { SessionError, createSessions, memoryStore } from "../../src/index.ts";
import type { Session, SessionStore } from "../../src/index.ts";
import { kvStore } from "../../src/stores/kv.ts";
import type { KVNamespaceLike } from "../../src/stores/kv.ts";
import { T0, TEST_SECRET, Target, captureLogs, request, valueOf } from "./target.ts";

type Method = "get" | "set" | "patch" | "delete";
type Fault = "none" | "reject" | "hang" | { answer: unknown };

/** A real memoryStore behind a wrapper that records every call and injects faults per method. */
function faulty(options: { maxEntries?: number } = {}) {
  const inner = memoryStore(options);
  const calls: Array<{ method: Method; key: string }> = [];
  const faults: Record<Method, Fault> = { get: "none", set: "none", patch: "none", delete: "none" };
  function run<T>(method: Method, key: string, real: () => Promise<T>): Promise<T> {
    calls.push({ method, key });
    const fault = faults[method];
    if (fault === "reject") return Promise.reject(new Error("ECONNREFUSED 127.0.0.1:6379"));
    if (fault === "hang") return new Promise<T>(() => {});
    if (typeof fault === "object") return Promise.resolve(fault.answer as T);
    return real();
  }
  const store: SessionStore = {
    get: (key) => run("get", key, () => inner.get(key)),
    set: (key, record, ttl) => run("set", key, () => inner.set(key, record, ttl)),
    delete: (key) => run("delete", key, () => inner.delete(key)),
    patch: (key, patch, ttl) => run("patch", key, () => inner.patch(key, patch, ttl)),
  };
  return { store, inner, calls, faults };
}

function keyOf(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}

/** Runs a request the way an app that answers 503 for store_unavailable does. */
async function app(
  t: Target,
  handler: (s: Session) => void | Promise<void>,
  cookie?: string,
): Promise<{ response: Response; handled: boolean; error?: SessionError }> {
  let handled = false;
  try {
    const response = await t.run(async (s) => {
      handled = true;
      await handler(s);
    }, cookie);
    return { response, handled };
  } catch (error) {
    if (!(error instanceof SessionError) || error.code !== "store_unavailable") throw error;
    return { response: new Response("try again", { status: 503 }), handled, error };
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("b.9 server-side store faults and races", () => {
  test("ST-01: get rejects (connection refused): STORE-FAIL: a typed store_unavailable, the handler never runs, the cookie is neither deleted nor rotated", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store, storeTimeout: 200 });
    const id = await t.issue();
    f.faults.get = "reject";
    const { response, handled, error } = await app(t, (s) => void s.get("user"), t.pair(id));
    expect(error?.code).toBe("store_unavailable");
    expect(error?.message).toMatch(/failed on get: ECONNREFUSED.*failing closed/);
    expect(error?.message).not.toContain(id);
    expect(handled).toBe(false);
    expect([response.status, response.headers.getSetCookie()]).toEqual([503, []]);
    f.faults.get = "none";
    await t.accepts(t.pair(id), { user: "ada" });
  });

  test("ST-02: get hangs: STORE-FAIL within the timeout + 50 ms", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store, storeTimeout: 200 });
    const id = await t.issue();
    f.faults.get = "hang";
    const started = performance.now();
    const { response, handled, error } = await app(t, (s) => void s.get("user"), t.pair(id));
    const elapsed = performance.now() - started;
    expect(error?.message).toMatch(/did not answer get within 200 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(250);
    expect([handled, response.status, response.headers.getSetCookie()]).toEqual([false, 503, []]);
  });

  test("ST-03: set fails on a new session's first save: a WRITE-ERROR, and no Set-Cookie for an id that was never stored", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store, storeTimeout: 200 });
    for (const fault of ["reject", "hang"] as const) {
      f.faults.set = fault;
      const { response, handled, error } = await app(t, (s) => void s.set("user", "ada"));
      expect([handled, error?.code, response.headers.getSetCookie()]).toEqual([true, "store_unavailable", []]);
    }
    expect(f.inner.size).toBe(0);
  });

  test("ST-04: get returns non-JSON, the wrong shape, or another session's record: ANON (malformed), no crash", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store });
    const other = await t.issue({ user: "other" });
    const otherRecord = await f.inner.get(keyOf(other));
    const answers: unknown[] = [
      "{not json",
      42,
      [],
      ["k", "x"],
      { k: 1 },
      { d: "x" },
      { c: "1", a: "1" },
      { ...otherRecord },
      { ...otherRecord, "d:user": "{not json" },
      { ...otherRecord, k: "x".repeat(43) },
      true,
    ];
    for (const answer of answers) {
      const id = randomBytes(32).toString("base64url");
      f.faults.get = { answer };
      t.reasons.length = 0;
      const seen = await t.read(t.pair(id));
      f.faults.get = "none";
      expect([seen.isNew, seen.data, t.reasons], JSON.stringify(answer)).toEqual([true, {}, ["malformed"]]);
    }
    // A well-formed record of this very key with a broken value is refused too, then the full ANON.
    const id = randomBytes(32).toString("base64url");
    await f.inner.set(keyOf(id), { k: keyOf(id), c: String(T0 / 1000), a: String(T0 / 1000), "d:user": "{not json" }, 60);
    await t.anon(t.pair(id), { reason: "malformed" });
    for (const flashes of ["{not json", '"x"', '[["only one"]]', '[["a","\\ud800"]]']) {
      const other = randomBytes(32).toString("base64url");
      await f.inner.set(keyOf(other), { k: keyOf(other), c: String(T0 / 1000), a: String(T0 / 1000), f: flashes }, 60);
      await t.anon(t.pair(other), { reason: "malformed", label: `flashes ${flashes}` });
    }
  });

  test("ST-05: a well-formed but unknown (attacker-chosen) id is ANON; the first write mints a new random id, never the presented one", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store });
    for (const id of ["A".repeat(43), randomBytes(32).toString("base64url"), "attacker-chosen-session-id-of-43-characters"]) {
      expect(id).toHaveLength(43);
      await t.anon(t.pair(id), { reason: "unknown_id" });
      expect(f.calls.filter((c) => c.method === "set").every((c) => c.key !== keyOf(id))).toBe(true);
    }
  });

  test("ST-06: malformed ids (wrong length, ../x, *, newline, 10 KB, __proto__) are ANON with zero store calls", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store });
    const values = [
      "",
      "short",
      "../x",
      "*",
      "__proto__",
      "x".repeat(10_000),
      `${"A".repeat(42)}B`,
      `${"A".repeat(21)}.${"A".repeat(21)}`,
      `${"A".repeat(42)}=`,
      `${"A".repeat(44)}`,
      "../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaa",
      "%2e%2e%2fAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ];
    for (const value of values) {
      const seen = await t.read(t.pair(value));
      expect([seen.isNew, seen.data], value.slice(0, 40)).toEqual([true, {}]);
    }
    expect(f.calls).toEqual([]);
    // A newline cannot travel in a header; given to the parser directly it is no id either.
    expect(() => request(`session=a\nb`)).toThrow(TypeError);
    await t.anon(t.pair("../x"), { reason: "malformed" });
  });

  test("ST-07: after regenerate() the old cookie is ANON (its record is gone) and the data lives under the new id", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store });
    const old = await t.issue({ user: "ada" });
    const response = await t.run((s) => s.regenerate(), t.pair(old));
    const fresh = valueOf(response.headers.getSetCookie(), "session")!;
    expect(fresh).not.toBe(old);
    expect(await f.inner.get(keyOf(old))).toBeNull();
    await t.accepts(t.pair(fresh), { user: "ada" });
    await t.anon(t.pair(old), { reason: "unknown_id" });
  });

  test("ST-08: 1,000 trials of a slow request holding the session racing a logout: 0 resurrections", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store });
    let resurrected = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const id = await t.issue({ user: "ada" });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = t.run(async (s) => {
        s.get("user");
        await gate;
        s.set("n", trial);
        if (trial % 2 === 0) s.regenerate();
      }, t.pair(id));
      await t.run((s) => s.destroy(), t.pair(id));
      release();
      const response = await slow;
      if (!(await t.read(t.pair(id))).isNew) resurrected++;
      const reissued = valueOf(response.headers.getSetCookie(), "session");
      if (reissued !== undefined && reissued !== "" && !(await t.read(t.pair(reissued))).isNew) resurrected++;
    }
    expect(resurrected).toBe(0);
    expect(f.inner.size).toBe(0);
  });

  test("ST-09: 50 parallel requests on one session, each writing a different key, 200 rounds: 0 lost updates (atomic patches; Redis: test/stores/redis.test.ts)", async () => {
    const t = new Target("store");
    const id = await t.issue({ user: "ada" });
    let lost = 0;
    for (let round = 0; round < 200; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => t.run((s) => void s.set(`k${i}`, round), t.pair(id))));
      const seen = await t.read(t.pair(id));
      for (let i = 0; i < 50; i++) if (seen.data[`k${i}`] !== round) lost++;
    }
    expect(lost).toBe(0);
    // A key deleted by one request stays deleted; the others stay.
    await Promise.all([t.run((s) => void s.delete("k7"), t.pair(id)), t.run((s) => void s.set("k8", "x"), t.pair(id))]);
    const after = await t.read(t.pair(id));
    expect([after.data.k7, after.data.k8, after.data.k9]).toEqual([undefined, "x", 199]);
  });

  describe("Workers KV on Miniflare", () => {
    const mf = new miniflare.Miniflare({
      modules: true,
      script: "export default {}",
      kvNamespaces: ["SESSIONS"],
      compatibilityDate: "2025-01-01",
    } as ConstructorParameters<typeof miniflare.Miniflare>[0]);
    afterAll(() => mf.dispose());
    const namespace = async () =>
      (await mf.getKVNamespace("SESSIONS")) as unknown as KVNamespaceLike & {
        list(o: { prefix: string }): Promise<{ keys: Array<{ name: string; expiration?: number }> }>;
      };

    test("ST-10: KV: a 30 s lifetime is written with KV's 60 s minimum TTL; 20 touches a second write nothing; a 429 from put never crashes a request", async () => {
      const ns = await namespace();
      let now = T0;
      const prefix = `st10:${randomBytes(4).toString("hex")}:`;
      const short = createSessions({ secret: TEST_SECRET, store: kvStore(ns, { prefix }), lifetime: 30, now: () => now });
      await short.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(request());
      const [entry] = (await ns.list({ prefix })).keys;
      const ttl = entry!.expiration! - Date.now() / 1000;
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
      // Permanent + refresh on every read: KV's touchInterval spaces the writes 60 s apart.
      let failPuts = false;
      const puts: string[] = [];
      const throttled: KVNamespaceLike = {
        get: (k) => ns.get(k),
        delete: (k) => ns.delete(k),
        put: (k, v, o) => (puts.push(k), failPuts ? Promise.reject(new Error("KV PUT failed: 429 Too Many Requests")) : ns.put(k, v, o)),
      };
      const sessions = createSessions({ secret: TEST_SECRET, store: kvStore(throttled, { prefix }), refresh: true, now: () => now });
      const login = await sessions.handle((_r, s) => ((s.permanent = true), s.set("user", "ada"), new Response("ok")))(request());
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      puts.length = 0;
      for (let i = 0; i < 20; i++) {
        now += 50;
        const res = await sessions.handle((_r, s) => new Response(String(s.get("user"))))(request(cookie));
        expect(await res.text()).toBe("ada");
      }
      expect(puts).toEqual([]);
      // A refresh-only write that KV refuses with 429: the request still answers, unrefreshed.
      now += 61_000;
      failPuts = true;
      const refreshed = await sessions.handle((_r, s) => new Response(String(s.get("user"))))(request(cookie));
      expect([refreshed.status, await refreshed.text(), refreshed.headers.getSetCookie()]).toEqual([200, "ada", []]);
      expect(puts).toHaveLength(1);
      // A data write refused with 429: handle() answers 503 (one log line), never a crash or a half write.
      const error = console.error;
      console.error = () => {};
      try {
        const refused = await sessions.handle((_r, s) => (s.set("n", 1), new Response("ok")))(request(cookie));
        expect([refused.status, refused.headers.getSetCookie()]).toEqual([503, []]);
      } finally {
        console.error = error;
      }
    });

    test("ST-10b: the same refused write through load/commit: the typed STORE-FAIL error", async () => {
      const ns = await namespace();
      const now = T0;
      const prefix = `st10b:${randomBytes(4).toString("hex")}:`;
      let failPuts = false;
      const throttled: KVNamespaceLike = {
        get: (k) => ns.get(k),
        delete: (k) => ns.delete(k),
        put: (k, v, o) => (failPuts ? Promise.reject(new Error("KV PUT failed: 429 Too Many Requests")) : ns.put(k, v, o)),
      };
      const sessions = createSessions({ secret: TEST_SECRET, store: kvStore(throttled, { prefix }), now: () => now });
      const login = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(request());
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      failPuts = true;
      const session = await sessions.load(request(cookie));
      session.set("n", 1);
      const error = await sessions.commit(session, new Response("ok")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionError);
      expect((error as SessionError).code).toBe("store_unavailable");
    });

    test("ST-11: KV: the location that destroyed a session sees it gone at once (other locations may lag up to a minute: documented)", async () => {
      const ns = await namespace();
      const prefix = `st11:${randomBytes(4).toString("hex")}:`;
      const t = new Target("store", { store: kvStore(ns, { prefix }) });
      const id = await t.issue({ user: "ada" });
      await t.run((s) => s.destroy(), t.pair(id));
      expect((await ns.list({ prefix })).keys).toEqual([]);
      await t.anon(t.pair(id), { reason: "unknown_id" });
    });
  });

  test("ST-12: memory store: 3x10^4 requests with random unknown ids add no entry; the cap holds (10^6 direct reads: test/stores/memory.test.ts)", async () => {
    const store = memoryStore({ maxEntries: 100 });
    const t = new Target("store", { store });
    await t.issue({ user: "ada" });
    expect(store.size).toBe(1);
    for (let n = 0; n < 30_000; n++) {
      const session = await t.sessions.load(request(`session=${randomBytes(32).toString("base64url")}`));
      if (session.size !== 0) throw new Error("an unknown id was adopted");
    }
    expect(store.size).toBe(1);
    for (let n = 0; n < 300; n++) await t.issue({ n });
    expect(store.size).toBe(100);
  });

  test("ST-13: the store only ever receives hashed keys, and nothing logged (even on failures) contains a session id", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store, storeTimeout: 100, refresh: true });
    const logs = captureLogs();
    const ids: string[] = [];
    try {
      const id = await t.issue({ user: "ada" }, { permanent: true });
      ids.push(id);
      await t.read(t.pair(id));
      const regenerated = valueOf((await t.run((s) => s.regenerate(), t.pair(id))).headers.getSetCookie(), "session")!;
      ids.push(regenerated);
      for (const fault of ["reject", "hang"] as const) {
        f.faults.get = fault;
        await app(t, (s) => void s.get("user"), t.pair(regenerated));
        f.faults.get = "none";
        f.faults.patch = fault;
        await app(t, (s) => void s.set("x", 1), t.pair(regenerated));
        f.faults.patch = "none";
      }
      await t.run((s) => s.destroy(), t.pair(regenerated));
    } finally {
      logs.restore();
    }
    expect(f.calls.length).toBeGreaterThan(5);
    for (const { key } of f.calls) {
      expect(ids).not.toContain(key);
      expect(ids.map(keyOf)).toContain(key);
    }
    for (const id of ids) expect(logs.text()).not.toContain(id);
  });

  test("ST-14: 10^4 sessions through createSessions: every id is 43 base64url characters from its own 32-byte crypto.getRandomValues draw, no duplicates (10^5 raw ids: test/modes/store.test.ts)", async () => {
    const t = new Target("store");
    const random = vi.spyOn(crypto, "getRandomValues");
    const ids = new Set<string>();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const session = await t.sessions.load(request());
      session.set("i", i);
      const response = await t.sessions.commit(session, new Response("ok"));
      const id = valueOf(response.headers.getSetCookie(), "session")!;
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(n);
    const draws = random.mock.calls.map(([array]) => (array as Uint8Array).length);
    expect(draws.filter((length) => length === 32)).toHaveLength(n);
  });

  test("ST-16: after an outage the first request works: no failure is cached", async () => {
    const f = faulty();
    const t = new Target("store", { store: f.store, storeTimeout: 100 });
    const id = await t.issue({ user: "ada" });
    const data: Record<string, unknown> = { user: "ada" };
    for (const [n, fault] of (["reject", "hang", { answer: "garbage" }] as const).entries()) {
      f.faults.get = fault;
      const failed = await app(t, (s) => void s.get("user"), t.pair(id));
      expect(failed.response.status, JSON.stringify(fault)).toBe(typeof fault === "object" ? 200 : 503);
      f.faults.get = "none";
      await t.accepts(t.pair(id), data);
      const written = await app(t, (s) => void s.set(`after${n}`, n), t.pair(id));
      expect(written.response.status).toBe(200);
      data[`after${n}`] = n;
    }
    await t.accepts(t.pair(id), data);
  });
});

// ST-15 (Redis commands built through the client's argument API, with hostile ids and values)
// runs against a real redis-server in test/stores/redis.test.ts.
