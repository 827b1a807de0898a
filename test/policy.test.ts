// policy.ts: the one write decision, row by row, and the time rules it carries.

import { describe, expect, test } from "vitest";
import { cookieExpiry, createdAt, decide, refreshDue } from "../src/policy.ts";
import type { Facts } from "../src/policy.ts";

const NOW = 1_700_000_000;
const base: Facts = { empty: false, changed: false, destroyed: false, regenerated: false, isNew: false, stale: false, permanent: false, lastActive: NOW - 10 };
const facts = (over: Partial<Facts>): Facts => ({ ...base, ...over });

describe("decide", () => {
  test.each([
    ["an untouched empty session writes nothing", { empty: true }, "none"],
    ["an emptied session deletes the cookie", { empty: true, changed: true }, "delete"],
    ["a destroyed session deletes the cookie", { empty: true, destroyed: true }, "delete"],
    ["a changed session is written", { changed: true }, "write"],
    ["a session read under an old secret is re-issued", { stale: true }, "write"],
    ["an unchanged browser-session cookie is left alone", {}, "none"],
    ["an unchanged permanent session is refreshed", { permanent: true }, "refresh"],
    ["a new session is never 'refreshed'", { permanent: true, isNew: true }, "none"],
  ] as const)("%s", (_name, over, action) => {
    expect(decide(facts(over), NOW, true).action).toBe(action);
  });

  test("regenerate() and destroy-then-refill rotate the token; a plain write does not", () => {
    expect(decide(facts({ regenerated: true, changed: true }), NOW, true)).toEqual({ action: "write", rotate: true });
    expect(decide(facts({ destroyed: true, changed: true }), NOW, true)).toEqual({ action: "write", rotate: true });
    expect(decide(facts({ changed: true }), NOW, true)).toEqual({ action: "write", rotate: false });
    // regenerate() on an empty session is a deletion, like any emptied session.
    expect(decide(facts({ empty: true, regenerated: true, changed: true }), NOW, true).action).toBe("delete");
  });
});

describe("refreshDue", () => {
  const permanent = { permanent: true, isNew: false, lastActive: NOW - 100 };
  test("refresh: true refreshes every request, false never, a number at most that often", () => {
    expect(refreshDue(permanent, NOW, true)).toBe(true);
    expect(refreshDue(permanent, NOW, false)).toBe(false);
    expect(refreshDue(permanent, NOW, 100)).toBe(true);
    expect(refreshDue(permanent, NOW, 101)).toBe(false);
  });
  test("a store's own interval holds refreshes back too", () => {
    expect(refreshDue(permanent, NOW, true, 100)).toBe(true);
    expect(refreshDue(permanent, NOW, true, 101)).toBe(false);
  });
  test("only permanent, loaded sessions", () => {
    expect(refreshDue({ ...permanent, permanent: false }, NOW, true)).toBe(false);
    expect(refreshDue({ ...permanent, isNew: true }, NOW, true)).toBe(false);
  });
});

describe("createdAt: what may move the creation time (the absolute lifetime's start)", () => {
  const kept = { isNew: false, cleared: false, fresh: false };
  test.each([
    ["a write, a refresh or regenerate() keeps it", kept, NOW - 500],
    ["a new session starts it", { ...kept, isNew: true }, NOW],
    ["a session emptied in this request and filled again restarts it", { ...kept, cleared: true }, NOW],
    ["regenerate({ fresh: true }) restarts it", { ...kept, fresh: true }, NOW],
  ] as const)("%s", (_name, restart, expected) => {
    expect(createdAt(NOW - 500, NOW, restart)).toBe(expected);
  });
  test("a state without a creation time (0) gets one", () => {
    expect(createdAt(0, NOW, kept)).toBe(NOW);
  });
});

describe("cookieExpiry", () => {
  const limits = { lifetime: 3600, absoluteLifetime: undefined };
  test("a browser-session cookie has no Max-Age or Expires", () => {
    expect(cookieExpiry(false, NOW, NOW, limits)).toEqual({});
  });
  test("a permanent cookie lives lifetime seconds, cut at the absolute limit", () => {
    expect(cookieExpiry(true, NOW, NOW, limits)).toEqual({ maxAge: 3600, expires: (NOW + 3600) * 1000 });
    expect(cookieExpiry(true, NOW - 7000, NOW, { lifetime: 3600, absoluteLifetime: 7200 })).toEqual({ maxAge: 200, expires: (NOW + 200) * 1000 });
  });
});
