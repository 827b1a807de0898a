// The owner option on the memory store (issue #16): the shared scenarios, expiry with an
// injected clock (the index stays bounded after 10,000 expired sessions), and the start-up
// errors of a configuration that cannot work.

import { describe, expect, test } from "vitest";
import { createSessions, memoryStore } from "../src/index.ts";
import { kvStore } from "../src/stores/kv.ts";
import { TEST_SECRET, clock, cookieOf, requestWith } from "./helpers.ts";
import { ownerApp, registerOwnerScenarios } from "./stores/owners-scenarios.ts";

describe("memoryStore owner index", () => {
  registerOwnerScenarios(test, () => memoryStore({ maxEntries: 100_000 }));
});

describe("expiry", () => {
  test("an expired session leaves the list, and 10,000 expired sessions leave no index behind", async () => {
    const time = clock();
    const store = memoryStore({ now: time.now, maxEntries: 20_000 });
    const app = ownerApp(store, { lifetime: 60 });
    // createSessions reads the clock too: the same one.
    const sessions = createSessions<{ user?: string }>({ secret: TEST_SECRET, store, owner: (d) => d.user, lifetime: 60, now: time.now });
    async function login(user: string): Promise<string> {
      const s = await sessions.load(requestWith());
      s.set("user", user);
      return cookieOf(await sessions.commit(s, new Response()));
    }
    void app;
    const cookie = await login("alice");
    expect((await sessions.list("alice")).length).toBe(1);
    time.advance(61);
    expect(await sessions.list("alice")).toEqual([]);
    expect((await sessions.load(requestWith(cookie))).get("user")).toBeUndefined();

    for (let n = 0; n < 10_000; n++) await login(n % 2 === 0 ? "bob" : `user-${n}`);
    expect(store.ownerIndexSize).toBe(10_000);
    // Index entries outlive their records by at most one lifetime (they are re-dated rarely).
    time.advance(2 * 60 + 1);
    await login("carol");
    console.log(`owner index entries after 10,000 expired sessions and one login: ${store.ownerIndexSize}`);
    expect(store.ownerIndexSize).toBe(1);
  });
});

describe("start-up errors", () => {
  test("a store without an owner index is refused when createSessions runs, naming what to use", () => {
    const kv = kvStore({ get: async () => null, put: async () => {}, delete: async () => {} });
    expect(() => createSessions({ secret: TEST_SECRET, store: kv, owner: (d) => d.user as string })).toThrow(
      /owner index.*memoryStore\(\), redisStore\(\), postgresStore\(\), durableObjectStore\(\), d1Store\(\).*denoKvStore\(\).*kvStore has none: Workers KV is eventually consistent/,
    );
  });

  test("bad owner and track options, and owner calls without the option", async () => {
    expect(() => createSessions({ secret: TEST_SECRET, store: memoryStore(), owner: "user" as never })).toThrow(/option owner must be a function/);
    expect(() => createSessions({ secret: TEST_SECRET, store: memoryStore(), track: { userAgent: true } })).toThrow(/option track needs option owner/);
    expect(() => createSessions({ secret: TEST_SECRET, store: memoryStore(), owner: () => undefined, track: { agent: true } as never })).toThrow(
      /track.agent is unknown/,
    );
    expect(() => createSessions({ secret: TEST_SECRET, owner: () => undefined })).toThrow(/needs option revocation/);
    const plain = createSessions({ secret: TEST_SECRET, store: memoryStore() });
    await expect(plain.list("alice")).rejects.toThrow(/need option owner/);
  });

  test("an owner function returning something other than a string fails the commit clearly, writing nothing", async () => {
    const store = memoryStore();
    const sessions = createSessions<{ user?: number }>({ secret: TEST_SECRET, store, owner: (d) => d.user as never });
    const s = await sessions.load(requestWith());
    s.set("user", 42);
    await expect(sessions.commit(s, new Response())).rejects.toThrow(/option owner must return a non-empty string/);
    expect(store.size).toBe(0);
  });
});

describe("outside review of this wave", () => {
  test("a password change in one request: regenerate() and revokeAll(owner, { except: session }) keep this device and end the others", async () => {
    const store = memoryStore();
    const sessions = createSessions<{ user?: string }>({ secret: TEST_SECRET, store, owner: (d) => d.user });
    async function login(): Promise<string> {
      const s = await sessions.load(requestWith());
      s.set("user", "alice");
      return cookieOf(await sessions.commit(s, new Response()));
    }
    const here = await login();
    const other = await login();
    const current = await sessions.load(requestWith(here));
    current.regenerate();
    await sessions.revokeAll("alice", { except: current });
    const rotated = cookieOf(await sessions.commit(current, new Response()));
    expect(rotated).not.toBe(here);
    expect((await sessions.load(requestWith(rotated))).get("user")).toBe("alice");
    expect((await sessions.load(requestWith(other))).get("user")).toBeUndefined();
    expect((await sessions.list("alice")).length).toBe(1);
  });
});
