// websession/durable-object and websession/d1 inside workerd, on real bindings: a SQLite-backed
// Durable Object namespace (SESSION_OBJECTS, class from stores-worker.ts) and a Miniflare D1
// database (SESSIONS_DB), both configured in vitest.workerd.config.ts. The shared store
// contract, then what each engine adds: eviction and alarms, replication sessions, races.

import { abortAllDurableObjects, env, listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, test } from "vitest";
import type { SessionStore } from "../../src/index.ts";
import { d1Schema, d1Store } from "../../src/stores/d1.ts";
import type { D1DatabaseLike } from "../../src/stores/d1.ts";
import { durableObjectStore } from "../../src/stores/durable-object.ts";
import type { DurableObjectNamespaceLike, DurableObjectStorageLike } from "../../src/stores/durable-object.ts";
import { cookieOf } from "../helpers.ts";
import { registerStoreContract } from "../stores/contract.ts";
import { ownerApp, registerOwnerScenarios } from "../stores/owners-scenarios.ts";
import { appOver, destroyRaces, expectUnavailable, ok, parallelWriters, pause, storeKeyOfCookie } from "../stores/races.ts";

interface D1Session extends D1DatabaseLike {
  getBookmark(): string | null;
}
interface D1Binding extends D1DatabaseLike {
  withSession(constraintOrBookmark?: string): D1Session;
}
type Namespace = DurableObjectNamespaceLike<unknown>;
type Stored = { e: number; r: Record<string, string> };

const bindings = env as unknown as { SESSION_OBJECTS: Namespace; SESSIONS_DB: D1Binding };
const ns = bindings.SESSION_OBJECTS;
const db = bindings.SESSIONS_DB;
let prefixes = 0;
const nextPrefix = (name: string): string => `${name}${++prefixes}:${crypto.randomUUID().slice(0, 8)}:`;

/** Runs `fn` on the storage of the object named `name`. */
function inObject<T>(name: string, fn: (storage: DurableObjectStorageLike) => Promise<T>): Promise<T> {
  const stub = ns.get(ns.idFromName(name)) as unknown as Parameters<typeof runInDurableObject>[0];
  return runInDurableObject(stub, (_instance: unknown, state: { storage: DurableObjectStorageLike }) => fn(state.storage));
}

/** Every record with `prefix` in every object of the namespace: storage key to what is stored. */
async function allRecords(prefix: string): Promise<Map<string, Stored>> {
  const found = new Map<string, Stored>();
  for (const id of await listDurableObjectIds(ns as never)) {
    await runInDurableObject(ns.get(id) as never, async (_instance: unknown, state: { storage: DurableObjectStorageLike }) => {
      for (const [key, value] of await state.storage.list<Stored>({ prefix: `r:${prefix}` })) found.set(key.slice(2), value);
    });
  }
  return found;
}

/** 50 parallel writers on one session over `store`, `rounds` times: keys lost. */
function parallelWritersOver(store: SessionStore, rounds: number): Promise<number> {
  // 50 calls queue on one object (or one row): on a loaded 2-core machine the last can wait
  // longer than the default timeout, which would be a 503, not what this test is about.
  return parallelWriters(appOver(store, { storeTimeout: 20_000 }).run, rounds);
}

/** A request during an outage of `store`: 503 within the timeout (+500 ms), handler not run, no cookie. */
function expectOutage(store: SessionStore, cookie: string, timeout: number): Promise<void> {
  return expectUnavailable(appOver(store, { storeTimeout: timeout }), cookie, timeout + 500);
}

const hang = (): Promise<never> => new Promise(() => {});

describe("Durable Object store", () => {
  describe("contract (one object per session)", () => {
    registerStoreContract(test, async ({ prefix }) => ({
      store: durableObjectStore(ns, { prefix }),
      prefix,
      minTtl: 1,
      rawKeys: async () => [...(await allRecords(prefix)).keys()].sort(),
      async ttl(key) {
        const stored = (await allRecords(key)).get(key);
        return stored === undefined ? null : (stored.e - Date.now()) / 1000;
      },
    }));
  });

  test("one object per session: the session's object holds exactly its record", async () => {
    const prefix = nextPrefix("do-layout:");
    const { run } = appOver(durableObjectStore(ns, { prefix }));
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    const key = prefix + (await storeKeyOfCookie(cookie));
    const keys = await inObject(key, async (storage) => [...(await storage.list({ prefix: "" })).keys()]);
    expect(keys).toEqual([`r:${key}`]);
  });

  test("eviction: every object is reset (in-memory state dropped), the sessions survive from storage", async () => {
    const prefix = nextPrefix("do-evict:");
    const { run } = appOver(durableObjectStore(ns, { prefix }));
    const cookie = cookieOf(await run((_r, s) => (s.update({ user: "ada", cart: ["tea"] }), ok())));
    await abortAllDurableObjects();
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ user: "ada", cart: ["tea"] });
    // And writes after the restart apply to the stored record (a patch, not a fresh one).
    await run((_r, s) => (s.set("n", 1), ok()), cookie);
    await abortAllDurableObjects();
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ user: "ada", cart: ["tea"], n: 1 });
  });

  test("expiry: an expired record is never returned, even while its alarm has not fired", async () => {
    const prefix = nextPrefix("do-expired:");
    const store = durableObjectStore(ns, { prefix });
    await store.set("k1", { k: "k1", c: "1", a: "1" }, 3600);
    // Move the deadline into the past behind the store's back; the alarm stays an hour away.
    await inObject(`${prefix}k1`, async (storage) => {
      const stored = (await storage.get<Stored>(`r:${prefix}k1`))!;
      await storage.put(`r:${prefix}k1`, { ...stored, e: Date.now() - 1 });
      expect((await storage.getAlarm())! - Date.now()).toBeGreaterThan(3500_000);
    });
    expect(await store.get("k1")).toBeNull();
    expect(await store.patch!("k1", { set: { a: "2" }, delete: [], replace: false }, 60)).toBe(false);
    expect(await store.delete("k1")).toBe(false);
    expect((await allRecords(prefix)).size).toBe(0);
  });

  test("expiry: the alarm is set at the deadline, re-armed while the record lives, and deletes it after", async () => {
    const prefix = nextPrefix("do-alarm:");
    const store = durableObjectStore(ns, { prefix });
    const before = Date.now();
    await store.set("k1", { k: "k1", c: "1", a: "1" }, 1);
    const name = `${prefix}k1`;
    const alarm = await inObject(name, (storage) => storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm! - before).toBeGreaterThanOrEqual(1000);
    expect(alarm! - before).toBeLessThan(1500);
    // An alarm run before the deadline keeps the record and re-arms itself.
    const stub = ns.get(ns.idFromName(name)) as never;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await allRecords(prefix)).size).toBe(1);
    expect(await inObject(name, (storage) => storage.getAlarm())).not.toBeNull();
    await pause(1100);
    // Fires now when it has not already fired by itself: either way the record is deleted.
    await runDurableObjectAlarm(stub);
    expect((await allRecords(prefix)).size).toBe(0);
    expect(await inObject(name, (storage) => storage.getAlarm())).toBeNull();
  });

  test("sharded by key prefix: the alarm serves the earliest deadline of the object's sessions", async () => {
    const prefix = nextPrefix("do-shard:");
    const store = durableObjectStore(ns, { prefix, shardPrefixLength: 1 });
    await store.set("Ashort", { k: "Ashort", c: "1", a: "1" }, 1);
    await store.set("Along", { k: "Along", c: "1", a: "1" }, 3600);
    await store.set("Bother", { k: "Bother", c: "1", a: "1" }, 3600);
    const shardA = `${prefix}shard:A`;
    expect(await inObject(shardA, async (storage) => [...(await storage.list({ prefix: "r:" })).keys()].sort())).toEqual([
      `r:${prefix}Along`,
      `r:${prefix}Ashort`,
    ]);
    await pause(1100);
    expect(await store.get("Ashort")).toBeNull();
    await runDurableObjectAlarm(ns.get(ns.idFromName(shardA)) as never);
    expect(await inObject(shardA, async (storage) => [...(await storage.list({ prefix: "r:" })).keys()])).toEqual([`r:${prefix}Along`]);
    const next = await inObject(shardA, (storage) => storage.getAlarm());
    expect(next! - Date.now()).toBeGreaterThan(3500_000);
    expect(await store.get("Bother")).not.toBeNull();
  });

  test("50 requests in parallel on one session, each setting its own key: none lost, 20 rounds each layout (ST-09)", async () => {
    expect(await parallelWritersOver(durableObjectStore(ns, { prefix: nextPrefix("do-par:") }), 20)).toBe(0);
    expect(await parallelWritersOver(durableObjectStore(ns, { prefix: nextPrefix("do-par-shard:"), shardPrefixLength: 1 }), 20)).toBe(0);
  }, 60_000);

  test("destroy() racing a slow request never resurrects the session, 50 trials (ST-08)", async () => {
    const prefix = nextPrefix("do-race:");
    const result = await destroyRaces(appOver(durableObjectStore(ns, { prefix })), 50, async (cookie) => {
      const key = prefix + (await storeKeyOfCookie(cookie));
      return (await inObject(key, (storage) => storage.get(`r:${key}`))) !== undefined;
    });
    expect(result.resurrected).toBe(0);
    expect(result.late).toBeGreaterThan(0);
  }, 60_000);

  test("outage: an object that hangs or fails answers store_unavailable within the timeout; nothing half-written", async () => {
    const prefix = nextPrefix("do-outage:");
    const real = durableObjectStore(ns, { prefix });
    const { run } = appOver(real);
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    // workerd cannot be told to make an object unreachable: a binding whose stubs hang or throw.
    const hanging: Namespace = { idFromName: (name) => ns.idFromName(name), get: () => ({ fetch: hang }) };
    const failing: Namespace = {
      idFromName: (name) => ns.idFromName(name),
      get: () => ({
        fetch: async () => {
          throw new Error("Durable Object reset because its code was updated.");
        },
      }),
    };
    const erroring: Namespace = { idFromName: (name) => ns.idFromName(name), get: () => ({ fetch: async () => new Response("overloaded", { status: 503 }) }) };
    for (const broken of [hanging, failing, erroring]) await expectOutage(durableObjectStore(broken, { prefix }), cookie, 300);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ user: "ada" });
  });

  test("the object refuses malformed calls with 400, and the store reports them", async () => {
    const stub = ns.get(ns.idFromName("malformed"));
    for (const body of [
      "not json",
      "[]",
      '{"op":"get"}',
      '{"op":"set","key":"k","record":{"a":1},"ttl":5}',
      '{"op":"set","key":"k","record":{},"ttl":-1}',
      '{"op":"patch","key":"k","patch":{},"ttl":5}',
      '{"op":"drop","key":"k"}',
      '{"op":"set","key":"k","record":{"__proto__":"x"},"ttl":5}',
    ]) {
      const res = await stub.fetch("https://websession.invalid/", { method: "POST", body });
      expect(res.status, body).toBe(400);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe("string");
    }
  });

  test("bad configuration throws at start-up, naming what to change", () => {
    expect(() => durableObjectStore(undefined as never)).toThrow("durableObjectStore needs a Durable Object namespace binding");
    expect(() => durableObjectStore(ns, { shardPrefixLength: 3 as never })).toThrow("option shardPrefixLength is invalid: 3");
    expect(() => durableObjectStore(ns, { prefix: 1 as never })).toThrow("option prefix is invalid");
    expect(() => durableObjectStore(ns, { locationHint: "" })).toThrow("option locationHint is invalid");
    expect(() => durableObjectStore(ns, { locationHint: "weur" })).not.toThrow();
  });

  describe("owner index (one object per owner)", () => {
    test("a malformed owner call is a 400 naming what is wrong, never a crash or a write", async () => {
      const name = nextPrefix("do-owner-bad:");
      const stub = ns.get(ns.idFromName(name));
      const send = async (body: unknown): Promise<[number, string]> => {
        const response = await stub.fetch("https://websession.invalid/", { method: "POST", body: JSON.stringify(body) });
        return [response.status, await response.text()];
      };
      expect(await send({ op: "owners.add", owner: "", key: "k", expires: 1 })).toEqual([400, expect.stringContaining("owner must be a string")]);
      expect(await send({ op: "owners.add", owner: "x".repeat(257), key: "k", expires: 1 })).toEqual([400, expect.stringContaining("owner must be")]);
      expect(await send({ op: "owners.add", owner: "ada", key: "", expires: 1 })).toEqual([400, expect.stringContaining("key must not be empty")]);
      expect(await send({ op: "owners.add", owner: "ada", key: "k", expires: "soon" })).toEqual([400, expect.stringContaining("expires must be")]);
      expect(await send({ op: "owners.drop", owner: "ada", key: "k" })).toEqual([400, expect.stringContaining("unknown op")]);
      expect([...(await inObject(name, (storage) => storage.list({ prefix: "" }))).keys()]).toEqual([]);
    });

    registerOwnerScenarios(test, () => durableObjectStore(ns, { prefix: nextPrefix("do-owners:"), shardPrefixLength: 1 }));

    test("expired entries leave the owner's object: reads skip them, the alarm deletes them and the generation", async () => {
      const prefix = nextPrefix("do-owner-expiry:");
      const store = durableObjectStore(ns, { prefix });
      const app = ownerApp(store, { lifetime: 1 });
      await Promise.all(Array.from({ length: 20 }, (_, n) => app.fetch(`/login?user=${n % 2 === 0 ? "bob" : `u${n}`}`)));
      const bob = `${prefix}owner:bob`;
      expect((await inObject(bob, (storage) => storage.list({ prefix: "i:" }))).size).toBe(10);
      expect(await store.owners.list("bob")).toHaveLength(10);
      expect(await store.owners.revoke("u3")).toEqual({ keys: [expect.any(String)], generation: 1 });
      // Entries expire 2 × lifetime after their write (x = now + 2 × ttl): past it, with 1 s rounding.
      await pause(3200);
      expect(await store.owners.list("bob")).toEqual([]);
      expect(await store.owners.generation("u3")).toBe(0);
      // Nothing read u5's object since: its alarm (run now if it has not fired yet) emptied it.
      const u5 = ns.get(ns.idFromName(`${prefix}owner:u5`)) as never;
      await runDurableObjectAlarm(u5);
      expect([...(await inObject(`${prefix}owner:u5`, (storage) => storage.list({ prefix: "" }))).keys()]).toEqual([]);
    }, 20_000);
  });
});

describe("D1 store", () => {
  const table = "websession_sessions";
  beforeAll(async () => {
    await d1Store(db).ensureSchema();
    await d1Store(db).ensureSchema(); // idempotent
  });

  async function rows(prefix: string): Promise<Array<{ key: string; expires_at: number; data: string }>> {
    const statement = db.prepare(`SELECT key, expires_at, data FROM ${table} WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key`).bind(prefix) as unknown as {
      all<T>(): Promise<{ results: T[] }>;
    };
    return (await statement.all<{ key: string; expires_at: number; data: string }>()).results;
  }

  describe("contract", () => {
    registerStoreContract(test, async ({ prefix }) => ({
      store: d1Store(db, { prefix }),
      prefix,
      minTtl: 1,
      rawKeys: async () => (await rows(prefix)).map((r) => r.key),
      async ttl(key) {
        const row = (await rows(key)).find((r) => r.key === key);
        return row === undefined ? null : (row.expires_at - Date.now()) / 1000;
      },
    }));
  });

  test("the schema is what d1Schema() documents", async () => {
    const sql = (await (db.prepare("SELECT sql FROM sqlite_master WHERE name = ?1").bind(table) as unknown as { first<T>(): Promise<T | null> }).first<{
      sql: string;
    }>())!.sql;
    expect(d1Schema()[0]).toContain(sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"));
  });

  test("expired rows are ignored by every read and write; cleanup() deletes them", async () => {
    const prefix = nextPrefix("d1-expired:");
    const store = d1Store(db, { prefix });
    await store.set("old", { k: "old", c: "1", a: "1" }, 3600);
    await store.set("live", { k: "live", c: "1", a: "1" }, 3600);
    await db
      .prepare(`UPDATE ${table} SET expires_at = ?2 WHERE key = ?1`)
      .bind(`${prefix}old`, Date.now() - 1)
      .run();
    expect(await store.get("old")).toBeNull();
    expect(await store.patch!("old", { set: { a: "2" }, delete: [], replace: false }, 60)).toBe(false);
    expect(await store.patch!("old", { set: { a: "2" }, delete: [], replace: true }, 60)).toBe(false);
    expect((await rows(prefix)).map((r) => r.key)).toEqual([`${prefix}live`, `${prefix}old`]);
    expect(await store.cleanup()).toBeGreaterThanOrEqual(1);
    expect((await rows(prefix)).map((r) => r.key)).toEqual([`${prefix}live`]);
    await db
      .prepare(`UPDATE ${table} SET expires_at = ?2 WHERE key = ?1`)
      .bind(`${prefix}live`, Date.now() - 1)
      .run();
    expect(await store.delete("live")).toBe(false); // it existed, but only as an expired row
    expect(await rows(prefix)).toEqual([]);
  });

  test("a patch is one merge of the stored JSON: fields other requests wrote in between stay", async () => {
    const prefix = nextPrefix("d1-merge:");
    const store = d1Store(db, { prefix });
    await store.set("k", { k: "k", c: "1", a: "1", "d:x": "1" }, 60);
    await store.patch!("k", { set: { "d:y": '"two"' }, delete: ["d:x"], replace: false }, 60);
    await store.patch!("k", { set: { "d:x": "[3]", "d:q": '"x\\"y\\u0000☃😀\\ud800"' }, delete: ["d:x", "d:nothing"], replace: false }, 60);
    expect({ ...(await store.get("k")) }).toEqual({ k: "k", c: "1", a: "1", "d:y": '"two"', "d:x": "[3]", "d:q": '"x\\"y\\u0000☃😀\\ud800"' });
  });

  test("a row whose data is not JSON is a fresh session, never a crash (ST-04)", async () => {
    const prefix = nextPrefix("d1-garbage:");
    const { run } = appOver(d1Store(db, { prefix }));
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    await db.prepare(`UPDATE ${table} SET data = '{not json' WHERE substr(key, 1, length(?1)) = ?1`).bind(prefix).run();
    let seen: unknown = "?";
    const res = await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect([res.status, seen]).toEqual([200, {}]);
  });

  test("read replication: a Sessions API session is used for every query, and its bookmark gives read-your-writes", async () => {
    const prefix = nextPrefix("d1-bookmark:");
    const first = db.withSession("first-primary");
    const store = d1Store(first, { prefix });
    const before = first.getBookmark();
    const { run } = appOver(store);
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    const afterLogin = first.getBookmark();
    expect(afterLogin).not.toBeNull();
    expect(afterLogin).not.toBe(before);
    await run((_r, s) => (s.set("n", 1), ok()), cookie);
    const afterPatch = first.getBookmark()!;
    expect(afterPatch > afterLogin!).toBe(true);
    // The next request continues from the bookmark (carried, say, in a cookie): it sees the write.
    const next = appOver(d1Store(db.withSession(afterPatch), { prefix }));
    let seen: unknown;
    await next.run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ user: "ada", n: 1 });
  });

  test("50 requests in parallel on one session, each setting its own key: none lost, 10 rounds (ST-09)", async () => {
    expect(await parallelWritersOver(d1Store(db, { prefix: nextPrefix("d1-par:") }), 10)).toBe(0);
  });

  test("destroy() racing a slow request never resurrects the session, 50 trials (ST-08)", async () => {
    const prefix = nextPrefix("d1-race:");
    const result = await destroyRaces(
      appOver(d1Store(db, { prefix })),
      50,
      async (cookie) => (await rows(prefix + (await storeKeyOfCookie(cookie)))).length > 0,
    );
    expect(result.resurrected).toBe(0);
    expect(result.late).toBeGreaterThan(0);
  }, 60_000);

  test("outage: a database that hangs or fails answers store_unavailable within the timeout; nothing half-written", async () => {
    const prefix = nextPrefix("d1-outage:");
    const { run } = appOver(d1Store(db, { prefix }));
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    // Miniflare's D1 cannot be taken down mid-test: a binding whose statements hang or throw.
    const statement = (settle: () => Promise<never>) => {
      const s = { bind: () => s, first: settle, run: settle };
      return s;
    };
    const hanging: D1DatabaseLike = { prepare: () => statement(hang) };
    const failing: D1DatabaseLike = {
      prepare: () =>
        statement(async () => {
          throw new Error("D1_ERROR: Network connection lost.");
        }),
    };
    for (const broken of [hanging, failing]) await expectOutage(d1Store(broken, { prefix }), cookie, 300);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ user: "ada" });
    expect((await rows(prefix)).length).toBe(1);
  });

  test("bad configuration throws at start-up, naming what to change", () => {
    expect(() => d1Store(undefined as never)).toThrow("d1Store needs a D1 database binding");
    expect(() => d1Store(db, { table: "sessions; DROP TABLE x" })).toThrow("option table is invalid");
    expect(() => d1Schema("1abc")).toThrow("option table is invalid");
    expect(() => d1Store(db, { prefix: null as never })).toThrow("option prefix is invalid");
  });

  describe("owner index (table websession_sessions_owners)", () => {
    registerOwnerScenarios(test, () => d1Store(db, { prefix: nextPrefix("d1-owners:") }));
    registerOwnerScenarios(test, () => d1Store(db.withSession("first-primary"), { prefix: nextPrefix("d1-owners-session:") }));

    test("expired entries are not listed; cleanup() deletes them and the generation rows", async () => {
      const prefix = nextPrefix("d1-owner-expiry:");
      const store = d1Store(db, { prefix });
      // Lifetime 3 s: entries are dated 6 s ahead, longer than the 1,000 logins take here.
      const app = ownerApp(store, { lifetime: 3 });
      const count = async (): Promise<number> =>
        (await (
          db.prepare(`SELECT count(*) AS n FROM ${table}_owners WHERE substr(owner, 1, length(?1)) = ?1`).bind(prefix) as unknown as {
            first<T>(): Promise<T | null>;
          }
        ).first<{ n: number }>())!.n;
      for (let from = 0; from < 1000; from += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, n) => app.fetch(`/login?user=${(from + n) % 2 === 0 ? "bob" : `u${from + n}`}`)));
      }
      // 500 of bob's entries, 500 other owners' entries, a generation row per owner.
      expect(await count()).toBe(500 + 500 + 501);
      expect(await store.owners!.list("bob")).toHaveLength(500);
      await pause(7200);
      expect(await store.owners!.list("bob")).toEqual([]);
      expect(await store.cleanup()).toBeGreaterThanOrEqual(1000);
      const left = await count();
      console.log(`d1 owner index rows after 1,000 expired sessions and cleanup(): ${left}`);
      expect(left).toBe(0);
    }, 60_000);

    test("the owners table is what d1Schema() documents", async () => {
      const sql = (await (
        db.prepare("SELECT sql FROM sqlite_master WHERE name = ?1").bind(`${table}_owners`) as unknown as {
          first<T>(): Promise<T | null>;
        }
      ).first<{ sql: string }>())!.sql;
      expect(d1Schema()[2]).toContain(sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"));
    });

    test("a binding without batch has no owner index, and the owner option says so at start-up", () => {
      const store = d1Store({ prepare: (query: string) => db.prepare(query) });
      expect(store.owners).toBeUndefined();
      expect(() => ownerApp(store)).toThrow("option owner needs a store with an owner index");
    });
  });
});
