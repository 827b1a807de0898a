// The store contract: one runtime-neutral suite that every SessionStore passes, first at the
// store's own interface, then through createSessions (ids, hashing, patches, expiry, races).
// Run by test/stores/{memory,redis,kv}.test.ts and test/conformance/kv-store.suite.ts.
// Web globals only, so it also runs on workerd, Deno and Bun.

import type { InvalidReason } from "../../src/errors.ts";
import { base64urlEncode } from "../../src/encoding.ts";
import { SessionError } from "../../src/errors.ts";
import type { SessionsOptions } from "../../src/options.ts";
import type { Session } from "../../src/session.ts";
import { createSessions } from "../../src/sessions.ts";
import type { SessionStore, StoreRecord } from "../../src/stores/store.ts";
import { expectEqual, expectRejects, expectTrue } from "../conformance/harness.ts";
import type { TestFn } from "../conformance/harness.ts";

/** A fixed secret for these tests only. */
const SECRET = "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o";
/** 2023-11-14T22:13:20Z */
const T0 = 1_700_000_000_000;
const T0S = T0 / 1000;
const ID = /^[A-Za-z0-9_-]{43}$/;

/** A store under test, with a view of what it holds (by its own means, not through the store). */
export interface StoreTarget {
  readonly store: SessionStore;
  /** What the store puts before every key ("" for a store without prefixes). */
  readonly prefix: string;
  /** Every key the store holds now, prefix included. */
  rawKeys(): Promise<string[]>;
  /** Seconds until `rawKey` expires, or null when it does not exist. */
  ttl(rawKey: string): Promise<number | null>;
  /** The smallest TTL the store writes (KV clamps to 60). */
  readonly minTtl: number;
}

/**
 * Builds a fresh target whose keys start with `prefix` (when the store has prefixes). Stores
 * keep real time while the sessions run on a fixed clock that cases move by hand: that is
 * how a case shows that websession enforces expiry even where the store has not expired
 * anything yet.
 */
export type MakeTarget = (options: { prefix: string }) => Promise<StoreTarget>;

type Data = { user?: string; n?: number; cart?: string[]; [key: string]: unknown };
type Handler = (request: Request, session: Session<Data>) => Response | Promise<Response>;

const ok = (): Response => new Response("ok");

function request(cookie?: string): Request {
  const headers = new Headers();
  if (cookie !== undefined) headers.set("Cookie", cookie);
  return new Request("https://app.example/", { headers });
}

/** The `session=<id>` pair of a response, or null. */
function cookieOf(response: Response): string | null {
  const line = response.headers.getSetCookie()[0];
  return line === undefined ? null : line.split(";")[0]!;
}

function idOf(cookie: string): string {
  return cookie.slice(cookie.indexOf("=") + 1);
}

async function sha256(text: string): Promise<string> {
  return base64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

function randomPrefix(): string {
  return `wst:${base64urlEncode(crypto.getRandomValues(new Uint8Array(6)))}:`;
}

/** Registers the contract cases for the stores `make` builds. */
export function registerStoreContract(test: TestFn, make: MakeTarget): void {
  async function setup(options: Partial<SessionsOptions> = {}) {
    let t = T0;
    const time = { now: () => t, advance: (s: number) => void (t += s * 1000) };
    const target = await make({ prefix: randomPrefix() });
    const prefix = target.prefix;
    const reasons: InvalidReason[] = [];
    const sessions = createSessions<Data>({ secret: SECRET, store: target.store, now: time.now, onInvalid: (r) => reasons.push(r), ...options });
    async function run(handler: Handler, cookie?: string): Promise<Response> {
      return sessions.handle(handler)(request(cookie));
    }
    async function login(data: Data = { user: "ada" }, permanent = false): Promise<string> {
      const res = await run((_r, s) => {
        s.update(data);
        if (permanent) s.permanent = true;
        return ok();
      });
      const cookie = cookieOf(res);
      if (cookie === null) throw new Error("login set no cookie");
      return cookie;
    }
    async function record(cookie: string): Promise<StoreRecord | null> {
      return target.store.get(await sha256(idOf(cookie)));
    }
    return { target, prefix, sessions, time, reasons, run, login, record };
  }

  // --- The store's own interface -----------------------------------------------------------

  test("store: get of an unknown key is null and creates nothing", async () => {
    const { target, prefix } = await setup();
    expectEqual(await target.store.get("A".repeat(43)), null);
    expectEqual(await target.rawKeys(), []);
    await target.store.set("k1", { k: "k1", c: "1", a: "1" }, 3600);
    expectEqual(await target.store.get("k2"), null);
    expectEqual(await target.rawKeys(), [`${prefix}k1`]);
  });

  test("store: set then get returns the record; odd field names and large values round-trip", async () => {
    const { target } = await setup();
    const record: StoreRecord = {
      k: "key",
      c: "1700000000",
      a: "1700000001",
      "d:__proto__": '{"isAdmin":true}',
      "d:constructor": "1",
      "d:": '""',
      "d:a b;c=d\r\n": "[1,2]",
      "d:ünï😀": '"☃"',
      "d:big": JSON.stringify("x".repeat(100_000)),
    };
    await target.store.set("key", record, 3600);
    const got = await target.store.get("key");
    expectEqual(got === null ? null : { ...got }, { ...record });
    expectEqual(({} as Record<string, unknown>).isAdmin, undefined, "no prototype pollution");
  });

  test("store: set replaces the whole record and the TTL follows it", async () => {
    const { target, prefix } = await setup();
    await target.store.set("key", { k: "key", c: "1", a: "1", "d:x": "1", "d:y": "2" }, 3600);
    await target.store.set("key", { k: "key", c: "1", a: "2", "d:z": "3" }, 7200);
    const got = await target.store.get("key");
    expectEqual(got === null ? null : { ...got }, { k: "key", c: "1", a: "2", "d:z": "3" });
    const ttl = await target.ttl(`${prefix}key`);
    expectTrue(ttl !== null && ttl > 7190 && ttl <= 7200, `TTL ${ttl} should be about 7200`);
    await target.store.set("short", { k: "short", c: "1", a: "1" }, 30);
    const short = await target.ttl(`${prefix}short`);
    const expected = Math.max(30, target.minTtl);
    expectTrue(
      short !== null && short <= expected && short > expected - 10,
      `TTL ${short} should be ${expected} (30 s, or the store's minimum ${target.minTtl})`,
    );
  });

  test("store: delete removes the record (and says whether there was one, when it can)", async () => {
    const { target } = await setup();
    await target.store.set("key", { k: "key", c: "1", a: "1" }, 3600);
    const first = await target.store.delete("key");
    expectEqual(await target.store.get("key"), null);
    expectEqual(await target.rawKeys(), []);
    const second = await target.store.delete("key");
    if (typeof first === "boolean" || typeof second === "boolean") expectEqual([first, second], [true, false]);
    else expectEqual([first, second], [undefined, undefined]);
  });

  test("store: patch applies set/delete to an existing record only, atomically replacing when asked", async () => {
    const { target, prefix } = await setup();
    const patch = target.store.patch?.bind(target.store);
    if (patch === undefined) {
      // Without patch, websession merges by get + set: that path is what the session cases test.
      expectEqual(typeof target.store.patch, "undefined");
      return;
    }
    expectEqual(await patch("missing", { set: { a: "2" }, delete: [], replace: false }, 60), false);
    expectEqual(await target.rawKeys(), [], "a patch never creates a record");
    await target.store.set("key", { k: "key", c: "1", a: "1", "d:x": "1", "d:y": "2" }, 60);
    expectEqual(await patch("key", { set: { a: "2", "d:z": "3", "d:x": "10" }, delete: ["d:y", "d:absent"], replace: false }, 3600), true);
    let got = await target.store.get("key");
    expectEqual(got === null ? null : { ...got }, { k: "key", c: "1", a: "2", "d:x": "10", "d:z": "3" });
    const ttl = await target.ttl(`${prefix}key`);
    expectTrue(ttl !== null && ttl > 3590 && ttl <= 3600, `patch sets the TTL (got ${ttl})`);
    expectEqual(await patch("key", { set: { k: "key", c: "1", a: "3", "d:w": "4" }, delete: [], replace: true }, 3600), true);
    got = await target.store.get("key");
    expectEqual(got === null ? null : { ...got }, { k: "key", c: "1", a: "3", "d:w": "4" });
    // Many fields in one patch (Redis passes them to Lua in batches).
    const set: StoreRecord = {};
    for (let n = 0; n < 2500; n++) set[`d:f${n}`] = String(n);
    const removed = Array.from({ length: 1500 }, (_, n) => `d:f${n}`);
    expectEqual(await patch("key", { set, delete: [], replace: false }, 3600), true);
    expectEqual(await patch("key", { set: {}, delete: removed, replace: false }, 3600), true);
    got = await target.store.get("key");
    expectEqual(Object.keys(got ?? {}).length, 4 + 1000);
    expectEqual(got?.["d:f1499"], undefined);
    expectEqual(got?.["d:f2499"], "2499");
  });

  // --- Through createSessions ------------------------------------------------------------------

  test("a session that is never written creates no store entry and no cookie", async () => {
    const { target, run } = await setup();
    const res = await run((_r, s) => {
      expectEqual(s.get("user"), undefined);
      expectEqual(s.isNew, true);
      return ok();
    });
    expectEqual(res.headers.getSetCookie(), []);
    expectEqual(res.headers.get("Vary"), "Cookie");
    const untouched = await run(() => ok());
    expectEqual(untouched.headers.get("Vary"), null);
    expectEqual(await target.rawKeys(), []);
  });

  test("the first write mints a 43-char random id; the store holds only its SHA-256", async () => {
    const { target, prefix, run, record } = await setup();
    const res = await run((_r, s) => (s.set("user", "ada"), ok()));
    const [line] = res.headers.getSetCookie();
    expectTrue(line !== undefined && /^session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/.test(line), `Set-Cookie: ${line}`);
    expectEqual(res.headers.get("Cache-Control"), "private");
    const id = idOf(cookieOf(res)!);
    expectTrue(ID.test(id));
    expectEqual(await target.rawKeys(), [prefix + (await sha256(id))]);
    const stored = await record(cookieOf(res)!);
    expectEqual(stored === null ? null : { ...stored }, { k: await sha256(id), c: String(T0S), a: String(T0S), "d:user": '"ada"' });
    expectTrue(!JSON.stringify(stored).includes(id) && !(await target.rawKeys()).some((k) => k.includes(id)), "the id itself is never stored");
    const other = idOf(cookieOf(await run((_r, s) => (s.set("user", "bob"), ok())))!);
    expectTrue(other !== id, "every session gets its own id");
  });

  test("a stored session reads back; reading a non-permanent session writes nothing", async () => {
    const { target, run, login, record } = await setup();
    const cookie = await login({ user: "ada", cart: ["tea"] });
    const before = await record(cookie);
    const res = await run((_r, s) => {
      expectEqual(s.isNew, false);
      expectEqual(s.toJSON(), { user: "ada", cart: ["tea"] });
      return ok();
    }, cookie);
    expectEqual(res.headers.getSetCookie(), []);
    expectEqual(res.headers.get("Vary"), "Cookie");
    expectEqual(await record(cookie), before);
    expectEqual((await target.rawKeys()).length, 1);
  });

  test("an unknown well-formed id is never adopted: fresh session, the first write mints a new id (ST-05)", async () => {
    const { target, run, reasons } = await setup();
    const forged = "session=" + base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
    const res = await run((_r, s) => {
      expectEqual(s.isNew, true);
      s.set("user", "mallory");
      return ok();
    }, forged);
    expectEqual(reasons, ["unknown_id"]);
    const minted = cookieOf(res)!;
    expectTrue(minted !== forged && ID.test(idOf(minted)), "a new id was minted");
    expectEqual(await target.rawKeys(), [await keyOf(target, minted)]);
  });

  test("malformed ids are fresh sessions and never become keys (ST-06)", async () => {
    const { target, run, reasons } = await setup();
    for (const value of ["short", "../x", "*", "A".repeat(42) + "*", "A".repeat(44), "__proto__", "B".repeat(42) + "B", "x".repeat(10_000)]) {
      const res = await run((_r, s) => (expectEqual(s.size, 0), ok()), `session=${value}`);
      expectEqual(res.headers.getSetCookie(), []);
    }
    expectEqual(reasons, Array(8).fill("malformed"));
    expectEqual(await target.rawKeys(), []);
  });

  test("regenerate() moves the data to a new id and deletes the old entry (ST-07)", async () => {
    const { target, run, login, reasons } = await setup();
    const old = await login({ user: "ada", cart: ["tea"] });
    const res = await run((_r, s) => {
      s.set("role", "admin");
      s.regenerate();
      return ok();
    }, old);
    const fresh = cookieOf(res)!;
    expectTrue(ID.test(idOf(fresh)) && fresh !== old, "a new id");
    expectEqual(await target.rawKeys(), [await keyOf(target, fresh)]);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), fresh);
    expectEqual(seen, { user: "ada", cart: ["tea"], role: "admin" });
    await run((_r, s) => ((seen = s.toJSON()), ok()), old);
    expectEqual(seen, {});
    expectEqual(reasons, ["unknown_id"]);
  });

  test("destroy() deletes the entry and the cookie, with the cookie's attributes (TM-09)", async () => {
    const { target, run, login } = await setup();
    const cookie = await login();
    const res = await run((_r, s) => (s.destroy(), ok()), cookie);
    expectEqual(res.headers.getSetCookie(), ["session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"]);
    expectEqual(await target.rawKeys(), []);
    let isNew: boolean | undefined;
    await run((_r, s) => ((isNew = s.isNew), ok()), cookie);
    expectEqual(isNew, true);
  });

  test("destroy() then new data (logout + flash): the old id dies, a new one carries the data", async () => {
    const { target, run, login } = await setup();
    const old = await login();
    const res = await run((_r, s) => {
      s.destroy();
      s.flash("Logged out");
      return ok();
    }, old);
    const fresh = cookieOf(res)!;
    expectTrue(fresh !== old && ID.test(idOf(fresh)));
    expectEqual(await target.rawKeys(), [await keyOf(target, fresh)]);
    let flashes: string[] = [];
    let user: unknown = "?";
    await run((_r, s) => ((flashes = s.flashes()), (user = s.get("user")), ok()), fresh);
    expectEqual([flashes, user], [["Logged out"], undefined]);
  });

  test("two requests loaded together that change different keys both survive", async () => {
    const { sessions, run, login } = await setup();
    const cookie = await login({ user: "ada" });
    const a = await sessions.load(request(cookie));
    const b = await sessions.load(request(cookie));
    a.set("n", 1);
    b.set("cart", ["tea"]);
    const ra = await sessions.commit(a, ok());
    const rb = await sessions.commit(b, ok());
    expectEqual([ra.headers.getSetCookie(), rb.headers.getSetCookie()], [[], []]);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expectEqual(seen, { user: "ada", n: 1, cart: ["tea"] });
  });

  test("two requests that change the same key: the last commit wins, for that key only", async () => {
    const { sessions, run, login } = await setup();
    const cookie = await login({ user: "ada", n: 0 });
    const a = await sessions.load(request(cookie));
    const b = await sessions.load(request(cookie));
    a.set("n", 1);
    a.set("user", "ada lovelace");
    b.set("n", 2);
    await sessions.commit(a, ok());
    await sessions.commit(b, ok());
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expectEqual(seen, { user: "ada lovelace", n: 2 });
  });

  test("destroy() wins over a slow request that commits after it (ST-08)", async () => {
    const { target, sessions, run, login } = await setup();
    const cookie = await login();
    const slow = await sessions.load(request(cookie));
    slow.set("cart", ["tea"]);
    const logout = await run((_r, s) => (s.destroy(), ok()), cookie);
    expectEqual(logout.headers.getSetCookie().length, 1);
    const late = await sessions.commit(slow, ok());
    expectEqual(late.headers.getSetCookie(), [], "no cookie for a destroyed session");
    expectEqual(await target.rawKeys(), [], "nothing revived");
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expectEqual(seen, {});
  });

  test("regenerate() after a concurrent destroy() revives nothing", async () => {
    const { target, sessions, run, login } = await setup();
    const cookie = await login();
    const slow = await sessions.load(request(cookie));
    slow.set("role", "admin");
    slow.regenerate();
    await run((_r, s) => (s.destroy(), ok()), cookie);
    const late = await sessions.commit(slow, ok());
    const keys = await target.rawKeys();
    if (typeof (await target.store.delete("probe")) === "boolean") {
      expectEqual(late.headers.getSetCookie(), []);
      expectEqual(keys, []);
    } else {
      // A store that cannot say whether the delete found anything: documented best effort.
      expectEqual(late.headers.getSetCookie().length, 1);
      expectEqual(keys.length, 1);
    }
  });

  test("a nested mutation is written, and only that key", async () => {
    const { sessions, run, login, record } = await setup();
    const cookie = await login({ user: "ada", cart: ["tea"] });
    const a = await sessions.load(request(cookie));
    const b = await sessions.load(request(cookie));
    a.get("cart")!.push("milk");
    b.set("user", "ada lovelace");
    await sessions.commit(b, ok());
    await sessions.commit(a, ok());
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expectEqual(seen, { user: "ada lovelace", cart: ["tea", "milk"] });
    // Also after an explicit write in the same request (no snapshot is taken then).
    const c = await sessions.load(request(cookie));
    c.set("n", 1);
    c.get("cart")!.push("sugar");
    await sessions.commit(c, ok());
    expectEqual((await record(cookie))?.["d:cart"], '["tea","milk","sugar"]');
  });

  test("setting a value to what it already is writes nothing", async () => {
    const { run, login, record } = await setup();
    const cookie = await login({ user: "ada" });
    const before = await record(cookie);
    const res = await run((_r, s) => (s.set("user", "ada"), ok()), cookie);
    expectEqual(res.headers.getSetCookie(), []);
    expectEqual(await record(cookie), before);
  });

  test("clear() then set replaces the record under the same id", async () => {
    const { run, login, record } = await setup();
    const cookie = await login({ user: "ada", cart: ["tea"] });
    const res = await run((_r, s) => {
      s.clear();
      s.set("n", 7);
      return ok();
    }, cookie);
    expectEqual(res.headers.getSetCookie(), []);
    const stored = await record(cookie);
    expectEqual(stored === null ? null : Object.keys(stored).sort(), ["a", "c", "d:n", "k"]);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expectEqual(seen, { n: 7 });
  });

  test("a session emptied by the handler deletes its entry and its cookie", async () => {
    const { target, run, login } = await setup();
    const cookie = await login({ user: "ada" });
    const res = await run((_r, s) => (s.delete("user"), ok()), cookie);
    expectEqual(res.headers.getSetCookie().length, 1);
    expectTrue(res.headers.getSetCookie()[0]!.startsWith("session=; Max-Age=0;"));
    expectEqual(await target.rawKeys(), []);
  });

  test("flashes are stored, taken once, and removed from the store", async () => {
    const { run, record } = await setup();
    const first = await run((_r, s) => (s.flash("Saved", "success"), ok()));
    const cookie = cookieOf(first)!;
    expectEqual((await record(cookie))?.f, '[["success","Saved"]]');
    let taken: unknown;
    await run((_r, s) => ((taken = s.flashes({ withCategories: true })), ok()), cookie);
    expectEqual(taken, [["success", "Saved"]]);
    expectEqual(await record(cookie), null, "the session held only the flash: now empty, so gone");
  });

  test("permanent sessions: Max-Age = lifetime, store TTL = lifetime; making it non-permanent re-issues a session cookie", async () => {
    const { target, run, login } = await setup({ lifetime: 7200, refresh: false });
    const cookie = await login({ user: "ada" }, true);
    const key = await keyOf(target, cookie);
    const ttl = await target.ttl(key);
    expectTrue(ttl !== null && ttl > 7190 && ttl <= 7200, `TTL ${ttl}`);
    const res = await run((_r, s) => ((s.permanent = false), ok()), cookie);
    expectEqual(res.headers.getSetCookie(), [`${cookie}; Path=/; Secure; HttpOnly; SameSite=Lax`]);
    const back = await run((_r, s) => ((s.permanent = true), ok()), cookie);
    expectEqual(back.headers.getSetCookie(), [
      `${cookie}; Max-Age=7200; Expires=${new Date(T0 + 7200_000).toUTCString()}; Path=/; Secure; HttpOnly; SameSite=Lax`,
    ]);
  });

  test("refresh as a throttle: a read writes only once the interval has passed", async () => {
    const { target, time, run, login, record } = await setup({ lifetime: 7200, refresh: 600 });
    const cookie = await login({ user: "ada" }, true);
    time.advance(10);
    let res = await run((_r, s) => (s.get("user"), ok()), cookie);
    expectEqual(res.headers.getSetCookie(), []);
    expectEqual((await record(cookie))?.a, String(T0S));
    time.advance(600);
    res = await run((_r, s) => (s.get("user"), ok()), cookie);
    expectEqual(res.headers.getSetCookie(), [
      `${cookie}; Max-Age=7200; Expires=${new Date(T0 + 610_000 + 7200_000).toUTCString()}; Path=/; Secure; HttpOnly; SameSite=Lax`,
    ]);
    const stored = await record(cookie);
    expectEqual([stored?.a, stored?.c], [String(T0S + 610), String(T0S)]);
    const ttl = await target.ttl(await keyOf(target, cookie));
    expectTrue(ttl !== null && ttl > 7190, `TTL refreshed (${ttl})`);
  });

  test("refresh: true writes on reads, no more often than the store's touchInterval", async () => {
    const { target, time, run, login, record } = await setup({ lifetime: 7200 });
    const interval = target.store.touchInterval ?? 0;
    const cookie = await login({ user: "ada" }, true);
    time.advance(1);
    let res = await run((_r, s) => (s.get("user"), ok()), cookie);
    expectEqual(res.headers.getSetCookie().length, interval <= 1 ? 1 : 0);
    expectEqual((await record(cookie))?.a, String(T0S + (interval <= 1 ? 1 : 0)));
    time.advance(interval + 1);
    res = await run((_r, s) => (s.get("user"), ok()), cookie);
    expectEqual(res.headers.getSetCookie().length, 1);
    expectEqual((await record(cookie))?.a, String(T0S + interval + 2));
  });

  test("the idle limit is enforced from stored timestamps; an expired entry is deleted when seen (TM-11)", async () => {
    const { target, time, run, login, reasons } = await setup({ lifetime: 3600 });
    const cookie = await login();
    const key = await keyOf(target, cookie);
    time.advance(3600);
    let seen: unknown;
    await run((_r, s) => ((seen = s.get("user")), ok()), cookie);
    expectEqual(seen, "ada", "exactly at the limit it still lives");
    time.advance(1);
    const res = await run((_r, s) => ((seen = s.get("user")), ok()), cookie);
    expectEqual(seen, undefined);
    expectEqual(reasons, ["expired"]);
    expectEqual(res.headers.getSetCookie(), []);
    expectEqual(await target.rawKeys(), [], `the stale entry ${key} is gone`);
  });

  test("the absolute limit is never extended by refreshing (TM-03)", async () => {
    const { time, run, login, reasons } = await setup({ lifetime: 3600, absoluteLifetime: 7200, refresh: true });
    const cookie = await login({ user: "ada" }, true);
    let seen: unknown;
    for (let step = 0; step < 3; step++) {
      time.advance(1800);
      const res = await run((_r, s) => ((seen = s.get("user")), ok()), cookie);
      expectEqual(seen, "ada");
      const maxAge = Number(/Max-Age=(\d+)/.exec(res.headers.getSetCookie()[0] ?? "")?.[1]);
      expectEqual(maxAge, Math.min(3600, 7200 - 1800 * (step + 1)), "Max-Age stops at the absolute limit");
    }
    time.advance(1801);
    await run((_r, s) => ((seen = s.get("user")), ok()), cookie);
    expectEqual(seen, undefined);
    expectEqual(reasons, ["expired"]);
  });

  test("a record that is not ours, or not this session's, is a fresh session, never a crash (ST-04)", async () => {
    const { target, run, login, reasons } = await setup();
    const bad: Array<(key: string) => StoreRecord> = [
      () => ({ k: "another-sessions-key", c: String(T0S), a: String(T0S), "d:user": '"eve"' }),
      (k) => ({ k, c: "soon", a: String(T0S), "d:user": '"eve"' }),
      (k) => ({ k, c: String(T0S), a: "-1", "d:user": '"eve"' }),
      (k) => ({ k, c: String(T0S), a: String(T0S), "d:user": "{not json" }),
      (k) => ({ k, c: String(T0S), a: String(T0S), p: "yes", "d:user": '"eve"' }),
      (k) => ({ k, c: String(T0S), a: String(T0S), f: '[["x"]]', "d:user": '"eve"' }),
      (k) => ({ k, a: String(T0S), "d:user": '"eve"' }),
    ];
    for (const make of bad) {
      const cookie = await login({ user: "ada" });
      const key = await sha256(idOf(cookie));
      await target.store.set(key, make(key), 3600);
      let seen: unknown = "?";
      const res = await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
      expectEqual([seen, res.status], [{}, 200]);
    }
    expectEqual(reasons, Array(bad.length).fill("malformed"));
  });

  test("an unserializable value fails the commit before any store write or cookie", async () => {
    const { target, sessions, login, record } = await setup();
    const cookie = await login({ user: "ada" });
    const before = await record(cookie);
    const s = await sessions.load(request(cookie));
    s.set("n", Number.NaN);
    const error = await expectRejects(() => sessions.commit(s, ok()));
    expectTrue(error instanceof SessionError && error.code === "unserializable", String(error));
    expectEqual(await record(cookie), before);
    const fresh = await sessions.load(request());
    fresh.set("when", new Date(0) as unknown as string);
    await expectRejects(() => sessions.commit(fresh, ok()));
    expectEqual((await target.rawKeys()).length, 1);
  });
}

async function keyOf(target: StoreTarget, cookie: string): Promise<string> {
  const hash = await sha256(idOf(cookie));
  const key = (await target.rawKeys()).find((k) => k.endsWith(hash));
  if (key === undefined) throw new Error("no store key for this cookie");
  return key;
}
