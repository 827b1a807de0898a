// headers.ts: the session's headers on a Response, and the pure helpers adapters share.

import { describe, expect, test } from "vitest";
import { cookieWrite } from "../src/cookie.ts";
import type { ResolvedCookieOptions } from "../src/cookie.ts";
import { cookieHeaderBytes, isResponse, mergeSetCookies, mergeVary, withSessionHeaders } from "../src/headers.ts";

const cookie: ResolvedCookieOptions = { name: "session", domain: undefined, path: "/", secure: true, httpOnly: true, sameSite: "Lax", partitioned: false };
const write = cookieWrite(cookie, "abc", { secure: true });

describe("mergeVary", () => {
  test.each([
    [null, "Cookie"],
    ["", "Cookie"],
    ["Accept-Encoding", "Accept-Encoding, Cookie"],
    ["accept, cookie", undefined],
    ["Accept,COOKIE ,X", undefined],
    ["*", undefined],
    ["Cookies", "Cookies, Cookie"],
  ] as const)("%j -> %j", (existing, merged) => {
    expect(mergeVary(existing)).toBe(merged);
  });
});

test("mergeSetCookies keeps the app's cookies and replaces its value for the session's name", () => {
  expect(mergeSetCookies(["a=1; Path=/", "session=old; Path=/", "sessionx=2"], [write])).toEqual(["a=1; Path=/", "sessionx=2", write.header]);
  expect(mergeSetCookies(["a=1"], [])).toEqual(["a=1"]);
});

describe("withSessionHeaders", () => {
  test("an untouched session: the response as it is", () => {
    const response = new Response("x");
    expect(withSessionHeaders(response, { cookies: [], vary: false })).toBe(response);
    expect(response.headers.get("Vary")).toBeNull();
  });
  test("a read session: Vary only; a written one: Set-Cookie and Cache-Control: private on the same response", () => {
    const read = new Response("x", { headers: { Vary: "Accept" } });
    expect(withSessionHeaders(read, { cookies: [], vary: true })).toBe(read);
    expect([read.headers.get("Vary"), read.headers.get("Cache-Control")]).toEqual(["Accept, Cookie", null]);
    const written = new Response("x", { headers: { "Set-Cookie": "session=app" } });
    expect(withSessionHeaders(written, { cookies: [write], vary: true })).toBe(written);
    expect([written.headers.getSetCookie(), written.headers.get("Cache-Control")]).toEqual([[write.header], "private"]);
  });
  test("the app's Cache-Control stands", () => {
    const response = new Response("x", { headers: { "Cache-Control": "no-store" } });
    withSessionHeaders(response, { cookies: [write], vary: true });
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });
  test("immutable headers (Response.redirect): a copy carries them, the original is untouched", () => {
    const redirect = Response.redirect("https://app.example/next", 303);
    const copy = withSessionHeaders(redirect, { cookies: [write], vary: true });
    expect(copy).not.toBe(redirect);
    expect([copy.status, copy.headers.get("Location"), copy.headers.getSetCookie()]).toEqual([303, "https://app.example/next", [write.header]]);
    expect(redirect.headers.getSetCookie()).toEqual([]);
  });
});

test("isResponse is structural", () => {
  expect(isResponse(new Response("x"))).toBe(true);
  expect(isResponse({ status: 200, headers: new Headers() })).toBe(true);
  expect(isResponse({ status: 200, headers: {} })).toBe(false);
  expect(isResponse(null)).toBe(false);
});

test("cookieHeaderBytes counts name=value of what is set, nothing for deletions", () => {
  expect(cookieHeaderBytes(["a=12; Path=/", "session=; Max-Age=0", "b=3"])).toBe(7);
});
