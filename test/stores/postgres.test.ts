// postgresStore against a real Postgres server (initdb + postgres started here on a free port,
// stopped by PID), with node-postgres (pg Pool) and postgres.js: the store contract, start-up
// checks, expiry and cleanup, 50 parallel writers, destroy racing a slow write, outages.

import { randomBytes } from "node:crypto";
import pg from "pg";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionsOptions } from "../../src/index.ts";
import { postgresCleanup, postgresSchema, postgresStore } from "../../src/stores/postgres.ts";
import type { PostgresClientLike } from "../../src/stores/postgres.ts";
import { cookieOf } from "../helpers.ts";
import { registerStoreContract } from "./contract.ts";
import { appOver, destroyRaces, killMidRequest, ok, parallelWriters, pause, pauseMidRequest, storeKeyOfCookie } from "./races.ts";
import { startPostgres } from "./postgres-server.ts";
import type { PostgresServer } from "./postgres-server.ts";

/** One client library, as the tests drive it (the store sees only `client`). */
interface TestClient {
  readonly client: PostgresClientLike;
  /** Runs a query for the test's own checks. */
  rows(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

type Flavour = { name: string; connect(url: string, failFast?: boolean): TestClient };

const flavours: Flavour[] = [
  {
    name: "pg Pool",
    connect(url, failFast = false) {
      const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: failFast ? 500 : 5000 });
      pool.on("error", () => {}); // an idle connection lost in an outage must not crash the process
      return {
        client: pool,
        rows: async (text, values) => (await pool.query(text, values)).rows,
        close: () => pool.end(),
      };
    },
  },
  {
    name: "postgres.js",
    connect(url, failFast = false) {
      const sql = postgres(url, { max: 10, connect_timeout: failFast ? 1 : 5, onnotice: () => {} });
      return {
        client: sql,
        rows: async (text, values) => [...(await sql.unsafe(text, values as never[]))],
        close: () => sql.end({ timeout: 1 }),
      };
    },
  },
];

const newTable = (): string => `wst_${randomBytes(6).toString("hex")}`;

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe("start-up checks", () => {
  test("a table name that is not a plain identifier throws at start-up, saying what to change", () => {
    const client = { query: async () => ({ rows: [], rowCount: 0 }) };
    for (const table of ['x"; DROP TABLE users; --', "a b", "1abc", "", "a.b.c", "x".repeat(51), "sessions;", "ünï"]) {
      expect(() => postgresStore({ client, table }), table).toThrow(/option table must be a name like "websession"/);
      expect(() => postgresSchema(table)).toThrow(RangeError);
    }
    expect(() => postgresStore({ client, table: 42 as never })).toThrow(/option table must be a string, got 42/);
    expect(() => postgresStore({ client: {} as never })).toThrow(/option client must be a Postgres client/);
    expect(() => postgresStore(null as never)).toThrow(/needs an options object/);
    expect(postgresSchema("auth.sessions")).toContain('CREATE TABLE IF NOT EXISTS "auth"."sessions"');
    expect(postgresCleanup()).toBe('DELETE FROM "websession" WHERE expires_at <= now()');
  });
});

describe.each(flavours)("with $name", (flavour) => {
  let c: TestClient;
  beforeAll(() => {
    c = flavour.connect(server.url);
  });
  afterAll(async () => {
    await c?.close();
  });

  async function app(options: Partial<SessionsOptions> = {}) {
    const table = newTable();
    const store = postgresStore({ client: c.client, table });
    await store.ensureSchema();
    const { sessions, run } = appOver(store, options);
    return { sessions, run, table, store };
  }

  describe("contract", () => {
    registerStoreContract(test, async () => {
      const table = newTable();
      const store = postgresStore({ client: c.client, table });
      await store.ensureSchema();
      return {
        store,
        prefix: "",
        minTtl: 1,
        rawKeys: async () => (await c.rows(`SELECT key FROM ${table} WHERE expires_at > now() ORDER BY key`)).map((r) => String(r.key)),
        async ttl(key) {
          const rows = await c.rows(`SELECT extract(epoch FROM expires_at - now())::float8 AS s FROM ${table} WHERE key = $1 AND expires_at > now()`, [key]);
          return rows.length === 0 ? null : Number(rows[0]!.s);
        },
      };
    });
  });

  test("ensureSchema() is idempotent, also when several processes run it at once, and matches postgresSchema()", async () => {
    const table = newTable();
    const stores = Array.from({ length: 5 }, () => postgresStore({ client: c.client, table }));
    await Promise.all(stores.map((s) => s.ensureSchema()));
    await stores[0]!.ensureSchema();
    const columns = await c.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [table]);
    expect(columns).toEqual([
      { column_name: "key", data_type: "text" },
      { column_name: "data", data_type: "jsonb" },
      { column_name: "expires_at", data_type: "timestamp with time zone" },
    ]);
    const indexes = await c.rows("SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname", [table]);
    expect(indexes.map((r) => r.indexname)).toEqual([`${table}_expires_at`, `${table}_pkey`]);
  });

  test("a schema-qualified table works", async () => {
    await c.rows("CREATE SCHEMA IF NOT EXISTS auth");
    const store = postgresStore({ client: c.client, table: `auth.${newTable()}` });
    await store.ensureSchema();
    await store.set("key", { k: "key", c: "1", a: "1" }, 60);
    expect({ ...(await store.get("key")) }).toEqual({ k: "key", c: "1", a: "1" });
  });

  test("expired rows are invisible, never patched, reported as gone by delete, and removed by cleanup()", async () => {
    const { store, table } = await app();
    await store.set("old", { k: "old", c: "1", a: "1" }, 3600);
    await store.set("live", { k: "live", c: "1", a: "1" }, 3600);
    await c.rows(`UPDATE ${table} SET expires_at = now() - interval '1 second' WHERE key = 'old'`);
    expect(await store.get("old")).toBeNull();
    expect(await store.patch("old", { set: { a: "2" }, delete: [], replace: false }, 3600)).toBe(false);
    expect(await store.cleanup()).toBe(1);
    expect((await c.rows(`SELECT key FROM ${table}`)).map((r) => r.key)).toEqual(["live"]);
    await store.set("old", { k: "old", c: "1", a: "1" }, 3600);
    await c.rows(`UPDATE ${table} SET expires_at = now() - interval '1 second' WHERE key = 'old'`);
    expect(await store.delete("old")).toBe(false);
    expect(await store.delete("live")).toBe(true);
    // The real clock: a 1-second TTL is gone after it.
    await store.set("short", { k: "short", c: "1", a: "1" }, 1);
    expect(await store.get("short")).not.toBeNull();
    await pause(1100);
    expect(await store.get("short")).toBeNull();
  });

  test("NUL characters, lone surrogates and the escape marker in field names and values round-trip", async () => {
    const { store, table } = await app();
    const record = { k: "key", c: "1", a: "1", "d:\u0000": '"\u0000"', "d:\ud800x": '"\udfff"', "d:\u0001%41": "\u0001%0000", "d:100%": '"50%"' };
    await store.set("key", record, 60);
    expect({ ...(await store.get("key")) }).toEqual(record);
    expect(await store.patch("key", { set: { "d:\u0000\u0000": "1" }, delete: ["d:\u0000", "d:\ud800x"], replace: false }, 60)).toBe(true);
    expect({ ...(await store.get("key")) }).toEqual({ k: "key", c: "1", a: "1", "d:\u0001%41": "\u0001%0000", "d:100%": '"50%"', "d:\u0000\u0000": "1" });
    // Ordinary fields are stored as they are: the rows stay readable.
    const [row] = await c.rows(`SELECT data->>'d:100%' AS v FROM ${table}`);
    expect(row!.v).toBe('"50%"');
  });

  test("hostile keys and values are parameters, never SQL", async () => {
    const { run, table } = await app();
    const hostile = ["'); DROP TABLE users; --", "$1", "\\x00", "'::jsonb || '{}", "\u0000\uffff😀"];
    const data = Object.fromEntries(hostile.map((h, n) => [h, `${h}${n}`]));
    const cookie = cookieOf(await run((_r, s) => (s.update(data), ok())));
    await run((_r, s) => (s.set(hostile[0]!, "patched"), ok()), cookie);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ ...data, [hostile[0]!]: "patched" });
    expect(await c.rows(`SELECT key FROM ${table}`)).toHaveLength(1);
  });

  test("what sits in a row is validated: garbage is a fresh session", async () => {
    const reasons: string[] = [];
    const { run, table } = await app({ onInvalid: (r) => reasons.push(r) });
    for (const data of ['{"k":"x","c":"1","a":"1","d:user":"\\"eve\\""}', "[1,2]", '"text"', "{}", '{"k":1,"d:user":{"a":1}}']) {
      const id = randomBytes(32).toString("base64url");
      await c.rows(`INSERT INTO ${table} (key, data, expires_at) VALUES ($1, $2::jsonb, now() + interval '1 hour')`, [
        await storeKeyOfCookie(`session=${id}`),
        data,
      ]);
      const res = await run((_r, s) => new Response(JSON.stringify(s.toJSON())), `session=${id}`);
      expect([res.status, await res.text()]).toEqual([200, "{}"]);
    }
    expect(reasons.length).toBe(5);
  });

  test("50 requests in parallel on one session, each setting a different key: all 50 survive, 30 rounds", async () => {
    expect(await parallelWriters((await app()).run, 30)).toBe(0);
  }, 60_000);

  test("destroy() racing a slow request never resurrects the session, 100 trials", async () => {
    const { run, sessions, table } = await app();
    const result = await destroyRaces(
      { run, sessions },
      100,
      async (cookie) => (await c.rows(`SELECT 1 FROM ${table} WHERE key = $1`, [await storeKeyOfCookie(cookie)])).length > 0,
    );
    expect(result.resurrected).toBe(0);
    expect(result.late).toBeGreaterThan(0);
  }, 60_000);
});

describe.each(flavours)("Postgres outage with $name", (flavour) => {
  let outage: PostgresServer;
  let c: TestClient;
  let table: string;
  beforeAll(async () => {
    outage = await startPostgres();
    c = flavour.connect(outage.url, true);
    table = newTable();
    await postgresStore({ client: c.client, table }).ensureSchema();
  }, 60_000);
  afterAll(async () => {
    await c?.close();
    await outage?.stop();
  });

  function app() {
    return appOver(postgresStore({ client: c.client, table }), { storeTimeout: 300 });
  }

  async function untilUp(run: ReturnType<typeof app>["run"], cookie: string): Promise<Response> {
    let res: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      res = await run((_r, s) => new Response(String(s.get("user"))), cookie);
      if (res.status === 200) return res;
      await pause(100);
    }
    return res!;
  }

  test("server killed by PID mid-run: store_unavailable within the timeout, nothing written, the session survives the restart", async () => {
    const outageApp = app();
    const { run } = outageApp;
    const cookie = await killMidRequest(outageApp, () => outage.kill(), 300 + 100);

    await outage.restart();
    // Postgres keeps its data: the same session is back, without the write that failed.
    const after = await untilUp(run, cookie);
    expect([after.status, await after.text(), after.headers.getSetCookie()]).toEqual([200, "ada", []]);
    let seen: unknown;
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expect(seen).toEqual({ user: "ada" });
    expect(await c.rows(`SELECT key FROM ${table}`)).toHaveLength(1);
  }, 60_000);

  test("server and backends paused (SIGSTOP): store_unavailable within the timeout + 50 ms, then the same session works", async () => {
    const pausedApp = app();
    const { run } = pausedApp;
    const cookie = await pauseMidRequest(pausedApp, outage, 300 + 50);
    const after = await untilUp(run, cookie);
    expect([after.status, await after.text()]).toEqual([200, "ada"]);
  }, 60_000);
});
