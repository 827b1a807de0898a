import { describe, expect, test } from "vitest";
import { SessionError } from "../src/errors.ts";
import { Session, emptyState, sessionInternals } from "../src/session.ts";
import type { SessionState } from "../src/session.ts";

function loaded(data: Record<string, unknown>, extra: Partial<SessionState> = {}): Session {
  const state = emptyState();
  for (const [k, v] of Object.entries(data)) state.data.set(k, v);
  return new Session({ ...state, created: 100, lastActive: 100, ...extra });
}

describe("Session dict semantics (Flask)", () => {
  test("get / set / has / delete / pop / setDefault / update / clear", () => {
    const s = new Session<{ a?: number; b?: string; c?: number[] }>();
    expect(s.get("a")).toBeUndefined();
    expect(s.get("a", 7)).toBe(7);
    s.set("a", 1);
    expect(s.get("a", 7)).toBe(1);
    expect(s.has("a")).toBe(true);
    expect(s.pop("a")).toBe(1);
    expect(s.pop("a", "gone")).toBe("gone");
    expect(s.setDefault("b", "x")).toBe("x");
    expect(s.setDefault("b", "y")).toBe("x");
    s.update({ a: 2, c: [1] });
    expect(s.keys()).toEqual(["b", "a", "c"]);
    expect(s.values()).toEqual(["x", 2, [1]]);
    expect(s.entries()).toEqual([
      ["b", "x"],
      ["a", 2],
      ["c", [1]],
    ]);
    expect(s.size).toBe(3);
    expect(s.toJSON()).toEqual({ b: "x", a: 2, c: [1] });
    expect(s.delete("a")).toBe(true);
    expect(s.delete("a")).toBe(false);
    s.clear();
    expect(s.size).toBe(0);
  });

  test("a stored falsy value is returned, not the fallback", () => {
    const s = loaded({ zero: 0, empty: "", no: false, nil: null });
    expect(s.get("zero", 9)).toBe(0);
    expect(s.get("empty", 9)).toBe("");
    expect(s.get("no", 9)).toBe(false);
    expect(s.get("nil", 9)).toBeNull();
  });

  test("prototype-like keys are just keys (JSN-03, JSN-04)", () => {
    const s = new Session();
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "then", "valueOf"]) s.set(key, key.length);
    expect(s.get("__proto__")).toBe(9);
    expect(s.get("toString")).toBe(8);
    expect(s.size).toBe(6);
    const plain = s.toJSON();
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(plain, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(new Session().get("toString")).toBeUndefined();
  });
});

describe("flags", () => {
  test("a fresh session is new, unmodified and not accessed until used", () => {
    const s = new Session();
    const i = sessionInternals(s);
    expect(s.modified).toBe(false);
    expect(s.accessed).toBe(false);
    expect(s.isNew).toBe(true);
    expect(s.accessed).toBe(true);
    expect(i.modified).toBe(false);
  });

  test("reads access without modifying; writes modify", () => {
    const s = loaded({ a: 1 });
    s.get("a");
    s.has("a");
    expect(s.size).toBe(1);
    expect(s.accessed).toBe(true);
    expect(s.modified).toBe(false);
    s.delete("missing");
    s.pop("missing");
    s.setDefault("a", 5);
    expect(s.modified).toBe(false);
    s.set("a", 2);
    expect(s.modified).toBe(true);
  });

  test("permanent: read/write, modifies only on change", () => {
    const s = loaded({ a: 1 }, { permanent: true });
    expect(s.permanent).toBe(true);
    s.permanent = true;
    expect(s.modified).toBe(false);
    s.permanent = false;
    expect(s.modified).toBe(true);
    expect(s.permanent).toBe(false);
  });

  test("modified can be forced and reset, like Flask", () => {
    const s = loaded({ a: 1 });
    s.modified = true;
    expect(s.modified).toBe(true);
    s.modified = false;
    expect(s.modified).toBe(false);
  });

  test("clear removes data, flashes and the permanent flag", () => {
    const s = loaded({ a: 1 }, { permanent: true, flashes: [["message", "hi"]] });
    s.clear();
    expect(s.size).toBe(0);
    expect(s.permanent).toBe(false);
    expect(s.flashes()).toEqual([]);
    expect(s.modified).toBe(true);
  });

  test("the lazy loader runs once, on first use; null means a fresh session", () => {
    let calls = 0;
    const s = new Session(() => {
      calls++;
      return { ...emptyState(), data: new Map([["u", "ada"]]), created: 1, lastActive: 1 };
    });
    expect(calls).toBe(0);
    expect(s.modified).toBe(false);
    expect(calls).toBe(0);
    expect(s.get("u")).toBe("ada");
    expect(s.isNew).toBe(false);
    s.get("u");
    expect(calls).toBe(1);
    const fresh = new Session(() => null);
    expect(fresh.isNew).toBe(true);
    expect(fresh.size).toBe(0);
  });

  test("a mutable value handed out is snapshotted first, so commit can detect nested changes", () => {
    const s = loaded({ cart: ["a"], n: 1 });
    expect(sessionInternals(s).snapshot).toBeUndefined();
    s.get("n");
    expect(sessionInternals(s).snapshot).toBeUndefined();
    (s.get("cart") as string[]).push("b");
    expect(sessionInternals(s).snapshot).toBe('{"cart":["a"],"n":1}');
  });

  test("changes after commit throw instead of being lost (HD-09)", () => {
    const s = loaded({ a: 1 });
    sessionInternals(s).committed = true;
    expect(s.get("a")).toBe(1);
    expect(() => s.set("a", 2)).toThrow(SessionError);
    try {
      s.set("a", 2);
    } catch (e) {
      expect((e as SessionError).code).toBe("already_committed");
    }
  });

  test("records clear() for stores (which then replace the whole record)", () => {
    const s = loaded({ a: 1, b: 2 });
    s.set("a", 3);
    s.pop("b");
    expect(sessionInternals(s).cleared).toBe(false);
    s.clear();
    expect(sessionInternals(s).cleared).toBe(true);
  });
});

describe("flash (Flask's flash / get_flashed_messages)", () => {
  test("categories, filtering, and consumed once per request", () => {
    const s = loaded(
      {},
      {
        flashes: [
          ["message", "saved"],
          ["error", "oops"],
          ["info", "fyi"],
        ],
      },
    );
    expect(s.flashes({ withCategories: true, categories: ["error", "info"] })).toEqual([
      ["error", "oops"],
      ["info", "fyi"],
    ]);
    // Later calls in the same request see the same messages (Flask caches them per request).
    expect(s.flashes()).toEqual(["saved", "oops", "fyi"]);
    expect(s.modified).toBe(true);
    expect(sessionInternals(s).state.flashes).toEqual([]);
  });

  test("flash adds with the default category 'message'", () => {
    const s = new Session();
    s.flash("hello");
    s.flash("bad", "error");
    expect(sessionInternals(s).state.flashes).toEqual([
      ["message", "hello"],
      ["error", "bad"],
    ]);
    expect(s.modified).toBe(true);
  });

  test("reading no flashes does not modify", () => {
    const s = loaded({ a: 1 });
    expect(s.flashes()).toEqual([]);
    expect(s.modified).toBe(false);
  });
});

describe("regenerate and destroy", () => {
  test("regenerate keeps the data and marks the session", () => {
    const s = loaded({ a: 1 });
    s.regenerate();
    expect(s.get("a")).toBe(1);
    expect(sessionInternals(s).regenerated).toBe(true);
    expect(s.modified).toBe(true);
  });

  test("destroy empties everything", () => {
    const s = loaded({ a: 1 }, { permanent: true });
    s.destroy();
    expect(s.size).toBe(0);
    expect(sessionInternals(s).destroyed).toBe(true);
  });
});

describe("snapshots", () => {
  test("a nested change next to a BigInt (a big Flask integer) is still detected", async () => {
    const { snapshotOf } = await import("../src/session.ts");
    const data = new Map<string, unknown>([
      ["id", 2n ** 60n],
      ["cart", ["a"]],
    ]);
    const before = snapshotOf(data);
    (data.get("cart") as string[]).push("b");
    expect(snapshotOf(data)).not.toBe(before);
    data.set("id", 2n ** 60n + 1n);
    expect(snapshotOf(data)).not.toBe(before);
  });
});
