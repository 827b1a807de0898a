// Security bar b.5 (cookie grammar, injection, tossing), every case by its id, in every mode.

import { parseSetCookie } from "cookie";
import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { session as honoSession } from "../../adapters/hono.ts";
import { readCookie } from "../../src/cookie.ts";
import { createSessions, memoryStore } from "../../src/index.ts";
import type { InvalidReason, SessionsOptions } from "../../src/index.ts";
import { MODES, TEST_SECRET, Target, modeOptions, request } from "./target.ts";
import type { Mode } from "./target.ts";

const HOST = { cookie: { name: "__Host-id" } } as const;

function configError(options: Partial<SessionsOptions>, message: RegExp): void {
  expect(() => createSessions({ secret: TEST_SECRET, ...options } as SessionsOptions)).toThrow(message);
}

describe("b.5 cookie grammar, injection, tossing", () => {
  test.each([";", "=", " ", "a\r\nb", "a\nb", ",", "s\u00e9ssion", "", "a\tb", "a(b", 'a"b', "a\u0000b", "a/b", "a@b", "[a]", "a\\b", "\u{1F600}"])(
    "CK-01: a cookie name containing %j is a CONFIG-ERROR naming cookie.name",
    (name) => {
      configError({ cookie: { name } }, /option cookie\.name is invalid/);
      for (const format of ["sealed", "flask"] as const) configError({ format, cookie: { name } }, /option cookie\.name is invalid/);
      configError({ store: memoryStore(), cookie: { name } }, /option cookie\.name is invalid/);
    },
  );

  test("CK-02: Domain, Path or SameSite holding ';', CR or LF is a CONFIG-ERROR naming the option", () => {
    for (const bad of [";", "\r", "\n", "\r\n", "\u0000"]) {
      configError({ cookie: { domain: `example.com${bad}x=1` } }, /option cookie\.domain is invalid/);
      configError({ cookie: { path: `/a${bad}b` } }, /option cookie\.path is invalid/);
      configError({ cookie: { sameSite: `Lax${bad}` as never } }, /option cookie\.sameSite is invalid/);
    }
    configError({ cookie: { domain: "example.com; Secure" } }, /cookie\.domain/);
    configError({ cookie: { path: "/; Domain=evil.example" } }, /cookie\.path/);
    // A trailing space would be trimmed by browsers into another path than the one configured.
    configError({ cookie: { path: "/app " } }, /cookie\.path/);
  });

  test("CK-03: a __Host- name with a Domain, with Path other than /, or with secure: false is a CONFIG-ERROR (each)", () => {
    configError({ cookie: { name: "__Host-id", domain: "example.com" } }, /option cookie\.domain must not be set with a __Host- name/);
    configError({ cookie: { name: "__Host-id", path: "/app" } }, /option cookie\.path must be "\/" with a __Host- name/);
    configError({ cookie: { name: "__Host-id", secure: false } }, /option cookie\.secure is false, but a __Host- name requires Secure/);
  });

  test("CK-04: __Secure- without Secure, SameSite=None without Secure, Partitioned without Secure are CONFIG-ERRORs; each forces Secure even on loopback http", async () => {
    configError({ cookie: { name: "__Secure-id", secure: false } }, /requires Secure/);
    configError({ cookie: { sameSite: "None", secure: false } }, /sameSite: "None" requires Secure/);
    configError({ cookie: { partitioned: true, secure: false } }, /partitioned: true requires Secure/);
    configError({ cookie: { name: "__Secure-id", secure: "false" as never } }, /option cookie\.secure must be true, false or "auto", got "false"/);
    for (const cookie of [{ name: "__Secure-id" }, { name: "__Host-id" }, { sameSite: "None" as const }, { partitioned: true }]) {
      const t = new Target("signed", { cookie });
      const response = await t.run((s) => s.set("a", 1), undefined, { url: "http://localhost:8787/" });
      expect(response.headers.getSetCookie()[0], JSON.stringify(cookie)).toContain("; Secure");
    }
  });

  test.each(MODES)("CK-05: a nameless pair =__Host-id=<valid> is never the session cookie [%s]", async (mode) => {
    const t = new Target(mode, HOST);
    const token = await t.issue();
    for (const header of [`=${t.pair(token)}`, ` =${t.pair(token)}`, `=${t.pair(token)}; other=1`, `x=1; =${t.pair(token)}`]) {
      await t.anon(header, { reason: null, label: header });
    }
    await t.accepts(t.pair(token), { user: "ada" });
  });

  test.each(MODES)(
    "CK-06: U+00A0, U+0085 and the Latin-1 view of UTF-8 E2 80 80 before __Host-id do not match; U+2000 is refused by the runtime and by the parser [%s]",
    async (mode) => {
      const t = new Target(mode, HOST);
      const token = await t.issue();
      for (const prefix of ["\u00a0", "\u0085", "\u00e2\u0080\u0080", "\u00a0 ", "\u000b", "\u000c"]) {
        await t.anon(`${prefix}${t.pair(token)}`, { reason: null, label: JSON.stringify(prefix) });
        await t.anon(`a=1; ${prefix}${t.pair(token)}`, { reason: null, label: JSON.stringify(prefix) });
      }
      // Not a Latin-1 header value: fetch refuses to build the request; the parser, given the
      // text directly, does not match either (String.prototype.trim() would have stripped it).
      expect(() => request(`\u2000${t.pair(token)}`)).toThrow(TypeError);
      for (const prefix of ["\u2000", "\u3000", "\ufeff", "\u200b", "\u2028"]) {
        expect(readCookie(`${prefix}${t.pair(token)}`, t.name), JSON.stringify(prefix)).toEqual([]);
        expect(`${prefix}__Host-id`.trim() === "__Host-id" || prefix === "\u200b").toBe(true);
      }
    },
  );

  test.each(MODES)("CK-07: __%48ost-id, __host-id and __HOST-id do not match: no name decoding, case-sensitive [%s]", async (mode) => {
    const t = new Target(mode, HOST);
    const token = await t.issue();
    for (const name of ["__%48ost-id", "__host-id", "__HOST-id", "__Host-Id", "__Host%2Did", "__Host-id%00", "__Host-id."]) {
      await t.anon(`${name}=${token}`, { reason: null, label: name });
    }
  });

  test.each(MODES)('CK-08: the legacy $Version=1; __Host-id="<v>" form gets no RFC 2109 handling: the quoted value is ANON [%s]', async (mode) => {
    const t = new Target(mode, HOST);
    const token = await t.issue();
    await t.anon(`$Version=1; __Host-id="${token}"`);
    await t.anon(`$Version="1"; __Host-id="${token}"; $Path="/"`);
    await t.anon(`$Version=1; __Host-id="${token}"; $Domain=example.com`);
  });

  test.each(MODES)(
    "CK-09: the name twice with two different valid values is ANON with the ambiguous reason (policy reject; first-valid is not offered) [%s]",
    async (mode) => {
      const t = new Target(mode);
      const a = await t.issue({ user: "victim" });
      const b = await t.issue({ user: "other" });
      await t.anon(`${t.pair(a)}; ${t.pair(b)}`, { reason: "ambiguous" });
      await t.anon(`${t.pair(b)}; x=1; ${t.pair(a)}`, { reason: "ambiguous" });
      await t.anon(`${t.pair(a)}; ${t.pair(b)}; ${t.pair(a)}`, { reason: "ambiguous" });
    },
  );

  test.each(MODES)("CK-10: the name twice, one valid and one garbage (either order): the valid one is used [%s]", async (mode) => {
    const t = new Target(mode);
    const a = await t.issue({ user: "ada" });
    const other = await new Target(mode, { secret: "Qm4Zt8Wc2Lp6Rv0Xn3Hk7Jd1Bf5Gs9Ya_Ue-Oi" }).issue({ user: "eve" });
    for (const garbage of ["junk", "", `${a}x`, a.slice(0, -1), other, `"${a}"`]) {
      await t.accepts(`${t.pair(garbage)}; ${t.pair(a)}`, { user: "ada" }, `garbage first: ${garbage}`);
      await t.accepts(`${t.pair(a)}; ${t.pair(garbage)}`, { user: "ada" }, `garbage last: ${garbage}`);
    }
  });

  test.each(MODES)("CK-11: the name twice with the identical value is accepted [%s]", async (mode) => {
    const t = new Target(mode);
    const a = await t.issue({ user: "ada" });
    await t.accepts(`${t.pair(a)}; ${t.pair(a)}`, { user: "ada" });
    await t.accepts(`${t.pair(a)}, x=1, ${t.pair(a)}; ${t.pair(a)}`, { user: "ada" });
    expect(t.reasons).toEqual([]);
  });

  test.each(MODES)("CK-12: a tossed attacker-valid cookie sent first (longer Path) never logs the victim into the attacker's session [%s]", async (mode) => {
    // The attacker's own valid session (same app, same secret), planted from a sibling host.
    const t = new Target(mode);
    const attacker = await t.issue({ user: "attacker" });
    const victim = await t.issue({ user: "victim" });
    await t.anon(`${t.pair(attacker)}; ${t.pair(victim)}`, { reason: "ambiguous" });
    // And a tossed cookie alone (the victim has none yet) is simply the attacker's session:
    // what a login must regenerate() away (documented).
    await t.accepts(t.pair(attacker), { user: "attacker" });
  });

  test.each(MODES)(
    "CK-13: the Cookie header split over two fields and joined with '; ' (HTTP/2 crumbs, RFC 9113 8.2.3) still finds the session [%s]",
    async (mode) => {
      const t = new Target(mode);
      const token = await t.issue({ user: "ada" });
      await t.accepts(`a=1; b=2; ${t.pair(token)}; c=3`, { user: "ada" });
      await t.accepts(`a=1;b=2;${t.pair(token)};c=3`, { user: "ada" });
    },
  );

  test.each(MODES)("CK-13b: a different cookie carrying ',<name>=<valid token>' is not the session cookie; the real one still loads [%s]", async (mode) => {
    const t = new Target(mode);
    const planted = await t.issue({ user: "mallory" });
    const real = await t.issue({ user: "ada" });
    // Planted alone: a logged-out victim is not logged into the attacker's session.
    for (const header of [
      `x=1,${t.pair(planted)}`,
      `x=1, ${t.pair(planted)}`,
      `x=1,${t.pair(planted)}; y=2`,
      `a=1; b=2, ${t.pair(planted)}`,
      `x,${t.pair(planted)}`,
    ]) {
      const seen = await t.read(header);
      expect([seen.isNew, seen.data], header).toEqual([true, {}]);
    }
    // Planted beside the victim's real cookie, before or after it: the real session loads.
    await t.accepts(`x=1,${t.pair(planted)}; ${t.pair(real)}`, { user: "ada" });
    await t.accepts(`${t.pair(real)}; x=1,${t.pair(planted)}`, { user: "ada" });
    await t.accepts(`x=1, ${t.pair(planted)}; ${t.pair(real)}; z=1,${t.pair(planted)}`, { user: "ada" });
  });

  test.each(MODES)(
    "CK-14: noise (;;;, OWS, tabs, pairs without '=', a lone '=', empty or blank headers) never throws and the session is still found [%s]",
    async (mode) => {
      const t = new Target(mode);
      const token = await t.issue({ user: "ada" });
      for (const noise of [";;;", "  ", "\t", "foo", "=", "==", "=;=", ";", ",,", " ; ; ", "\t;\t", "a", "a=", "=a"]) {
        await t.accepts(`${noise}; ${t.pair(token)}; ${noise}`, { user: "ada" }, JSON.stringify(noise));
        await t.accepts(`${noise};${t.pair(token)};${noise}`, { user: "ada" }, JSON.stringify(noise));
      }
      for (const header of ["", ";;;", " ", "=", "foo", "\t\t", ",", "session", "session;", "=session"]) {
        const seen = await t.read(header);
        expect([seen.isNew, seen.data], JSON.stringify(header)).toEqual([true, {}]);
      }
    },
  );

  test.each(MODES)("CK-15: a valid token in the query, the body, X-Session or Authorization is ignored: only the Cookie header counts [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue({ user: "ada" });
    const seen = await t.read(undefined, {
      url: `https://app.example/?session=${token}&${t.name}=${token}`,
      method: "POST",
      body: `session=${token}`,
      headers: { "X-Session": token, Authorization: `Bearer ${token}`, "Set-Cookie": t.pair(token), "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect([seen.isNew, seen.data]).toEqual([true, {}]);
    expect(t.reasons).toEqual([]);
  });

  test("CK-16: property: random legal option sets serialize to 6265bis set-cookie-strings that jshttp/cookie's parseSetCookie reads back, one attribute of each kind", async () => {
    const tchar = fc.constantFrom(..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split(""));
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
    const options = fc.record({
      name: fc.oneof(fc.string({ unit: tchar, minLength: 1, maxLength: 20 }), fc.constant("__Host-s"), fc.constant("__Secure-s")),
      domain: fc.option(
        fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join(".")),
        { nil: undefined },
      ),
      path: fc.option(fc.stringMatching(/^\/[\x20-\x3a\x3c-\x7e]{0,30}$/), { nil: undefined }),
      secure: fc.option(fc.boolean(), { nil: undefined }),
      httpOnly: fc.option(fc.boolean(), { nil: undefined }),
      sameSite: fc.option(fc.constantFrom("Strict", "Lax", "None") as fc.Arbitrary<"Strict" | "Lax" | "None">, { nil: undefined }),
      partitioned: fc.option(fc.boolean(), { nil: undefined }),
    });
    const grammar = new RegExp(
      "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+=[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]*" +
        "(?:; (?:Max-Age=\\d+|Expires=(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d{2}:\\d{2}:\\d{2} GMT" +
        "|Domain=[A-Za-z0-9.-]+|Path=[\\x20-\\x3A\\x3C-\\x7E]*|Secure|HttpOnly|SameSite=(?:Strict|Lax|None)|Partitioned))*$",
    );
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(options, fc.boolean(), fc.boolean(), async (cookie, permanent, https) => {
        let sessions;
        try {
          sessions = createSessions({ secret: TEST_SECRET, cookie });
        } catch (error) {
          // Illegal combinations (prefix rules, secure: false with None...) are refused up front.
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(/option cookie\.\w+/);
          return;
        }
        checked++;
        const response = await sessions.handle((_r, s) => {
          s.set("a", 1);
          s.permanent = permanent;
          return new Response("ok");
        })(request(undefined, { url: https ? "https://app.example/x" : "http://localhost/x" }));
        const lines = response.headers.getSetCookie();
        expect(lines).toHaveLength(1);
        const line = lines[0]!;
        expect(line).toMatch(grammar);
        const names = line
          .split("; ")
          .slice(1)
          .map((av) => av.split("=")[0]!.toLowerCase());
        expect(new Set(names).size).toBe(names.length);
        const parsed = parseSetCookie(line);
        expect(parsed.name).toBe(cookie.name);
        expect(parsed.value).toBe(line.slice(cookie.name.length + 1, line.indexOf(";")));
        expect(parsed.path).toBe(cookie.path ?? "/");
        expect(parsed.domain).toBe(cookie.domain?.toLowerCase());
        expect(parsed.httpOnly ?? false).toBe(cookie.httpOnly ?? true);
        expect(parsed.sameSite).toBe((cookie.sameSite ?? "Lax").toLowerCase());
        expect(parsed.partitioned ?? false).toBe(cookie.partitioned ?? false);
        const prefixed = cookie.name.startsWith("__Host-") || cookie.name.startsWith("__Secure-");
        const secure = cookie.secure ?? (https || prefixed || cookie.sameSite === "None" || cookie.partitioned === true);
        expect(parsed.secure ?? false).toBe(secure);
        if (permanent) {
          expect(parsed.maxAge).toBe(31 * 24 * 3600);
          expect(parsed.expires!.getTime() % 1000).toBe(0);
        } else {
          expect([parsed.maxAge, parsed.expires]).toEqual([undefined, undefined]);
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  test.each(MODES)(
    "CK-17: through the Hono adapter, duplicate and whitespace-prefixed names give exactly the core's result (the raw header is parsed by websession) [%s]",
    async (mode) => {
      const store = mode === "store" ? memoryStore() : undefined;
      const t = new Target(mode, {}, { store });
      const a = await t.issue({ user: "ada" });
      const b = await t.issue({ user: "bob" });
      const reasons: InvalidReason[] = [];
      const app = new Hono()
        .use(honoSession({ ...modeOptions(mode as Mode, {}, store), now: t.time.now, onInvalid: (r) => reasons.push(r) }))
        .get("/", (c) => c.json({ isNew: c.get("session").isNew, data: c.get("session").toJSON() }));
      const headers = [
        `${t.pair(a)}; ${t.pair(b)}`, // two valid: ambiguous
        `${t.pair("junk")}; ${t.pair(a)}`, // Hono's parse() would return the first
        ` \t${t.pair(a)}`,
        `\u00a0${t.pair(a)}`, // Hono's trim() would strip U+00A0
        `=${t.pair(a)}`,
        `${t.pair(a)}; ${t.pair(a)}`,
        `session=; ${t.pair(a)}`,
      ];
      for (const header of headers) {
        t.reasons.length = 0;
        reasons.length = 0;
        const core = await t.read(header);
        const hono = (await (await app.fetch(request(header))).json()) as { isNew: boolean; data: unknown };
        expect([hono.isNew, hono.data, reasons], JSON.stringify(header)).toEqual([core.isNew, core.data, t.reasons]);
      }
    },
  );
});
