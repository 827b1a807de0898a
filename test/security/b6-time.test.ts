// Security bar b.6 (expiry and clock), every case by its id. Every case runs on an injected
// clock (TM-10); timestamps are forged with the test key where a case needs exact values.

import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, test, vi } from "vitest";
import { createSessions, memoryStore } from "../../src/index.ts";
import type { MemoryStore, SessionStore } from "../../src/index.ts";
import { b64, envelope, flaskToken, sealedToken, signedToken } from "./forge.ts";
import { COOKIE_MODES, MODES, T0, T0S, TEST_SECRET, Target, request, valueOf } from "./target.ts";
import type { Mode } from "./target.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A stored session with the given creation and last-write times, straight into `store`. */
async function stored(store: MemoryStore, created: string | number, lastActive: string | number, data = { user: "ada" }): Promise<string> {
  const id = randomBytes(32).toString("base64url");
  const key = createHash("sha256").update(id).digest("base64url");
  const fields: Record<string, string> = { k: key, c: String(created), a: String(lastActive) };
  for (const [name, value] of Object.entries(data)) fields[`d:${name}`] = JSON.stringify(value);
  await store.set(key, fields, 3600);
  return id;
}

/** A cookie of `mode` holding {user: "ada"}, created at `created` and last written at `lastActive` (seconds). */
async function timed(t: Target, created: number, lastActive = created): Promise<string> {
  switch (t.mode) {
    case "signed":
      return signedToken(TEST_SECRET, t.name, envelope({ user: "ada" }, created, lastActive));
    case "sealed":
      return sealedToken(TEST_SECRET, t.name, envelope({ user: "ada" }, created, lastActive));
    case "flask":
      return flaskToken(TEST_SECRET, '{"user":"ada"}', lastActive);
    case "store":
      return stored(t.store!, created, lastActive);
  }
}

/** The creation time inside a signed cookie, or a store record. */
async function createdOf(t: Target, value: string): Promise<number> {
  if (t.mode === "signed") return (JSON.parse(Buffer.from(value.split(".")[0]!, "base64url").toString()) as { c: number }).c;
  const key = createHash("sha256").update(value).digest("base64url");
  return Number((await t.store!.get(key))!.c);
}

describe("b.6 expiry and clock", () => {
  test("TM-01: property: accepted exactly inside the window: absolute limit ±3 s, idle limit ±3 s, a timestamp 0-120 s ahead (60 s of skew natively, none for flask)", async () => {
    const ABSOLUTE = 12 * 3600;
    const LIFETIME = 3600;
    const targets = new Map<Mode, Target>(
      MODES.map((mode) => [mode, new Target(mode, { lifetime: LIFETIME, ...(mode === "flask" ? {} : { absoluteLifetime: ABSOLUTE }) })]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MODES),
        fc.constantFrom("absolute", "idle", "ahead"),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 120 }),
        async (mode, rule, d, ahead) => {
          const t = targets.get(mode)!;
          if (mode === "flask" && rule === "absolute") return; // no creation time in Flask's cookie
          let created = T0S;
          let lastActive = T0S;
          let accepted: boolean;
          if (rule === "absolute") {
            created = T0S - ABSOLUTE + d; // age ABSOLUTE - d
            lastActive = T0S - 10;
            accepted = d >= 0;
          } else if (rule === "idle") {
            lastActive = T0S - LIFETIME + d;
            created = lastActive - 100;
            accepted = d >= 0;
          } else {
            created = lastActive = T0S + ahead;
            accepted = ahead <= (mode === "flask" ? 0 : 60);
          }
          t.reasons.length = 0;
          const seen = await t.read(t.pair(await timed(t, created, lastActive)));
          expect(!seen.isNew, `${mode} ${rule} d=${d} ahead=${ahead}`).toBe(accepted);
          expect(t.reasons).toEqual(accepted ? [] : ["expired"]);
        },
      ),
      { numRuns: 400 },
    );
  });

  test.each(MODES)("TM-02: a session idle longer than lifetime is ANON, whatever the browser still holds [%s]", async (mode) => {
    // A permanent cookie (the browser keeps it), never refreshed: idle since T0.
    const t = new Target(mode, { lifetime: 100, refresh: false });
    const value = await t.issue({ user: "ada" }, { permanent: true });
    t.time.advance(100);
    await t.accepts(t.pair(value), { user: "ada" });
    t.time.advance(1);
    await t.anon(t.pair(value), { reason: mode === "store" ? ["expired", "unknown_id"] : "expired" });
  });

  test.each(["signed", "sealed", "store"] as const)(
    "TM-03: one request a minute for 13 h with absoluteLifetime 12 h and rolling refresh: ANON from 12 h on; refreshing never moves the creation time [%s]",
    async (mode) => {
      const t = new Target(mode, { lifetime: 3600, absoluteLifetime: 12 * 3600, refresh: true });
      let value = await t.issue({ user: "ada" }, { permanent: true });
      const created = mode === "sealed" ? T0S : await createdOf(t, value);
      expect(created).toBe(T0S);
      let lastAlive = 0;
      for (let minute = 1; minute <= 13 * 60; minute++) {
        t.time.advance(60);
        const seen = await t.read(t.pair(value));
        if (seen.isNew) continue;
        lastAlive = minute;
        value = valueOf(seen.setCookie, t.name) ?? value;
        if (mode !== "sealed") expect(await createdOf(t, value)).toBe(T0S);
      }
      expect(lastAlive).toBe(12 * 60);
      await t.anon(t.pair(value), { reason: mode === "store" ? ["expired", "unknown_id"] : "expired" });
    },
  );

  test.each(MODES)(
    "TM-04: a timestamp 5 min ahead is ANON; 30 s ahead is accepted natively (60 s skew), while flask rejects any future time as itsdangerous does [%s]",
    async (mode) => {
      const t = new Target(mode);
      await t.anon(t.pair(await timed(t, T0S + 300)), { reason: "expired" });
      if (mode === "flask") {
        await t.anon(t.pair(await timed(t, T0S + 30)), { reason: "expired" });
        await t.anon(t.pair(await timed(t, T0S + 1)), { reason: "expired" });
        await t.accepts(t.pair(await timed(t, T0S)), { user: "ada" });
      } else {
        await t.accepts(t.pair(await timed(t, T0S + 30)), { user: "ada" });
        await t.accepts(t.pair(await timed(t, T0S + 60)), { user: "ada" });
        await t.anon(t.pair(await timed(t, T0S + 61)), { reason: "expired" });
      }
    },
  );

  test("TM-05: timestamps negative, 0, NaN, with leading zeros, 12.34, -1, beyond 2^53 or 8 bytes of 0xFF are ANON [signed, sealed]", async () => {
    for (const mode of ["signed", "sealed"] as const) {
      const t = new Target(mode);
      const make = mode === "signed" ? signedToken : sealedToken;
      const invalid = [
        "-1",
        "NaN",
        "01700000000",
        "1700000000.5",
        "12.34",
        String(2 ** 53 + 2),
        "18446744073709551615",
        '"1700000000"',
        "null",
        "1e400",
        "Infinity",
        "true",
        "[1700000000]",
      ];
      for (const v of ["0", "-0", ...invalid]) {
        await t.anon(t.pair(make(TEST_SECRET, "session", `{"c":${v},"a":${v},"d":{"user":"ada"}}`)), { label: `${mode} c=a=${v}` });
      }
      // A creation time of its own is only ever checked against the absolute limit (and 0 is
      // the epoch, far past any); malformed ones are refused in either field.
      for (const v of invalid) {
        await t.anon(t.pair(make(TEST_SECRET, "session", `{"c":${v},"a":${T0S},"d":{"user":"ada"}}`)), { label: `${mode} c=${v}` });
        await t.anon(t.pair(make(TEST_SECRET, "session", `{"c":${T0S},"a":${v},"d":{"user":"ada"}}`)), { label: `${mode} a=${v}` });
      }
      const absolute = new Target(mode, { absoluteLifetime: 3600 });
      await absolute.anon(absolute.pair(make(TEST_SECRET, "session", `{"c":0,"a":${T0S},"d":{"user":"ada"}}`)), { reason: "expired" });
    }
  });

  test("TM-05: flask: timestamp 0 (empty), a leading zero byte, 8 bytes of 0xFF, 9 bytes are ANON [flask]", async () => {
    const t = new Target("flask");
    const cases: Array<[string, "expired" | "malformed"]> = [
      ["", "expired"],
      [b64(Buffer.from([0, 0x65, 0x53, 0xf1, 0x00])), "malformed"], // T0 with a leading zero byte
      [b64(Buffer.from([0])), "malformed"],
      [b64(Buffer.alloc(8, 0xff)), "expired"],
      [b64(Buffer.alloc(9, 0x01)), "malformed"],
      [b64(Buffer.from([0x20, 0, 0, 0, 0, 0, 0x01])), "expired"], // beyond 2^53
    ];
    for (const [segment, reason] of cases) await t.anon(t.pair(flaskToken(TEST_SECRET, '{"user":"ada"}', { segment })), { reason, label: segment });
    await t.accepts(t.pair(flaskToken(TEST_SECRET, '{"user":"ada"}', T0S)), { user: "ada" });
  });

  test("TM-05: store: stored times that are negative, NaN, padded, fractional or beyond 2^53 are ANON [store]", async () => {
    const t = new Target("store");
    for (const c of ["-1", "NaN", "01700000000", "1700000000.5", "12.34", "9007199254740993", "18446744073709551615", "", " 1700000000", "1e9", "0x10"]) {
      await t.anon(t.pair(await stored(t.store!, c, T0S)), { reason: "malformed", label: `c=${c}` });
      await t.anon(t.pair(await stored(t.store!, T0S, c)), { reason: "malformed", label: `a=${c}` });
    }
    await t.anon(t.pair(await stored(t.store!, 0, 0)), { reason: ["expired", "unknown_id"] });
  });

  test.each(MODES)("TM-06: a cookie replayed after its Max-Age has passed is ANON: expiry is the server's [%s]", async (mode) => {
    const t = new Target(mode, { lifetime: 600, refresh: false });
    const value = await t.issue({ user: "ada" }, { permanent: true });
    const response = await t.run((s) => s.set("x", 1), t.pair(value));
    expect(response.headers.getSetCookie()[0]).toContain("Max-Age=600;");
    t.time.advance(601);
    await t.anon(t.pair(value), { reason: mode === "store" ? ["expired", "unknown_id"] : "expired" });
  });

  test("TM-07: lifetime or absoluteLifetime over 400 days, fractional, NaN, negative, zero or not a number is a CONFIG-ERROR; refresh must be below lifetime", () => {
    for (const option of ["lifetime", "absoluteLifetime"] as const) {
      for (const bad of [401 * 86400, 400 * 86400 + 1, 1.5, NaN, -1, 0, Infinity, "3600", 2 ** 53, {}]) {
        expect(() => createSessions({ secret: TEST_SECRET, [option]: bad } as never), `${option}=${String(bad)}`).toThrow(
          new RegExp(`option ${option} is invalid`),
        );
      }
      expect(() => createSessions({ secret: TEST_SECRET, [option]: 400 * 86400 })).not.toThrow();
    }
    for (const bad of [-1, 1.5, NaN, 3600, 99999, "60"]) {
      expect(() => createSessions({ secret: TEST_SECRET, lifetime: 3600, refresh: bad } as never), String(bad)).toThrow(/option refresh is invalid/);
    }
    // There is no Expires option to give an invalid Date: Expires is computed from lifetime.
    expect(() => createSessions({ secret: TEST_SECRET, expires: new Date(NaN) } as never)).toThrow(/option expires is unknown/);
  });

  test("TM-08: Expires is an IMF-fixdate in GMT with a 4-digit year, after 2038 and in every month, and agrees with Max-Age", async () => {
    for (let month = 0; month < 12; month++) {
      const now = Date.UTC(2099, month, 28, 23, 59, 59, 999);
      const sessions = createSessions({ secret: TEST_SECRET, lifetime: 86400, now: () => now });
      const response = await sessions.handle((_r, s) => ((s.permanent = true), s.set("a", 1), new Response("ok")))(request());
      const line = response.headers.getSetCookie()[0]!;
      const expires = /; Expires=([^;]+);/.exec(line)![1]!;
      expect(expires).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 2\d{3} \d{2}:\d{2}:\d{2} GMT$/);
      expect(Date.parse(expires)).toBe(Math.floor(now / 1000) * 1000 + 86400_000);
      expect(line).toContain("; Max-Age=86400;");
    }
  });

  test.each(MODES)(
    "TM-09: destroy() sends Max-Age=0 and a past Expires with exactly the Path, Domain, Secure, SameSite and Partitioned it was set with [%s]",
    async (mode) => {
      const cookie = { name: "sid", domain: "app.example", path: "/app", sameSite: "Strict" as const, partitioned: true };
      const t = new Target(mode, { cookie });
      const response = await t.run((s) => ((s.permanent = true), s.set("a", 1)));
      const set = response.headers.getSetCookie()[0]!;
      const destroyed = await t.run((s) => s.destroy(), t.pair(valueOf([set], "sid")!));
      const [line] = destroyed.headers.getSetCookie();
      expect(line).toBe(
        "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=app.example; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned",
      );
      const attributes = (l: string) =>
        l
          .split("; ")
          .slice(1)
          .filter((a) => !/^(Max-Age|Expires)=/.test(a));
      expect(attributes(line!)).toEqual(attributes(set));
    },
  );

  test.each(MODES)(
    "TM-10: all time comes from the injected clock: frozen far from the wall clock, the session's times follow it and Date.now decides nothing [%s]",
    async (mode) => {
      // 2101-01-01, frozen: the wall clock (Date.now) is a century earlier.
      const frozen = Date.UTC(2101, 0, 1);
      let now = frozen;
      const store = mode === "store" ? memoryStore({ now: () => now }) : undefined;
      const t = new Target(mode, { now: () => now, lifetime: 3600 }, { store });
      const wall = vi.spyOn(Date, "now");
      const response = await t.run((s) => ((s.permanent = true), s.set("user", "ada")));
      const line = response.headers.getSetCookie()[0]!;
      expect(line).toContain(`; Expires=${new Date(frozen + 3600_000).toUTCString()};`);
      const value = valueOf([line], t.name)!;
      if (mode === "signed" || mode === "store") expect(await createdOf(t, value)).toBe(frozen / 1000);
      await t.accepts(t.pair(value), { user: "ada" });
      // Cookie formats never read the wall clock; a store reads it only for its call deadlines.
      if (mode !== "store") expect(wall).not.toHaveBeenCalled();
      now += 3601 * 1000;
      await t.anon(t.pair(value), { reason: mode === "store" ? "unknown_id" : "expired" });
    },
  );

  test("TM-11: a record the store has expired but not reaped (a stale read) is ANON, and its deletion is attempted [store]", async () => {
    // The store's own clock stands still, so it never expires anything by itself.
    const inner = memoryStore({ now: () => T0 });
    const deleted: string[] = [];
    const store: SessionStore = {
      get: (k) => inner.get(k),
      set: (k, r, ttl) => inner.set(k, r, ttl),
      delete: (k) => (deleted.push(k), inner.delete(k)),
      patch: (k, p, ttl) => inner.patch(k, p, ttl),
    };
    const t = new Target("store", { store, lifetime: 600 });
    const id = await t.issue();
    t.time.advance(601);
    const key = createHash("sha256").update(id).digest("base64url");
    expect(await inner.get(key)).not.toBeNull();
    await t.anon(t.pair(id), { reason: ["expired", "unknown_id"] });
    expect(deleted).toContain(key);
    expect(await inner.get(key)).toBeNull();
  });

  test("TM-12: cookie sessions: a cookie captured before logout is still accepted after it, until it expires (pinned; documented under Security notes) [signed, sealed, flask]", async () => {
    for (const mode of COOKIE_MODES) {
      const t = new Target(mode, { lifetime: 3600 });
      const captured = await t.issue({ user: "ada" });
      const logout = await t.run((s) => s.destroy(), t.pair(captured));
      expect(logout.headers.getSetCookie()[0]).toMatch(/^session=; Max-Age=0/);
      t.time.advance(60);
      await t.accepts(t.pair(captured), { user: "ada" });
      t.time.advance(3600);
      await t.anon(t.pair(captured), { reason: "expired" });
    }
  });

  test("TM-12: server-side sessions: after logout the captured cookie is ANON at once [store]", async () => {
    const t = new Target("store");
    const captured = await t.issue({ user: "ada" });
    await t.run((s) => s.destroy(), t.pair(captured));
    await t.anon(t.pair(captured), { reason: "unknown_id" });
  });

  test.each(MODES)("TM-13: permanent x refresh x modified x accessed gives Flask's Set-Cookie presence matrix [%s]", async (mode) => {
    for (const permanent of [false, true]) {
      for (const refresh of [false, true]) {
        for (const modify of [false, true]) {
          for (const access of [false, true]) {
            const t = new Target(mode, { refresh });
            const value = await t.issue({ n: 0 }, { permanent });
            t.time.advance(10);
            const response = await t.run((s) => {
              if (access) s.get("n");
              if (modify) s.set("n", 1);
            }, t.pair(value));
            const accessed = access || modify;
            // Flask: written when modified, or when permanent and refreshed on a read. A store
            // keeps a non-permanent session's id, so its changes need no new cookie.
            const written = mode === "store" ? permanent && (modify || (refresh && accessed)) : modify || (permanent && refresh && accessed);
            const label = `${mode} permanent=${permanent} refresh=${refresh} modify=${modify} access=${access}`;
            expect(response.headers.getSetCookie().length, label).toBe(written ? 1 : 0);
            expect(response.headers.get("Vary"), label).toBe(accessed ? "Cookie" : null);
          }
        }
      }
    }
  });
});
