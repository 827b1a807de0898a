import { describe, expect, test } from "vitest";
import { createSessions, memoryStore } from "../../src/index.ts";
import type { SessionStore, StorePatch, StoreRecord } from "../../src/index.ts";
import { T0, TEST_SECRET, clock, cookieOf, requestWith } from "../helpers.ts";
import { registerStoreContract } from "./contract.ts";

const record = (k: string): StoreRecord => ({ k, c: "1", a: "1" });
const patch: StorePatch = { set: { a: "2" }, delete: [], replace: false };

describe("contract: memoryStore", () => {
  // The memory store has no prefix and no way to list keys: the target watches what is
  // written (key and TTL) and asks the store itself whether each key is still there.
  registerStoreContract(test, async () => {
    const now = Date.now;
    const inner = memoryStore();
    const written = new Map<string, { ttl: number; at: number }>();
    const store: SessionStore = {
      get: (key) => inner.get(key),
      async set(key, value, ttl) {
        await inner.set(key, value, ttl);
        written.set(key, { ttl, at: now() });
      },
      async patch(key, changes, ttl) {
        const applied = await inner.patch(key, changes, ttl);
        if (applied) written.set(key, { ttl, at: now() });
        return applied;
      },
      delete: (key) => inner.delete(key),
    };
    async function live(key: string): Promise<boolean> {
      return (await inner.get(key)) !== null;
    }
    return {
      store,
      prefix: "",
      minTtl: 1,
      async rawKeys() {
        const keys: string[] = [];
        for (const key of written.keys()) if (await live(key)) keys.push(key);
        expect(inner.size).toBe(keys.length);
        return keys;
      },
      async ttl(key) {
        const w = written.get(key);
        if (w === undefined || !(await live(key))) return null;
        return w.ttl - (now() - w.at) / 1000;
      },
    };
  });
});

describe("memoryStore", () => {
  test("reads of unknown keys add nothing (ST-12: 10^6 reads)", async () => {
    const store = memoryStore();
    await store.set("known", record("known"), 60);
    for (let n = 0; n < 1_000_000; n++) {
      if ((await store.get(`unknown-${n & 1023}`)) !== null) throw new Error("found an unknown key");
    }
    expect(store.size).toBe(1);
    expect(await store.patch("unknown", patch, 60)).toBe(false);
    expect(await store.delete("unknown")).toBe(false);
    expect(store.size).toBe(1);
  });

  test("unknown session ids through createSessions add nothing either", async () => {
    const store = memoryStore();
    const sessions = createSessions({ secret: TEST_SECRET, store });
    for (let n = 0; n < 10_000; n++) {
      const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      const res = await sessions.handle((_r, s) => new Response(String(s.get("user"))))(requestWith(`session=${id}`));
      expect(await res.text()).toBe("undefined");
    }
    expect(store.size).toBe(0);
  });

  test("the cap is never exceeded; the least recently used entry goes first", async () => {
    const time = clock();
    const store = memoryStore({ maxEntries: 100, now: time.now });
    for (let n = 0; n < 1000; n++) {
      await store.set(`k${n}`, record(`k${n}`), 3600);
      if (n % 10 === 0) await store.get("k0"); // k0 stays recently used
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(store.size).toBe(100);
    expect(await store.get("k0")).not.toBeNull();
    expect(await store.get("k1")).toBeNull();
    expect(await store.get("k899")).toBeNull();
    expect(await store.get("k901")).not.toBeNull();
    expect(await store.get("k999")).not.toBeNull();
  });

  test("entries expire with their TTL (injected clock) and are evicted before live ones", async () => {
    const time = clock();
    const store = memoryStore({ maxEntries: 3, now: time.now });
    await store.set("short", record("short"), 10);
    await store.set("long1", record("long1"), 3600);
    await store.set("long2", record("long2"), 3600);
    time.advance(10);
    expect(await store.get("short")).not.toBeNull(); // alive for its full TTL, and now the most recently used
    time.advance(1);
    // Full: the expired entry goes, even though it was used more recently than long1.
    await store.set("long3", record("long3"), 3600);
    expect(store.size).toBe(3);
    expect(await store.get("short")).toBeNull();
    expect(await store.get("long1")).not.toBeNull();
    expect(await store.patch("short", patch, 60)).toBe(false);
    expect(store.size).toBe(3);
  });

  test("a read of an expired entry removes it; patch extends the TTL", async () => {
    const time = clock();
    const store = memoryStore({ now: time.now });
    await store.set("a", record("a"), 60);
    await store.set("b", record("b"), 60);
    time.advance(50);
    expect(await store.patch("b", patch, 60)).toBe(true);
    time.advance(11);
    expect(await store.get("a")).toBeNull();
    expect(store.size).toBe(1);
    expect(await store.get("b")).toEqual({ k: "b", c: "1", a: "2" });
    time.advance(50);
    expect(await store.get("b")).toBeNull();
    expect(store.size).toBe(0);
  });

  test("records are copied in and out: callers cannot change what is stored", async () => {
    const store = memoryStore();
    const r = record("x");
    await store.set("x", r, 60);
    r.a = "changed";
    const got = (await store.get("x"))!;
    got.c = "changed";
    expect(await store.get("x")).toEqual({ k: "x", c: "1", a: "1" });
  });

  test("sessions expire with the store's clock too", async () => {
    const time = clock();
    const store = memoryStore({ now: time.now });
    const sessions = createSessions({ secret: TEST_SECRET, store, now: time.now, lifetime: 600 });
    const login = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(requestWith());
    expect(store.size).toBe(1);
    time.advance(601);
    const res = await sessions.handle((_r, s) => new Response(String(s.get("user"))))(requestWith(cookieOf(login)));
    expect(await res.text()).toBe("undefined");
    expect(store.size).toBe(0);
    expect(time.now()).toBe(T0 + 601_000);
  });

  test("bad options are refused", () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => memoryStore({ maxEntries: 1.5 })).toThrow("option maxEntries is invalid: 1.5");
    expect(() => memoryStore({ now: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => memoryStore(null as unknown as {})).toThrow(TypeError);
  });
});
