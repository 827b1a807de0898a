// The store mode of createSessions, against spy and fault-injecting wrappers around a real
// memoryStore: what reaches the store, timeouts, failures, garbage, and the id itself.

import { createHash } from "node:crypto";
import { afterEach, describe, expect, test, vi } from "vitest";
import { SessionError, createSessions, memoryStore } from "../../src/index.ts";
import type { InvalidReason, Session, SessionStore, SessionsOptions, StoreRecord } from "../../src/index.ts";
import { isSessionId, newSessionId, storeKeyOf } from "../../src/modes/store.ts";
import { T0, TEST_SECRET, clock, cookieOf, requestWith } from "../helpers.ts";

type Call = { method: "get" | "set" | "patch" | "delete"; key: string };
type Fault = "none" | "reject" | "hang" | "garbage";

/** A real memoryStore behind a wrapper that records every call and injects faults per method. */
function faultyStore(options: { patch?: boolean } = {}) {
  const inner = memoryStore();
  const calls: Call[] = [];
  const faults: Record<Call["method"], Fault> = { get: "none", set: "none", patch: "none", delete: "none" };
  function run<T>(method: Call["method"], key: string, real: () => Promise<T>, garbage: T): Promise<T> {
    calls.push({ method, key });
    switch (faults[method]) {
      case "reject":
        return Promise.reject(new Error("ECONNREFUSED 127.0.0.1:6379"));
      case "hang":
        return new Promise<T>(() => {});
      case "garbage":
        return Promise.resolve(garbage);
      default:
        return real();
    }
  }
  const store: SessionStore = {
    get: (key) => run("get", key, () => inner.get(key), "garbage" as unknown as StoreRecord),
    set: (key, record, ttl) => run("set", key, () => inner.set(key, record, ttl), undefined),
    delete: (key) => run("delete", key, () => inner.delete(key), false),
  };
  if (options.patch !== false) store.patch = (key, patch, ttl) => run("patch", key, () => inner.patch(key, patch, ttl), true);
  return { store, inner, calls, faults };
}

function setup(options: Partial<SessionsOptions> = {}, storeOptions: { patch?: boolean } = {}) {
  const time = clock();
  const spy = faultyStore(storeOptions);
  const reasons: InvalidReason[] = [];
  const sessions = createSessions({
    secret: TEST_SECRET,
    store: spy.store,
    now: time.now,
    onInvalid: (r) => reasons.push(r),
    storeTimeout: 200,
    onError: rethrow,
    ...options,
  });
  let handled = 0;
  type Handler = (request: Request, session: Session) => Response | Promise<Response>;
  /** An app that answers 503 for store_unavailable, as the docs recommend. */
  async function app(handler: Handler, cookie?: string): Promise<Response> {
    try {
      return await sessions.handle((r, s) => (handled++, handler(r, s)))(requestWith(cookie));
    } catch (error) {
      if (error instanceof SessionError && error.code === "store_unavailable") return new Response("try again", { status: 503 });
      throw error;
    }
  }
  async function login(): Promise<string> {
    return cookieOf(await app((_r, s) => (s.set("user", "ada"), new Response("ok"))));
  }
  return { ...spy, time, reasons, sessions, app, login, handled: () => handled };
}

const ok = (): Response => new Response("ok");

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ids", () => {
  test("ids are 32 bytes from crypto.getRandomValues, 43 base64url chars, all distinct (ST-14)", () => {
    const spy = vi.spyOn(crypto, "getRandomValues");
    const seen = new Set<string>();
    for (let n = 0; n < 100_000; n++) seen.add(newSessionId());
    expect(seen.size).toBe(100_000);
    expect(spy).toHaveBeenCalledTimes(100_000);
    expect((spy.mock.calls[0]![0] as Uint8Array).length).toBe(32);
    for (const id of [...seen].slice(0, 1000)) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("a new session's id comes from getRandomValues", async () => {
    const { app } = setup();
    const bytes = new Uint8Array(32).fill(7);
    vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      (array as unknown as Uint8Array).set(bytes.subarray(0, (array as unknown as Uint8Array).length));
      return array;
    });
    const cookie = cookieOf(await app((_r, s) => (s.set("user", "ada"), ok())));
    expect(cookie).toBe(`session=${Buffer.from(bytes).toString("base64url")}`);
  });

  test("isSessionId: exact length and canonical base64url only", () => {
    const id = newSessionId();
    expect(isSessionId(id)).toBe(true);
    expect(isSessionId(id.slice(1))).toBe(false);
    expect(isSessionId(id + "A")).toBe(false);
    expect(isSessionId("A".repeat(42) + "+")).toBe(false);
    expect(isSessionId("A".repeat(42) + "B")).toBe(false); // non-zero pad bits
    expect(isSessionId("A".repeat(42) + "E")).toBe(true);
    expect(isSessionId("A".repeat(21) + "=" + "A".repeat(21))).toBe(false);
  });

  test("the store key is base64url(SHA-256(id))", () => {
    const id = newSessionId();
    expect(storeKeyOf(id)).toBe(createHash("sha256").update(id).digest("base64url"));
  });
});

describe("what reaches the store", () => {
  test("malformed ids cause zero store calls (ST-06)", async () => {
    const { app, calls, reasons } = setup();
    const values = ["", "short", "../x", "*", "\n", "__proto__", "x".repeat(10_000), "A".repeat(42) + "B", "A".repeat(42) + "%", `${newSessionId()}.sig`];
    for (const value of values) {
      const res = await app((_r, s) => new Response(String(s.get("user"))), `session=${value}`);
      expect(await res.text()).toBe("undefined");
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect(calls).toEqual([]);
    expect(reasons).toEqual(Array(values.length).fill("malformed"));
  });

  test("the store only ever receives hashed keys, never an id (ST-13)", async () => {
    const { app, calls, login } = setup({ refresh: true });
    const ids: string[] = [];
    const cookie = await login();
    ids.push(cookie.slice(8));
    await app((_r, s) => ((s.permanent = true), s.set("n", 1), ok()), cookie);
    await app((_r, s) => (s.get("n"), ok()), cookie);
    const regenerated = cookieOf(await app((_r, s) => (s.regenerate(), ok()), cookie));
    ids.push(regenerated.slice(8));
    await app((_r, s) => (s.destroy(), ok()), regenerated);
    const unknown = newSessionId();
    ids.push(unknown);
    await app((_r, s) => (s.get("user"), ok()), `session=${unknown}`);
    expect(new Set(calls.map((c) => c.method))).toEqual(new Set(["get", "set", "patch", "delete"]));
    const hashes = new Set(ids.map(storeKeyOf));
    for (const call of calls) {
      expect(call.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hashes.has(call.key)).toBe(true);
      expect(ids).not.toContain(call.key);
    }
  });

  test("a request without a cookie, or that never touches the session, makes no store call", async () => {
    const { app, calls, sessions, login } = setup();
    await app((_r, s) => new Response(String(s.get("user"))));
    expect(calls).toEqual([]);
    const cookie = await login();
    calls.length = 0;
    const session = await sessions.load(requestWith(cookie));
    const response = ok();
    expect(await sessions.commit(session, response)).toBe(response);
    expect(calls.map((c) => c.method)).toEqual(["get"]); // the one read a store mode needs
  });

  test("more than 4 distinct ids under the name are ambiguous, with zero store calls", async () => {
    const { app, calls, reasons } = setup();
    const header = Array.from({ length: 5 }, () => `session=${newSessionId()}`).join("; ");
    await app((_r, s) => (s.get("user"), ok()), header);
    expect(calls).toEqual([]);
    expect(reasons).toEqual(["ambiguous"]);
  });

  test("duplicates: two live sessions are ambiguous; a live one beside an unknown or malformed one is used (CK-09, CK-10)", async () => {
    const { app, login, reasons } = setup();
    const a = await login();
    const b = await login();
    let seen: unknown = "?";
    await app((_r, s) => ((seen = s.get("user")), ok()), `${a}; ${b}`);
    expect(seen).toBeUndefined();
    await app((_r, s) => ((seen = s.get("user")), ok()), `session=${newSessionId()}; ${a}; session=junk`);
    expect(seen).toBe("ada");
    await app((_r, s) => ((seen = s.get("user")), ok()), `${a}; ${a}`);
    expect(seen).toBe("ada");
    expect(reasons).toEqual(["ambiguous"]);
  });

  test("a record that expired is deleted when seen, but not one merely ahead of the clock", async () => {
    const { app, login, inner, time, calls } = setup({ lifetime: 600 });
    const cookie = await login();
    time.advance(601);
    calls.length = 0;
    await app((_r, s) => (s.get("user"), ok()), cookie);
    expect(calls.map((c) => c.method)).toEqual(["get", "delete"]);
    expect(inner.size).toBe(0);
    // Written by a server whose clock is 2 minutes ahead:
    time.advance(-601 + 120);
    const ahead = await login();
    time.advance(-120);
    calls.length = 0;
    let seen: unknown = "?";
    await app((_r, s) => ((seen = s.get("user")), ok()), ahead);
    expect(seen).toBeUndefined();
    expect(calls.map((c) => c.method)).toEqual(["get"]);
    expect(inner.size).toBe(1);
  });
});

describe("failures fail closed (STORE-FAIL)", () => {
  for (const fault of ["reject", "hang"] as const) {
    test(`get ${fault === "reject" ? "rejects" : "hangs"}: store_unavailable, the handler never runs, no cookie change (ST-0${fault === "reject" ? 1 : 2})`, async () => {
      const { app, login, faults, handled, sessions } = setup({ storeTimeout: 250 });
      const cookie = await login();
      faults.get = fault;
      const before = handled();
      const started = performance.now();
      const error = await sessions.load(requestWith(cookie)).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(SessionError);
      expect((error as SessionError).code).toBe("store_unavailable");
      expect((error as SessionError).message).not.toContain(cookie.slice(8));
      if (fault === "hang") {
        expect(elapsed).toBeGreaterThanOrEqual(245);
        expect(elapsed).toBeLessThan(250 + 50);
      } else {
        expect(elapsed).toBeLessThan(50);
        expect((error as SessionError).cause).toBeInstanceOf(Error);
      }
      const res = await app((_r, s) => new Response(String(s.get("user"))), cookie);
      expect(res.status).toBe(503);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(handled()).toBe(before);
      // The store recovers: the very next request works, with the same session (ST-16).
      faults.get = "none";
      const again = await app((_r, s) => new Response(String(s.get("user"))), cookie);
      expect([again.status, await again.text()]).toEqual([200, "ada"]);
    });
  }

  for (const method of ["set", "patch", "delete"] as const) {
    for (const fault of ["reject", "hang"] as const) {
      test(`${method} ${fault === "reject" ? "rejects" : "hangs"} at commit: store_unavailable within the timeout, no Set-Cookie, nothing half-written`, async () => {
        const { app, login, faults, inner, sessions } = setup({ storeTimeout: 150 });
        const cookie = await login();
        const key = storeKeyOf(cookie.slice(8));
        const before = await inner.get(key);
        faults[method] = fault;
        const session = await sessions.load(requestWith(cookie));
        if (method === "set")
          session.regenerate(); // delete then set: the set fails
        else if (method === "patch") session.set("n", 1);
        else session.destroy();
        const started = performance.now();
        const error = await sessions.commit(session, ok()).catch((e: unknown) => e);
        expect(performance.now() - started).toBeLessThan(150 + 50);
        expect((error as SessionError).code).toBe("store_unavailable");
        if (method === "set") {
          // The old entry was deleted first (so a concurrent destroy can't be undone), then the
          // new one failed: the session is gone rather than half-moved, and no cookie names a new id.
          expect(inner.size).toBe(0);
        } else {
          expect(await inner.get(key)).toEqual(before);
        }
        faults[method] = "none";
        // Recovery: the same action succeeds on the next request.
        const res = await app((_r, s) => (s.set("m", 2), ok()), method === "set" ? undefined : cookie);
        expect(res.status).toBe(200);
      });
    }
  }

  test("set fails on a new session's first save: no Set-Cookie pointing at an id never stored (ST-03)", async () => {
    const { app, faults, inner } = setup();
    faults.set = "reject";
    const res = await app((_r, s) => (s.set("user", "ada"), ok()));
    expect(res.status).toBe(503);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(inner.size).toBe(0);
    faults.set = "none";
    const retry = await app((_r, s) => (s.set("user", "ada"), ok()));
    expect(retry.headers.getSetCookie()).toHaveLength(1);
    expect(inner.size).toBe(1);
  });

  test("a failed commit can be retried on the same session once the store is back", async () => {
    const { login, faults, sessions, inner } = setup();
    const cookie = await login();
    const session = await sessions.load(requestWith(cookie));
    session.set("n", 1);
    faults.patch = "reject";
    await expect(sessions.commit(session, ok())).rejects.toMatchObject({ code: "store_unavailable" });
    faults.patch = "none";
    await sessions.commit(session, ok());
    expect((await inner.get(storeKeyOf(cookie.slice(8))))?.["d:n"]).toBe("1");
  });

  test("a refresh-only write that fails does not fail the request; the cookie is simply not re-sent", async () => {
    const { app, faults, time } = setup({ refresh: 60 });
    const cookie = cookieOf(await app((_r, s) => ((s.permanent = true), s.set("user", "ada"), ok())));
    time.advance(61);
    faults.patch = "reject";
    const res = await app((_r, s) => new Response(String(s.get("user"))), cookie);
    expect([res.status, await res.text(), res.headers.getSetCookie()]).toEqual([200, "ada", []]);
    faults.patch = "none";
    const refreshed = await app((_r, s) => (s.get("user"), ok()), cookie);
    expect(refreshed.headers.getSetCookie()[0]).toMatch(/^session=[A-Za-z0-9_-]{43}; Max-Age=/);
  });

  test("with waitUntil, a refresh-only write runs after the response; data writes are still awaited", async () => {
    const { sessions, inner, faults, time, app } = setup({ refresh: 60 });
    const cookie = cookieOf(await app((_r, s) => ((s.permanent = true), s.set("user", "ada"), ok())));
    const key = storeKeyOf(cookie.slice("session=".length));
    const pending: Array<Promise<unknown>> = [];
    const waitUntil = (promise: Promise<unknown>): void => void pending.push(promise);
    time.advance(61);

    // A touch that hangs does not hold the response back; it gives up at the store timeout.
    faults.patch = "hang";
    const slow = await sessions.load(requestWith(cookie));
    slow.get("user");
    const started = performance.now();
    const res = await sessions.commit(slow, ok(), { waitUntil });
    expect(performance.now() - started).toBeLessThan(100);
    expect(res.headers.getSetCookie()[0]).toMatch(/; Max-Age=/);
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect((await inner.get(key))?.a).toBe(String(T0 / 1000));

    // A touch that works lands after the response.
    faults.patch = "none";
    const quick = await sessions.load(requestWith(cookie));
    quick.get("user");
    await sessions.commit(quick, ok(), { waitUntil });
    expect(pending).toHaveLength(2);
    await Promise.all(pending);
    expect((await inner.get(key))?.a).toBe(String(T0 / 1000 + 61));

    // A write that changes data never goes to waitUntil: it is done before commit returns.
    const write = await sessions.load(requestWith(cookie));
    write.set("n" as never, 1 as never);
    await sessions.commit(write, ok(), { waitUntil });
    expect(pending).toHaveLength(2);
    expect((await inner.get(key))?.["d:n"]).toBe("1");
  });

  test("a store that returns garbage gives a fresh session, never a crash (ST-04)", async () => {
    const { app, login, faults, reasons } = setup();
    const cookie = await login();
    faults.get = "garbage";
    const res = await app((_r, s) => new Response(JSON.stringify(s.toJSON())), cookie);
    expect([res.status, await res.text(), res.headers.getSetCookie()]).toEqual([200, "{}", []]);
    expect(reasons).toEqual(["malformed"]);
    // A write on it mints a new id (the presented one is not adopted).
    const write = await app((_r, s) => (s.set("user", "eve"), ok()), cookie);
    expect(cookieOf(write)).not.toBe(cookie);
  });

  test("stores answering with other shapes: each is a fresh session", async () => {
    const odd: unknown[] = ["text", 42, true, [], ["k", "v"], { k: 1 }, { k: { toString: () => "x" } }, new Map([["k", "v"]])];
    for (const value of odd) {
      const inner = memoryStore();
      const store: SessionStore = { get: async () => value as StoreRecord, set: inner.set, delete: inner.delete };
      const sessions = createSessions({ secret: TEST_SECRET, store });
      const res = await sessions.handle((_r, s) => new Response(JSON.stringify(s.toJSON())))(requestWith(`session=${newSessionId()}`));
      expect(await res.text()).toBe("{}");
    }
  });

  test("a store method that throws synchronously is store_unavailable too", async () => {
    const store: SessionStore = {
      get: () => {
        throw new Error("boom");
      },
      set: async () => {},
      delete: async () => {},
    };
    const sessions = createSessions({ secret: TEST_SECRET, store });
    await expect(sessions.load(requestWith(`session=${newSessionId()}`))).rejects.toMatchObject({
      code: "store_unavailable",
      message: expect.stringContaining("boom"),
    });
  });
});

describe("without store.patch (read, merge, write)", () => {
  test("changes of different keys survive sequential commits; destroy still wins", async () => {
    const { login, sessions, inner, calls, app } = setup({}, { patch: false });
    const cookie = await login();
    const a = await sessions.load(requestWith(cookie));
    const b = await sessions.load(requestWith(cookie));
    a.set("n", 1);
    b.set("m", 2);
    await sessions.commit(a, ok());
    await sessions.commit(b, ok());
    expect(calls.filter((c) => c.method === "patch")).toEqual([]);
    const key = storeKeyOf(cookie.slice(8));
    expect(await inner.get(key)).toMatchObject({ "d:user": '"ada"', "d:n": "1", "d:m": "2" });
    const slow = await sessions.load(requestWith(cookie));
    slow.set("late", true);
    await app((_r, s) => (s.destroy(), ok()), cookie);
    const res = await sessions.commit(slow, ok());
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(inner.size).toBe(0);
  });
});

describe("options", () => {
  test("store must look like a SessionStore", () => {
    const base = { secret: TEST_SECRET };
    expect(() => createSessions({ ...base, store: {} as SessionStore })).toThrow(
      "option store must be a SessionStore with get, set and delete methods (missing get, set, delete)",
    );
    expect(() => createSessions({ ...base, store: "redis" as unknown as SessionStore })).toThrow(TypeError);
    expect(() => createSessions({ ...base, store: { ...memoryStore(), patch: 1 } as unknown as SessionStore })).toThrow(
      "option store.patch must be a function",
    );
    expect(() => createSessions({ ...base, store: { get: async () => null, set: async () => {}, delete: async () => {}, touchInterval: -1 } })).toThrow(
      RangeError,
    );
  });

  test("storeTimeout: whole milliseconds from 1 to 60000, default 2000", async () => {
    const store = memoryStore();
    expect(() => createSessions({ secret: TEST_SECRET, store, storeTimeout: 0 })).toThrow("option storeTimeout is invalid: 0");
    expect(() => createSessions({ secret: TEST_SECRET, store, storeTimeout: 1.5 })).toThrow(RangeError);
    expect(() => createSessions({ secret: TEST_SECRET, store, storeTimeout: 60_001 })).toThrow(RangeError);
    const hanging: SessionStore = { get: () => new Promise(() => {}), set: async () => {}, delete: async () => {} };
    const sessions = createSessions({ secret: TEST_SECRET, store: hanging });
    await sessions.load(requestWith()); // keys derived (real async work) before the clock is faked
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const pending = sessions.load(requestWith(`session=${newSessionId()}`)).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1999);
      let settled = false;
      void pending.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await pending).toMatchObject({ code: "store_unavailable", message: expect.stringContaining("2000 ms") });
    } finally {
      vi.useRealTimers();
    }
  });

  test("a store is for cookie ids: a cookie format other than signed is refused", () => {
    expect(() => createSessions({ secret: TEST_SECRET, store: memoryStore(), format: "sealed" })).toThrow('option format: "sealed" applies to cookie sessions');
    expect(() => createSessions({ secret: TEST_SECRET, store: memoryStore(), oversize: "chunk" })).toThrow(
      'option oversize: "chunk" applies to cookie sessions',
    );
    expect(() => createSessions({ secret: TEST_SECRET, store: memoryStore(), format: "signed" })).not.toThrow();
  });

  test("the clock drives stored timestamps", async () => {
    const { app, inner } = setup();
    const cookie = await app((_r, s) => (s.set("user", "ada"), ok()));
    expect((await inner.get(storeKeyOf(cookieOf(cookie).slice(8))))?.c).toBe(String(T0 / 1000));
  });
});

/** handle() answers SessionErrors with 503/500 by default; these tests assert the typed error itself. */
function rethrow(error: Error): never {
  throw error;
}
