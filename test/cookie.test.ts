import { describe, expect, test } from "vitest";
import { readCookie, resolveCookieOptions, serializeDeleteCookie, serializeSetCookie } from "../src/cookie.ts";

describe("readCookie", () => {
  test("finds the value among others", () => {
    expect(readCookie("a=1; session=abc.def; b=2", "session")).toEqual(["abc.def"]);
    expect(readCookie("session=abc", "session")).toEqual(["abc"]);
    expect(readCookie(null, "session")).toEqual([]);
    expect(readCookie("", "session")).toEqual([]);
  });

  test("returns every duplicate in header order", () => {
    expect(readCookie("session=a; x=1; session=b", "session")).toEqual(["a", "b"]);
  });

  test("tolerates noise: empty pairs, OWS, tabs, pairs without '=' (CK-14)", () => {
    expect(readCookie(";;; \tfoo; =; session=v1 ;  ", "session")).toEqual(["v1"]);
    expect(readCookie("   ", "session")).toEqual([]);
    expect(readCookie("session=", "session")).toEqual([""]);
  });

  test("finds the session when two Cookie fields were joined with '; ' (CK-13)", () => {
    expect(readCookie("a=1; session=v", "session")).toEqual(["v"]);
    expect(readCookie("a=1; b=2;session=v; c=3", "session")).toEqual(["v"]);
  });

  test("a name after ',' inside another pair is not a cookie (CK-13b)", () => {
    expect(readCookie("a=1, session=v", "session")).toEqual([]);
    expect(readCookie("x=1,session=v", "session")).toEqual([]);
    expect(readCookie("x,session=v; session=real", "session")).toEqual(["real"]);
    expect(readCookie("session=real; y=2,session=planted", "session")).toEqual(["real"]);
  });

  test("pairs without '=' cost no rescans: linear on a long header", () => {
    const header = `${"a;".repeat(200_000)}session=v`;
    expect(readCookie(header, "session")).toEqual(["v"]);
  });

  test("a nameless pair never maps onto the name (CK-05)", () => {
    expect(readCookie("=session=evil", "session")).toEqual([]);
    expect(readCookie("=__Host-id=evil", "__Host-id")).toEqual([]);
  });

  test("names match byte for byte: no trim() of Unicode spaces, no decoding, case-sensitive (CK-06, CK-07)", () => {
    for (const header of [
      "\u00a0__Host-id=v",
      "\u2000__Host-id=v",
      "\u0085__Host-id=v",
      "\u00e2\u0080\u0080__Host-id=v",
      "__%48ost-id=v",
      "__host-id=v",
      "__HOST-id=v",
    ]) {
      expect(readCookie(header, "__Host-id")).toEqual([]);
    }
  });

  test("keeps quotes as part of the value (ENC-05, CK-08)", () => {
    expect(readCookie('$Version=1; session="abc"', "session")).toEqual(['"abc"']);
  });

  test("does not match a longer or shorter name", () => {
    expect(readCookie("session2=a; xsession=b; sessio=c", "session")).toEqual([]);
  });

  test("a 64 KB header of 5,000 pairs with the session last (SZ-03)", () => {
    const pairs = Array.from({ length: 5000 }, (_, i) => `c${i}=${"v".repeat(8)}`);
    pairs.push("session=last");
    expect(readCookie(pairs.join("; "), "session")).toEqual(["last"]);
  });
});

describe("resolveCookieOptions", () => {
  test("defaults: session, Path=/, HttpOnly, SameSite=Lax, Secure decided per request", () => {
    expect(resolveCookieOptions(undefined)).toEqual({
      name: "session",
      domain: undefined,
      path: "/",
      secure: "auto",
      httpOnly: true,
      sameSite: "Lax",
      partitioned: false,
    });
  });

  test.each([";", "=", " ", "a\r\nb", ",", "s\u00e9ssion", "", "a\tb", "a(b", 'a"b'])("rejects the name %j (CK-01)", (name) => {
    expect(() => resolveCookieOptions({ name })).toThrow(TypeError);
    expect(() => resolveCookieOptions({ name })).toThrow(/cookie\.name/);
  });

  test.each([
    ["domain", { domain: "example.com;x=1" }],
    ["domain", { domain: "exa mple.com" }],
    ["domain", { domain: "a\r\nb.com" }],
    ["domain", { domain: "" }],
    ["path", { path: "/a;b" }],
    ["path", { path: "/a\nb" }],
    ["path", { path: "relative" }],
    ["sameSite", { sameSite: "Lax;x" as never }],
    ["sameSite", { sameSite: "Whatever" as never }],
  ])("rejects injection in %s (CK-02)", (option, opts) => {
    expect(() => resolveCookieOptions(opts)).toThrow(new RegExp(`cookie\\.${option}`));
  });

  test("attribute values over 1024 bytes are refused (SZ-04)", () => {
    expect(() => resolveCookieOptions({ path: `/${"a".repeat(1024)}` })).toThrow(/cookie\.path/);
    expect(() => resolveCookieOptions({ domain: `${"a.".repeat(520)}com` })).toThrow(/cookie\.domain/);
  });

  test("__Host- rules (CK-03)", () => {
    expect(() => resolveCookieOptions({ name: "__Host-s", domain: "example.com" })).toThrow(/domain/);
    expect(() => resolveCookieOptions({ name: "__Host-s", path: "/app" })).toThrow(/path/);
    expect(() => resolveCookieOptions({ name: "__Host-s", secure: false })).toThrow(/secure/);
    expect(resolveCookieOptions({ name: "__Host-s" }).secure).toBe(true);
  });

  test("__Secure-, SameSite=None and Partitioned need Secure (CK-04)", () => {
    expect(() => resolveCookieOptions({ name: "__Secure-s", secure: false })).toThrow(/__Secure-/);
    expect(() => resolveCookieOptions({ sameSite: "None", secure: false })).toThrow(/sameSite/);
    expect(() => resolveCookieOptions({ partitioned: true, secure: false })).toThrow(/partitioned/);
    expect(resolveCookieOptions({ sameSite: "None" }).secure).toBe(true);
    expect(resolveCookieOptions({ partitioned: true }).secure).toBe(true);
  });

  test("normalises: SameSite case, leading dot and case of Domain", () => {
    const o = resolveCookieOptions({ sameSite: "strict" as never, domain: ".Example.COM" });
    expect(o.sameSite).toBe("Strict");
    expect(o.domain).toBe("example.com");
  });

  test("rejects unknown keys and wrong types", () => {
    expect(() => resolveCookieOptions({ nmae: "x" } as never)).toThrow(/cookie\.nmae is unknown/);
    expect(() => resolveCookieOptions({ httpOnly: "yes" } as never)).toThrow(/httpOnly/);
    expect(() => resolveCookieOptions("session" as never)).toThrow(/option cookie must be an object/);
  });
});

describe("serializeSetCookie", () => {
  const all = resolveCookieOptions({ name: "sid", domain: "example.com", path: "/app", sameSite: "Strict", partitioned: true });

  test("writes every attribute once, in a fixed order", () => {
    expect(serializeSetCookie(all, "abc.def", { maxAge: 60, expires: Date.UTC(2038, 0, 19, 3, 14, 8), secure: true })).toBe(
      "sid=abc.def; Max-Age=60; Expires=Tue, 19 Jan 2038 03:14:08 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned",
    );
  });

  test("a browser-session cookie has neither Max-Age nor Expires", () => {
    expect(serializeSetCookie(resolveCookieOptions(undefined), "v", { secure: false })).toBe("session=v; Path=/; HttpOnly; SameSite=Lax");
  });

  test("Expires renders IMF-fixdate after 2038 and in every month (TM-08)", () => {
    const o = resolveCookieOptions(undefined);
    for (let month = 0; month < 12; month++) {
      const line = serializeSetCookie(o, "v", { maxAge: 1, expires: Date.UTC(2100, month, 1), secure: true });
      expect(line).toMatch(/Expires=(Mon|Tue|Wed|Thu|Fri|Sat|Sun), 01 (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 2100 00:00:00 GMT;/);
    }
  });

  test("delete keeps the attributes the cookie was set with (TM-09)", () => {
    expect(serializeDeleteCookie(all, true)).toBe(
      "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned",
    );
  });

  test("refuses values outside cookie-octet", () => {
    const o = resolveCookieOptions(undefined);
    for (const bad of ["a;b", "a b", 'a"b', "a,b", "a\\b", "\u00e9", "a\r\nSet-Cookie: x=1"]) {
      expect(() => serializeSetCookie(o, bad, { secure: true })).toThrow(TypeError);
    }
  });
});

describe("cookie name length", () => {
  test("a name that would leave too little room for a session is refused at start-up", () => {
    expect(resolveCookieOptions({ name: "s".repeat(256) }).name).toHaveLength(256);
    expect(() => resolveCookieOptions({ name: "s".repeat(257) })).toThrow(/cookie\.name is 257 characters long; use at most 256/);
  });
});
