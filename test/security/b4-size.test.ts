// Security bar b.4 (size), every case by its id: the 4096-byte cookie limit on the way out, the
// length check on the way in, linear parsing of big headers, attribute and store limits.

import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import * as miniflare from "miniflare";
import { afterAll, describe, expect, test, vi } from "vitest";
import { SessionError, createSessions, memoryStore } from "../../src/index.ts";
import type { SessionStore } from "../../src/index.ts";
import { kvStore } from "../../src/stores/kv.ts";
import type { KVNamespaceLike } from "../../src/stores/kv.ts";
import { COOKIE_MODES, MODES, TEST_SECRET, Target, request, valueOf } from "./target.ts";

// Random-looking text from a fixed seed (xorshift32), so sizes, flask's zlib included, are
// the same on every run.
const RANDOM = (() => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let x = 0x9e3779b9;
  let out = "";
  for (let i = 0; i < 6000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += alphabet[(x >>> 0) & 63];
  }
  return out;
})();

/** Median of `runs` timings (ms) of `fn`. */
async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

describe("b.4 size", () => {
  test.each(COOKIE_MODES)(
    "SZ-01: name + value = 4096 bytes is emitted; 4097 is a WRITE-ERROR before any header, and the old cookie stays [%s]",
    async (mode) => {
      // A compressed flask cookie is 36 + len(name) + a base64 length (never 1 mod 4) bytes long:
      // an 8-character name lets it land on 4096.
      const t = new Target(mode, mode === "flask" ? { cookie: { name: "sessions" } } : {});
      const old = await t.issue({ user: "ada" });
      // `n` characters of random text, and `pad` more in a second key (flask's zlib makes the
      // size jump by more than one byte per character, so both are varied to land on 4096).
      async function attempt(n: number, pad = 0): Promise<number | SessionError> {
        const session = await t.sessions.load(request(t.pair(old)));
        session.set("v" as never, RANDOM.slice(0, n) as never);
        if (pad > 0) session.set("p" as never, "x".repeat(pad) as never);
        const response = new Response("ok");
        try {
          const line = (await t.sessions.commit(session, response)).headers.getSetCookie()[0]!;
          return t.name.length + valueOf([line], t.name)!.length;
        } catch (error) {
          expect(response.headers.getSetCookie()).toEqual([]);
          return error as SessionError;
        }
      }
      // The first length that no longer fits, then the neighbourhood for one that lands on 4096.
      let n = 2800;
      while (typeof (await attempt(n)) === "number") n += 8;
      let exact: [number, number] | undefined;
      for (let m = n - 40; m <= n + 8 && exact === undefined; m++) {
        for (let pad = 0; pad < 12 && exact === undefined; pad++) if ((await attempt(m, pad)) === 4096) exact = [m, pad];
      }
      expect(exact, `${mode}: some session is exactly 4096 bytes`).toBeDefined();
      // Growing from there, the first cookie over the limit is refused (4097 bytes where the
      // format can produce that length, else the next length it can).
      let over: number | SessionError = 4096;
      for (let pad = exact![1] + 1; typeof over === "number"; pad++) {
        over = await attempt(exact![0], pad);
        if (typeof over === "number") expect(over).toBeLessThanOrEqual(4096);
      }
      expect(over).toBeInstanceOf(SessionError);
      expect((over as SessionError).code).toBe("cookie_too_large");
      expect((over as SessionError).message).toMatch(
        mode === "flask"
          ? /would be 409[789] bytes \(name \+ value\), over the 4096-byte limit/
          : /would be 4097 bytes \(name \+ value\), over the 4096-byte limit/,
      );
      // Nothing was written, so the browser keeps the previous cookie, which still loads.
      await t.accepts(t.pair(old), { user: "ada" });
    },
  );

  test.each(MODES)(
    "SZ-02: an incoming session cookie of 100 KB is ANON, refused by its length before any decoding (no cryptography: comparison-spy.test.ts) [%s]",
    async (mode) => {
      const t = new Target(mode);
      const token = await t.issue();
      const huge = `${token}${"A".repeat(100 * 1024)}`;
      const started = performance.now();
      await t.anon(t.pair(huge), { reason: "malformed" });
      expect(performance.now() - started).toBeLessThan(500);
    },
  );

  test.each(MODES)(
    "SZ-03: a 64 KB Cookie header of 5,000 pairs with the session last: found and verified, in time linear in the header size [%s]",
    async (mode) => {
      const t = new Target(mode);
      const token = await t.issue({ user: "ada" });
      const header = (bytes: number): string => {
        const pairs: string[] = [];
        let length = 0;
        for (let i = 0; length < bytes; i++) {
          const pair = `${i.toString(36)}=vvvv`;
          pairs.push(pair);
          length += pair.length + 2;
        }
        return `${pairs.join("; ")}; ${t.pair(token)}`;
      };
      const big = header(64 * 1024 - 200);
      expect(big.split("; ").length).toBeGreaterThanOrEqual(5000);
      expect(big.length).toBeLessThanOrEqual(64 * 1024);
      await t.accepts(big, { user: "ada" });
      const small = header(1024 - 200);
      // Linear: t(64 KB) / t(1 KB) far below the 64x that would already be linear, with slack
      // for noise (security bar d.2 allows ~80); a quadratic parser would take ~4000x.
      const load = (h: string) => async () => (await t.sessions.load(request(h))).get("user");
      for (let i = 0; i < 20; i++) await load(big)();
      const ratio = (await median(31, load(big))) / (await median(31, load(small)));
      expect(ratio, `t(64 KB) / t(1 KB) = ${ratio.toFixed(1)}`).toBeLessThan(80);
    },
  );

  test("SZ-04: a Path or Domain over 1024 bytes is a CONFIG-ERROR naming the option", () => {
    expect(() => createSessions({ secret: TEST_SECRET, cookie: { path: `/${"a".repeat(1024)}` } })).toThrow(/option cookie\.path is invalid/);
    expect(() => createSessions({ secret: TEST_SECRET, cookie: { domain: `${"a.".repeat(512)}com` } })).toThrow(/option cookie\.domain is invalid/);
    // The limits themselves are fine.
    expect(() => createSessions({ secret: TEST_SECRET, cookie: { path: `/${"a".repeat(1023)}` } })).not.toThrow();
  });

  describe("SZ-05: store limits", () => {
    const mf = new miniflare.Miniflare({
      modules: true,
      script: "export default {}",
      kvNamespaces: ["SESSIONS"],
      compatibilityDate: "2025-01-01",
    } as ConstructorParameters<typeof miniflare.Miniflare>[0]);
    afterAll(() => mf.dispose());

    test("SZ-05: a record over Workers KV's 25 MiB value limit (real Miniflare KV) is a WRITE-ERROR: typed, before any Set-Cookie", async () => {
      const namespace = (await mf.getKVNamespace("SESSIONS")) as unknown as KVNamespaceLike;
      const sessions = createSessions({ secret: TEST_SECRET, store: kvStore(namespace, { prefix: "sz05:" }), storeTimeout: 30_000 });
      const session = await sessions.load(request());
      session.set("blob" as never, "x".repeat(25 * 1024 * 1024) as never);
      const response = new Response("ok");
      const error = await sessions.commit(session, response).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionError);
      expect((error as SessionError).code).toBe("store_unavailable");
      expect((error as SessionError).message).toMatch(/exceeds limit/);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect((await namespace.get("sz05:x")) ?? null).toBeNull();
    }, 60_000);

    test("SZ-05: store keys are fixed-length hashes whatever the cookie holds; a KV prefix that would push a key past 512 bytes is refused", async () => {
      const keys: string[] = [];
      const inner = memoryStore();
      const spy: SessionStore = {
        get: (k) => (keys.push(k), inner.get(k)),
        set: (k, r, ttl) => (keys.push(k), inner.set(k, r, ttl)),
        delete: (k) => (keys.push(k), inner.delete(k)),
      };
      const t = new Target("store", { store: spy });
      const id = await t.issue();
      await t.read(t.pair(id));
      await t.read(t.pair("A".repeat(43)));
      await t.read(t.pair("x".repeat(4000)));
      expect(keys.length).toBeGreaterThan(2);
      for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const namespace = (await mf.getKVNamespace("SESSIONS")) as unknown as KVNamespaceLike;
      expect(() => kvStore(namespace, { prefix: "p".repeat(470) })).toThrow(/option prefix is invalid/);
      expect(() => kvStore(namespace, { prefix: "p".repeat(469) })).not.toThrow();
      expect(() => kvStore(namespace, "prefix" as never)).toThrow(/kvStore options must be an object/);
    });
  });

  test("SZ-06: with 6 KB of other cookies, a 4 KB session cookie is still emitted, with one warning (sizes only) that the total passes 8 KB", async () => {
    const t = new Target("signed");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (let round = 0; round < 3; round++) {
        const response = await t.run((s) => {
          s.set("v" as never, RANDOM.slice(0, 2900) as never);
          const headers = new Headers();
          for (let i = 0; i < 3; i++) headers.append("Set-Cookie", `pref${i}=${RANDOM.slice(i * 2000, i * 2000 + 2000)}; Path=/`);
          return new Response("ok", { headers });
        });
        const lines = response.headers.getSetCookie();
        expect(lines).toHaveLength(4);
        expect(lines[3]!.startsWith("session=")).toBe(true);
        expect(lines[3]!.split(";")[0]!.length).toBeGreaterThan(3900);
      }
      expect(warn).toHaveBeenCalledTimes(1);
      const message = String(warn.mock.calls[0]![0]);
      expect(message).toMatch(/sets \d{4,5} bytes of cookies \(name=value\), over 8192/);
      expect(message).not.toContain(RANDOM.slice(0, 40));
      // Under 8 KB in total: no warning.
      warn.mockClear();
      const small = new Target("signed");
      await small.run((s) => s.set("v" as never, "x" as never));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test("SZ-07: flask: a payload that fits only compressed is written compressed ('.' prefix) exactly as itsdangerous would, and reads back", async () => {
    const t = new Target("flask");
    const data = { items: Array.from({ length: 400 }, (_, i) => `item-${i % 10}`) };
    expect((JSON.stringify(data).length * 4) / 3).toBeGreaterThan(4096);
    const response = await t.run((s) => s.update(data));
    const value = valueOf(response.headers.getSetCookie(), "session")!;
    expect(value.startsWith(".")).toBe(true);
    expect(t.name.length + value.length).toBeLessThanOrEqual(4096);
    // What Flask reads: zlib of the sorted, compact JSON.
    const json = inflateSync(Buffer.from(value.slice(1).split(".")[0]!, "base64url")).toString();
    expect(json).toBe(JSON.stringify(data));
    await t.accepts(t.pair(value), data);
  });
});
