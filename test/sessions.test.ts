import { Buffer } from "node:buffer";
import { afterEach, describe, expect, test, vi } from "vitest";
import { SessionError, createSessions } from "../src/index.ts";
import type { InvalidReason, Session, SessionsOptions } from "../src/index.ts";
import { OLD_SECRET, T0, TEST_SECRET, clock, cookieOf, requestWith } from "./helpers.ts";

type Handler = (request: Request, session: Session) => Response | Promise<Response>;

function setup(options: Partial<SessionsOptions> = {}) {
  const time = clock();
  const reasons: InvalidReason[] = [];
  const sessions = createSessions({ secret: TEST_SECRET, now: time.now, onInvalid: (r) => reasons.push(r), ...options });
  async function run(handler: Handler, cookie?: string, url?: string): Promise<Response> {
    return sessions.handle(handler)(requestWith(cookie, url));
  }
  return { sessions, time, reasons, run };
}

function envelope(cookie: string): { c: number; a: number; p?: 1; n?: string; d: Record<string, unknown> } {
  const value = cookie.slice(cookie.indexOf("=") + 1);
  return JSON.parse(Buffer.from(value.split(".")[0]!, "base64url").toString());
}

const ok = (): Response => new Response("ok");

describe("writing only when needed", () => {
  test("a handler that never touches the session gets the very same response, no headers, no verification (HD-02)", async () => {
    const { sessions, reasons } = setup();
    const response = new Response("x", { headers: { "X-A": "1" } });
    const session = await sessions.load(requestWith("session=garbage"));
    expect(await sessions.commit(session, response)).toBe(response);
    expect(response.headers.get("Vary")).toBeNull();
    expect(reasons).toEqual([]); // the bad cookie was never even looked at
  });

  test("setting a value writes a browser-session cookie with the defaults", async () => {
    const { run } = setup();
    const res = await run((_r, s) => (s.set("user", "ada"), ok()));
    const [line] = res.headers.getSetCookie();
    expect(line).toMatch(/^session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(res.headers.get("Vary")).toBe("Cookie");
    expect(res.headers.get("Cache-Control")).toBe("private");
    expect(await res.text()).toBe("ok");
    expect(envelope(line!)).toEqual({ c: T0 / 1000, a: T0 / 1000, d: { user: "ada" } });
  });

  test("reading a valid non-permanent session adds Vary only; reading none adds Vary too", async () => {
    const { run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    let seen: unknown;
    const res = await run((_r, s) => ((seen = s.get("user")), ok()), cookie);
    expect(seen).toBe("ada");
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get("Vary")).toBe("Cookie");
    const empty = await run((_r, s) => (s.get("user"), ok()));
    expect(empty.headers.getSetCookie()).toEqual([]);
    expect(empty.headers.get("Vary")).toBe("Cookie");
    expect(empty.headers.get("Cache-Control")).toBeNull();
  });

  // Flask's matrix (test_session_cookie_setting / TM-13): permanent x refresh x modified x accessed.
  const matrix: Array<{ permanent: boolean; refresh: boolean; modify: boolean; access: boolean; cookie: boolean; vary: boolean }> = [];
  for (const permanent of [false, true])
    for (const refresh of [false, true])
      for (const modify of [false, true])
        for (const access of [false, true]) {
          const accessed = access || modify;
          matrix.push({ permanent, refresh, modify, access, cookie: modify || (permanent && refresh && accessed), vary: accessed });
        }
  test.each(matrix)("permanent=$permanent refresh=$refresh modify=$modify access=$access -> Set-Cookie $cookie, Vary $vary", async (row) => {
    const { run, time } = setup({ refresh: row.refresh });
    const cookie = cookieOf(await run((_r, s) => (s.set("n", 0), (s.permanent = row.permanent), ok())));
    time.advance(10);
    const res = await run((_r, s) => {
      if (row.access) s.get("n");
      if (row.modify) s.set("n", 1);
      return ok();
    }, cookie);
    expect(res.headers.getSetCookie().length).toBe(row.cookie ? 1 : 0);
    expect(res.headers.get("Vary")).toBe(row.vary ? "Cookie" : null);
  });

  test("refresh as a throttle: re-issued only once the interval has passed, creation time kept", async () => {
    const { run, time } = setup({ refresh: 60 });
    const cookie = cookieOf(await run((_r, s) => (s.set("n", 0), (s.permanent = true), ok())));
    time.advance(59);
    expect((await run((_r, s) => (s.get("n"), ok()), cookie)).headers.getSetCookie()).toEqual([]);
    time.advance(1);
    const refreshed = await run((_r, s) => (s.get("n"), ok()), cookie);
    const line = refreshed.headers.getSetCookie()[0]!;
    expect(envelope(line)).toMatchObject({ c: T0 / 1000, a: T0 / 1000 + 60, p: 1 });
    expect(line).toContain("Max-Age=2678400");
  });

  test("a nested mutation is detected without setting modified (compare what is written with what was read)", async () => {
    const { run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("cart", ["a"]), ok())));
    const res = await run((_r, s) => ((s.get("cart") as string[]).push("b"), ok()), cookie);
    expect(envelope(res.headers.getSetCookie()[0]!).d).toEqual({ cart: ["a", "b"] });
    const untouched = await run((_r, s) => (s.get("cart"), s.entries(), s.toJSON(), ok()), cookie);
    expect(untouched.headers.getSetCookie()).toEqual([]);
  });

  test("modified = true forces a write, like Flask", async () => {
    const { run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), ok())));
    expect((await run((_r, s) => ((s.modified = true), ok()), cookie)).headers.getSetCookie().length).toBe(1);
  });
});

describe("deleting", () => {
  test("an emptied session deletes the cookie with the attributes it was set with (TM-09)", async () => {
    const { run } = setup({ cookie: { name: "sid", domain: "app.example", path: "/a", sameSite: "Strict", partitioned: true } });
    const set = await run((_r, s) => (s.set("a", 1), ok()));
    const cookie = cookieOf(set);
    const res = await run((_r, s) => (s.pop("a"), ok()), cookie);
    expect(set.headers.getSetCookie()[0]).toMatch(/; Domain=app\.example; Path=\/a; Secure; HttpOnly; SameSite=Strict; Partitioned$/);
    expect(res.headers.getSetCookie()).toEqual([
      "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=app.example; Path=/a; Secure; HttpOnly; SameSite=Strict; Partitioned",
    ]);
    expect(res.headers.get("Vary")).toBe("Cookie");
  });

  test("destroy() deletes; clear() deletes; an untouched empty session sets nothing", async () => {
    const { run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), ok())));
    for (const h of [(s: Session) => s.destroy(), (s: Session) => s.clear()]) {
      const res = await run((_r, s) => (h(s), ok()), cookie);
      expect(res.headers.getSetCookie()[0]).toMatch(/^session=; Max-Age=0;/);
    }
  });

  test("regenerate then destroy in one request: exactly one Set-Cookie (HD-06)", async () => {
    const { run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), ok())));
    const res = await run((_r, s) => (s.regenerate(), s.destroy(), ok()), cookie);
    expect(res.headers.getSetCookie()).toHaveLength(1);
    expect(res.headers.getSetCookie()[0]).toMatch(/^session=;/);
  });
});

describe("permanent sessions and time rules", () => {
  test("permanent cookies carry Max-Age = lifetime and Expires", async () => {
    const { run } = setup({ lifetime: 3600 });
    const res = await run((_r, s) => (s.set("a", 1), (s.permanent = true), ok()));
    expect(res.headers.getSetCookie()[0]).toContain(`; Max-Age=3600; Expires=${new Date(T0 + 3600_000).toUTCString()};`);
  });

  test("the idle limit is enforced from the signed timestamp, not the browser (TM-02, TM-06)", async () => {
    const { run, time, reasons } = setup({ lifetime: 100 });
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), ok())));
    time.advance(100);
    let value: unknown;
    await run((_r, s) => ((value = s.get("a")), ok()), cookie);
    expect(value).toBe(1); // age == lifetime is still valid, as in Flask
    time.advance(1);
    await run((_r, s) => ((value = s.get("a")), ok()), cookie);
    expect(value).toBeUndefined();
    expect(reasons).toEqual(["expired"]);
  });

  test("the absolute limit is never extended by refreshing (TM-03)", async () => {
    const { run, time } = setup({ lifetime: 3600, absoluteLifetime: 12 * 3600 });
    let cookie = cookieOf(await run((_r, s) => (s.set("a", 1), (s.permanent = true), ok())));
    let alive = 0;
    for (let minute = 1; minute <= 13 * 60; minute += 30) {
      time.advance(30 * 60);
      let value: unknown;
      const res = await run((_r, s) => ((value = s.get("a")), ok()), cookie);
      if (value === 1) alive++;
      if (res.headers.getSetCookie()[0]?.startsWith("session=e")) cookie = cookieOf(res);
      if (value === undefined) break;
    }
    // Refreshed every 30 minutes, yet dead once 12 hours from creation have passed.
    expect(alive).toBe(24);
  });

  test("Max-Age never outlives the absolute limit", async () => {
    const { run, time } = setup({ lifetime: 3600, absoluteLifetime: 5000 });
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), (s.permanent = true), ok())));
    time.advance(2000);
    const res = await run((_r, s) => (s.get("a"), ok()), cookie);
    expect(res.headers.getSetCookie()[0]).toContain("Max-Age=3000;");
  });

  test("timestamps in the future: accepted within 60 s of skew, rejected beyond (TM-04)", async () => {
    const ahead = setup();
    ahead.time.advance(60);
    const near = cookieOf(await ahead.run((_r, s) => (s.set("a", 1), ok())));
    ahead.time.advance(240);
    const far = cookieOf(await ahead.run((_r, s) => (s.set("a", 1), ok())));
    const { run, reasons } = setup();
    let value: unknown;
    await run((_r, s) => ((value = s.get("a")), ok()), near);
    expect(value).toBe(1);
    await run((_r, s) => ((value = s.get("a")), ok()), far);
    expect(value).toBeUndefined();
    expect(reasons).toEqual(["expired"]);
  });
});

describe("bad cookies are fresh sessions, never errors", () => {
  async function readWith(cookie: string, options: Partial<SessionsOptions> = {}) {
    const { run, reasons } = setup(options);
    let isNew: boolean | undefined;
    let size = -1;
    const res = await run((_r, s) => ((isNew = s.isNew), (size = s.size), ok()), cookie);
    return { isNew, size, reasons, res };
  }

  test.each([
    ["garbage", "session=hello", "malformed"],
    ["truncated", "TRUNCATE", "malformed"],
    ["wrong secret", "OTHER_SECRET", "bad_signature"],
    ["wrong name", "OTHER_NAME", undefined],
    ["oversized", `session=${"a".repeat(5000)}`, "malformed"],
    ["percent-encoded", "PERCENT", "malformed"],
    ["malformed escapes", "session=%E0%A4%A", "malformed"],
    ["quoted", "QUOTED", "malformed"],
    ["control characters", "session=a\u0001b", "malformed"],
  ])("%s", async (_name, kind, reason) => {
    const good = cookieOf(await setup().run((_r, s) => (s.set("a", 1), ok())));
    const value = good.slice("session=".length);
    const otherSecret = cookieOf(await setup({ secret: OLD_SECRET }).run((_r, s) => (s.set("a", 1), ok())));
    const otherName = cookieOf(await setup({ cookie: { name: "other" } }).run((_r, s) => (s.set("a", 1), ok())));
    const cookie =
      {
        TRUNCATE: good.slice(0, -1),
        OTHER_SECRET: otherSecret,
        OTHER_NAME: `session=${otherName.slice("other=".length)}`,
        PERCENT: `session=${value.replace(/\./g, "%2E")}`,
        QUOTED: `session="${value}"`,
      }[kind] ?? kind;
    const { isNew, size, reasons, res } = await readWith(cookie);
    expect(isNew).toBe(true);
    expect(size).toBe(0);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get("Vary")).toBe("Cookie");
    expect(reasons).toEqual([reason ?? "bad_signature"]);
  });

  test("duplicates: two different valid values are ambiguous; one valid wins over garbage; identical is fine (CK-09..CK-12)", async () => {
    const { run } = setup();
    const a = cookieOf(await run((_r, s) => (s.set("who", "victim"), ok())));
    const b = cookieOf(await run((_r, s) => (s.set("who", "attacker"), ok())));
    const ambiguous = await readWith(`${b}; ${a}`);
    expect(ambiguous.isNew).toBe(true);
    expect(ambiguous.reasons).toEqual(["ambiguous"]);
    for (const header of [`session=junk; ${a}`, `${a}; session=junk`, `${a}; ${a}`]) {
      const r = await readWith(header);
      expect(r.isNew).toBe(false);
      expect(r.reasons).toEqual([]);
    }
  });

  test("load never throws, whatever the Cookie header holds", async () => {
    const { sessions } = setup();
    const headers = [
      "",
      ";;;",
      "=",
      "session",
      "session=",
      "session==",
      "session=.",
      "session=..",
      "session=a.b.c",
      `session=${".".repeat(60)}`,
      "\u0001session=x",
      "session=\u00ff",
      "session=a\u007fb",
      "session=a;session=b;session=c",
    ];
    for (const header of headers) {
      const s = await sessions.load(new Request("https://x.example/", { headers: header ? { cookie: header } : {} }));
      expect(s.size).toBe(0);
    }
  });

  test("only the Cookie header counts (CK-15)", async () => {
    const { sessions, run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), ok())));
    const token = cookie.slice("session=".length);
    const req = new Request(`https://x.example/?session=${token}`, {
      method: "POST",
      body: `session=${token}`,
      headers: { "X-Session": token, Authorization: `Bearer ${token}` },
    });
    expect((await sessions.load(req)).size).toBe(0);
  });

  test("a failing onInvalid hook does not break the request", async () => {
    const sessions = createSessions({
      secret: TEST_SECRET,
      onInvalid: () => {
        throw new Error("boom");
      },
    });
    const s = await sessions.load(requestWith("session=bad"));
    expect(s.size).toBe(0);
  });
});

describe("rotation", () => {
  test("a cookie signed with an older secret is accepted and re-issued with the current one (KR-01..KR-03)", async () => {
    const old = setup({ secret: OLD_SECRET });
    const cookie = cookieOf(await old.run((_r, s) => (s.set("a", 1), ok())));
    const rotated = setup({ secret: [TEST_SECRET, OLD_SECRET] });
    let value: unknown;
    const res = await rotated.run((_r, s) => ((value = s.get("a")), ok()), cookie);
    expect(value).toBe(1);
    const reissued = cookieOf(res);
    // The new cookie verifies under the current secret alone.
    const current = setup({ secret: TEST_SECRET });
    await current.run((_r, s) => ((value = s.get("a")), ok()), reissued);
    expect(value).toBe(1);
    expect(current.reasons).toEqual([]);
    // Once the old secret is dropped, old cookies are rejected.
    await current.run((_r, s) => ((value = s.get("a")), ok()), cookie);
    expect(value).toBeUndefined();
  });
});

describe("size", () => {
  test("a session over 4096 bytes is a clear error before any header; the old cookie stays (SZ-01)", async () => {
    const { sessions, run } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("a", 1), ok())));
    const session = await sessions.load(requestWith(cookie));
    session.set("big", "x".repeat(4000));
    const response = new Response("x");
    const error = await sessions.commit(session, response).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe("cookie_too_large");
    expect((error as Error).message).toMatch(/would be \d+ bytes .* over the 4096-byte limit/);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  test("exactly 4096 bytes of name + value is written; 4097 is refused", async () => {
    const { sessions } = setup();
    async function sizeWith(n: number): Promise<number | SessionError> {
      const session = await sessions.load(requestWith());
      session.set("x", "y".repeat(n));
      try {
        const line = (await sessions.commit(session, ok())).headers.getSetCookie()[0]!;
        return line.split(";")[0]!.length - 1; // name + value, without "="
      } catch (e) {
        return e as SessionError;
      }
    }
    // Find the payload length that lands exactly on the limit (base64 grows in steps of 4/3).
    let n = 2900;
    while (((await sizeWith(n)) as number) < 4096) n++;
    const at = await sizeWith(n);
    if (at === 4096) {
      expect(at).toBe(4096);
    } else {
      expect(await sizeWith(n - 1)).toBeLessThan(4096);
    }
    let over = n;
    while (typeof (await sizeWith(over)) === "number") over++;
    expect(((await sizeWith(over)) as SessionError).code).toBe("cookie_too_large");
    expect(await sizeWith(over - 1)).toBeLessThanOrEqual(4096);
  });

  test("unserializable data is a SessionError at commit naming the path", async () => {
    const { sessions } = setup();
    const session = await sessions.load(requestWith());
    session.set("when", new Date(0) as never);
    await expect(sessions.commit(session, ok())).rejects.toThrow(/session\.when is an instance of Date/);
  });
});

describe("Secure default", () => {
  afterEach(() => vi.restoreAllMocks());

  test.each([
    ["https://app.example/", true],
    ["http://localhost:8787/", false],
    ["http://app.localhost/", false],
    ["http://127.0.0.1:8787/", false],
    ["http://127.1.2.3/", false],
    ["http://[::1]:8787/", false],
    ["https://localhost/", true],
  ])("%s -> Secure %s", async (url, secure) => {
    const { run } = setup();
    const res = await run((_r, s) => (s.set("a", 1), ok()), undefined, url);
    expect(res.headers.getSetCookie()[0]!.includes("; Secure")).toBe(secure);
  });

  test("plain http to a public host (behind a TLS proxy) still gets Secure, with one warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { run } = setup();
    for (let i = 0; i < 3; i++) {
      const res = await run((_r, s) => (s.set("a", i), ok()), undefined, "http://app.example/");
      expect(res.headers.getSetCookie()[0]).toContain("; Secure");
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/plain-http request for app\.example/);
    expect(String(warn.mock.calls[0]![0])).not.toContain("session=");
  });

  test("secure: true / false override", async () => {
    const on = await setup({ cookie: { secure: true } }).run((_r, s) => (s.set("a", 1), ok()), undefined, "http://localhost/");
    const off = await setup({ cookie: { secure: false } }).run((_r, s) => (s.set("a", 1), ok()), undefined, "https://app.example/");
    expect(on.headers.getSetCookie()[0]).toContain("; Secure");
    expect(off.headers.getSetCookie()[0]).not.toContain("Secure");
  });
});

describe("response handling", () => {
  test("Vary is merged once (HD-01)", async () => {
    const { run } = setup();
    const cases: Array<[string | null, string]> = [
      ["Accept-Encoding", "Accept-Encoding, Cookie"],
      ["cookie", "cookie"],
      ["Accept, Cookie", "Accept, Cookie"],
      ["*", "*"],
      ["X-Cookies", "X-Cookies, Cookie"],
    ];
    for (const [existing, expected] of cases) {
      const res = await run((_r, s) => (s.get("a"), new Response("x", { headers: existing ? { Vary: existing } : {} })));
      expect(res.headers.get("Vary")).toBe(expected);
    }
  });

  test("immutable responses (Response.redirect) get the cookie on a copy (HD-07)", async () => {
    const { run } = setup();
    const res = await run((_r, s) => (s.set("a", 1), Response.redirect("https://app.example/next", 303)));
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("https://app.example/next");
    expect(res.headers.getSetCookie()).toHaveLength(1);
  });

  test("other cookies survive; one of the same name is replaced (HD-05, at most one per name)", async () => {
    const { run } = setup();
    const res = await run((_r, s) => {
      s.set("a", 1);
      const h = new Headers();
      for (const c of ["a=1", "b=2; Path=/", "c=3", "session=stale"]) h.append("Set-Cookie", c);
      return new Response("x", { status: 201, statusText: "Made", headers: h });
    });
    const lines = res.headers.getSetCookie();
    expect(lines.slice(0, 3)).toEqual(["a=1", "b=2; Path=/", "c=3"]);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^session=e/);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe("Made");
  });

  test("an app's Cache-Control is respected (HD-04)", async () => {
    const { run } = setup();
    const res = await run((_r, s) => (s.set("a", 1), new Response("x", { headers: { "Cache-Control": "no-store" } })));
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  test("HEAD, 304 and 302 responses get the cookie (HD-10)", async () => {
    const { run } = setup();
    for (const status of [200, 302, 304]) {
      const res = await run((_r, s) => (s.set("a", 1), new Response(null, { status })));
      expect(res.status).toBe(status);
      expect(res.headers.getSetCookie()).toHaveLength(1);
    }
  });

  test("committing twice gives the same cookie; changing after commit throws (HD-09)", async () => {
    const { sessions } = setup();
    const session = await sessions.load(requestWith());
    session.set("a", 1);
    const r1 = await sessions.commit(session, ok());
    const r2 = await sessions.commit(session, ok());
    expect(r2.headers.getSetCookie()).toEqual(r1.headers.getSetCookie());
    expect(() => session.set("a", 2)).toThrow(/after its response was committed/);
  });

  test("a throwing handler commits nothing and the error reaches the caller (HD-08)", async () => {
    const { sessions } = setup();
    const handler = sessions.handle((_r, s) => {
      s.set("a", 1);
      throw new Error("handler failed");
    });
    await expect(handler(requestWith())).rejects.toThrow("handler failed");
  });

  test("handle passes extra arguments through", async () => {
    const { sessions } = setup();
    const handler = sessions.handle<[{ name: string }, number]>((_r, _s, env, n) => new Response(`${env.name}${n}`));
    expect(await (await handler(requestWith(), { name: "env" }, 7)).text()).toBe("env7");
  });

  test("commit refuses something that is not a Response", async () => {
    const { sessions } = setup();
    const s = await sessions.load(requestWith());
    await expect(sessions.commit(s, "hi" as never)).rejects.toThrow(TypeError);
  });
});

describe("flash across a redirect and regenerate", () => {
  test("a message flashed before a redirect is shown once on the next page", async () => {
    const { run } = setup();
    const redirect = await run((_r, s) => (s.flash("Logged in"), s.set("user", "ada"), Response.redirect("https://app.example/", 302)));
    let shown: string[] = [];
    const page = await run((_r, s) => ((shown = s.flashes()), ok()), cookieOf(redirect));
    expect(shown).toEqual(["Logged in"]);
    const again = await run((_r, s) => ((shown = s.flashes()), ok()), cookieOf(page));
    expect(shown).toEqual([]);
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  test("regenerate keeps the data and issues a different token within the same second", async () => {
    const { run } = setup();
    const first = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    const second = cookieOf(await run((_r, s) => (s.regenerate(), ok()), first));
    expect(second).not.toBe(first);
    let user: unknown;
    await run((_r, s) => ((user = s.get("user")), ok()), second);
    expect(user).toBe("ada");
    expect(envelope(second).c).toBe(T0 / 1000);
  });
});

describe("configuration errors are thrown by createSessions, saying what to change", () => {
  test.each([
    [{}, /option secret is required/],
    [{ secret: "short" }, /too short/],
    [{ secret: TEST_SECRET, format: "jwt" }, /option format is invalid/],
    [{ secret: TEST_SECRET, lifetime: 401 * 86400 }, /option lifetime .*400 days/],
    [{ secret: TEST_SECRET, lifetime: 1.5 }, /option lifetime is invalid/],
    [{ secret: TEST_SECRET, lifetime: NaN }, /option lifetime is invalid/],
    [{ secret: TEST_SECRET, lifetime: -1 }, /option lifetime is invalid/],
    [{ secret: TEST_SECRET, absoluteLifetime: 0 }, /option absoluteLifetime is invalid/],
    [{ secret: TEST_SECRET, refresh: -5 }, /option refresh is invalid/],
    [{ secret: TEST_SECRET, refresh: "yes" }, /option refresh is invalid/],
    [{ secret: TEST_SECRET, now: 5 }, /option now must be a function/],
    [{ secret: TEST_SECRET, onInvalid: "log" }, /option onInvalid must be a function/],
    [{ secret: TEST_SECRET, lifeTime: 5 }, /option lifeTime is unknown/],
    [{ secret: TEST_SECRET, cookie: { name: "a b" } }, /cookie\.name is invalid/],
    [{ secret: TEST_SECRET, cookie: { name: "__Host-s", path: "/x" } }, /cookie\.path must be "\/"/],
    [{ secret: TEST_SECRET, unsafeAllowWeakSecret: "yes" }, /unsafeAllowWeakSecret must be a boolean/],
  ])("%j", (options, message) => {
    expect(() => createSessions(options as never)).toThrow(message);
  });

  test("unsafeAllowWeakSecret lets a weak secret through", () => {
    expect(() => createSessions({ secret: "dev", unsafeAllowWeakSecret: true })).not.toThrow();
  });

  test("createSessions(undefined) is a TypeError", () => {
    expect(() => createSessions(undefined as never)).toThrow(TypeError);
  });
});

describe("unsafeAllowWeakSecret", () => {
  afterEach(() => vi.restoreAllMocks());

  test("warns loudly at start-up when a secret is weak, never printing the secret (FL-06)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    createSessions({ secret: ["dev-secret", TEST_SECRET], unsafeAllowWeakSecret: true });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/WARNING: unsafeAllowWeakSecret is on and secret\[0\] is too short/);
    expect(String(warn.mock.calls[0]![0])).not.toContain("dev-secret");
    warn.mockClear();
    createSessions({ secret: TEST_SECRET, unsafeAllowWeakSecret: true });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe("Responses from another realm or a swapped global", () => {
  test("commit accepts a Response made before the global Response class was replaced (as @hono/node-server does)", async () => {
    const { sessions } = setup();
    const original = globalThis.Response;
    const redirect = Response.redirect("https://app.example/", 303);
    class LightResponse extends original {}
    globalThis.Response = LightResponse as typeof Response;
    try {
      const session = await sessions.load(requestWith());
      session.set("a", 1);
      const res = await sessions.commit(session, redirect);
      expect(res.status).toBe(303);
      expect(res.headers.getSetCookie()).toHaveLength(1);
    } finally {
      globalThis.Response = original;
    }
  });
});

describe("where the headers go", () => {
  test("a response with mutable headers gets them itself (no copy of its body); an immutable one is copied", async () => {
    const { sessions } = setup();
    const mutable = new Response("body");
    const s1 = await sessions.load(requestWith());
    s1.set("a", 1);
    const out = await sessions.commit(s1, mutable);
    expect(out).toBe(mutable);
    expect(mutable.headers.getSetCookie()).toHaveLength(1);
    expect(await out.text()).toBe("body");

    const immutable = Response.redirect("https://app.example/", 302);
    const s2 = await sessions.load(requestWith());
    s2.set("a", 1);
    const copied = await sessions.commit(s2, immutable);
    expect(copied).not.toBe(immutable);
    expect(immutable.headers.getSetCookie()).toEqual([]);
    expect(copied.headers.getSetCookie()).toHaveLength(1);
  });
});
