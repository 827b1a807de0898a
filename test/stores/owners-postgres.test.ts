// The owner index on a real Postgres server (initdb + postgres started on a free port, stopped
// by PID), with node-postgres and postgres.js: the shared owner scenarios, cleanup after
// 10,000 expired sessions, owner names Postgres text cannot hold, and stateless revocation
// with postgresStore().owners as the generation store.

import pg from "pg";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSessions } from "../../src/index.ts";
import { postgresOwnerCleanup, postgresSchema, postgresStore } from "../../src/stores/postgres.ts";
import type { PostgresClientLike, PostgresStore } from "../../src/stores/postgres.ts";
import { TEST_SECRET, clock, cookieOf, requestWith } from "../helpers.ts";
import { registerOwnerScenarios } from "./owners-scenarios.ts";
import { startPostgres } from "./postgres-server.ts";
import type { PostgresServer } from "./postgres-server.ts";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const newTable = (): string => `wso_${Math.random().toString(36).slice(2, 10)}`;

test("the schema creates the owners table beside the sessions table; its cleanup statement", () => {
  expect(postgresSchema("auth.sessions")).toContain('CREATE TABLE IF NOT EXISTS "auth"."sessions_owners"');
  expect(postgresOwnerCleanup()).toBe('DELETE FROM "websession_owners" WHERE expires < extract(epoch from now())::bigint');
});

const flavours: {
  name: string;
  connect(url: string): { client: PostgresClientLike; rows(text: string): Promise<Record<string, unknown>[]>; close(): Promise<void> };
}[] = [
  {
    name: "pg Pool",
    connect(url) {
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      pool.on("error", () => {});
      return { client: pool, rows: async (text) => (await pool.query(text)).rows, close: () => pool.end() };
    },
  },
  {
    name: "postgres.js",
    connect(url) {
      const sql = postgres(url, { max: 10, onnotice: () => {} });
      return { client: sql, rows: async (text) => [...(await sql.unsafe(text))], close: () => sql.end({ timeout: 1 }) };
    },
  },
];

describe.each(flavours)("with $name", (flavour) => {
  let c: ReturnType<(typeof flavours)[number]["connect"]>;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    c = flavour.connect(server.url);
    // One table for the scenarios (each uses fresh owners), created before they run.
    const store = postgresStore({ client: c.client, table: newTable() });
    await store.ensureSchema();
    stores.push(store);
  });
  afterAll(async () => {
    await c?.close();
  });

  describe("owner scenarios", () => {
    registerOwnerScenarios(test, () => stores[0]!);
  });

  test("owner names with U+0000 and lone surrogates are indexed and revoked", async () => {
    const store = stores[0]!;
    const owner = `a\u0000b\ud800-${Math.random()}`;
    expect(await store.owners.add(owner, "k1", Math.floor(Date.now() / 1000) + 60)).toBe(0);
    expect(await store.owners.list(owner)).toEqual(["k1"]);
    expect(await store.owners.revoke(owner)).toEqual({ keys: ["k1"], generation: 1 });
    expect(await store.owners.generation(owner)).toBe(1);
  });

  test("stateless revocation with postgresStore().owners as the generation store", async () => {
    const time = clock(Date.now());
    const sessions = createSessions<{ user?: string }>({
      secret: TEST_SECRET,
      now: time.now,
      owner: (d) => d.user,
      revocation: { store: stores[0]!.owners, checkEvery: 10 },
    });
    const s = await sessions.load(requestWith());
    s.set("user", `dana-${Math.random()}`);
    const owner = s.get("user")!;
    const cookie = cookieOf(await sessions.commit(s, new Response()));
    await sessions.revokeAll(owner);
    time.advance(9);
    expect((await sessions.load(requestWith(cookie))).get("user")).toBe(owner);
    time.advance(1);
    expect((await sessions.load(requestWith(cookie))).get("user")).toBeUndefined();
  });
});

test("10,000 expired sessions leave no owner-index rows after cleanup()", async () => {
  const c = flavours[0]!.connect(server.url);
  try {
    const table = newTable();
    const store = postgresStore({ client: c.client, table });
    await store.ensureSchema();
    const sessions = createSessions<{ user?: string }>({ secret: TEST_SECRET, store, owner: (d) => d.user, lifetime: 1 });
    const started = Date.now();
    for (let from = 0; from < 10_000; from += 500) {
      await Promise.all(
        Array.from({ length: 500 }, async (_, n) => {
          const s = await sessions.load(requestWith());
          s.set("user", (from + n) % 2 === 0 ? "bob" : `user-${from + n}`);
          await sessions.commit(s, new Response());
        }),
      );
    }
    const count = async (): Promise<number> => Number((await c.rows(`SELECT count(*)::int AS n FROM "${table}_owners"`))[0]!.n);
    // 5,001 owners: one generation row each, plus 10,000 entries.
    expect(await count()).toBe(15_001);
    const elapsed = Date.now() - started;
    // Entries are dated 2 lifetimes (2 s) ahead of their login: past the last one, cleanup() leaves nothing.
    await new Promise((resolve) => setTimeout(resolve, 3100));
    expect(await store.cleanup()).toBe(10_000);
    const left = await count();
    console.log(`postgres owner index rows after 10,000 expired sessions and cleanup(): ${left} (logins took ${elapsed} ms)`);
    expect(left).toBe(0);
  } finally {
    await c.close();
  }
}, 120_000);
