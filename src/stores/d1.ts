// websession/d1: sessions in Cloudflare D1 (SQLite). One row per session: the record as a JSON
// object in `data` and the deadline in `expires_at`; a patch is one UPDATE with json_patch, so
// it is atomic and never creates a row. The same table idea as websession/postgres (jsonb).

import { describe } from "../errors.ts";
import type { OwnerIndex, SessionStore, StorePatch, StoreRecord } from "./store.ts";

/** The part of a D1 prepared statement this store uses. */
export interface D1PreparedStatementLike {
  bind(...values: unknown[]): D1PreparedStatementLike;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  run(): Promise<{ meta: { changes?: number } }>;
}

/**
 * The part of a D1 binding this store uses: a `D1Database` (every query on the primary), or a
 * D1 Sessions API session, `db.withSession(bookmark)` (reads may be served by replicas).
 */
export interface D1DatabaseLike {
  prepare(query: string): D1PreparedStatementLike;
  /**
   * Runs statements as one transaction (D1's `batch`). Used by the owner index; a binding
   * without it gets no `owners` (then the `owner` option refuses the store at start-up).
   */
  batch?(statements: D1PreparedStatementLike[]): Promise<Array<{ results?: unknown[] }>>;
}

/** Options of {@link d1Store}. */
export interface D1StoreOptions {
  /** The table's name. Default `"websession_sessions"`. */
  table?: string;
  /** Prepended to every key, so several apps can share one table. Default `""`. */
  prefix?: string;
}

/** A {@link SessionStore} on D1, with its table's maintenance statements. */
export interface D1Store extends SessionStore {
  /** Creates the table and its expiry index if they do not exist (the migration in {@link d1Schema}). */
  ensureSchema(): Promise<void>;
  /**
   * Deletes every expired row; resolves how many sessions. Also deletes the expired rows of the
   * owner index. Schedule it (a Cron Trigger) to keep the tables small.
   */
  cleanup(): Promise<number>;
  /** The owner index (table `<table>_owners`), for the `owner` option; present when the binding has `batch`. */
  readonly owners?: OwnerIndex;
}

const DEFAULT_TABLE = "websession_sessions";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The SQL migration that creates the table (for `wrangler d1 migrations`), for `table`:
 * `key` (prefix + hashed id), `data` (the record as a JSON object of strings) and `expires_at`
 * (milliseconds since the epoch), with an index for {@link D1Store.cleanup}; and the owner
 * index `<table>_owners`: one row per (owner, session key) with its expiry in seconds, plus one
 * row per owner under the key `''` holding its generation.
 */
export function d1Schema(table: string = DEFAULT_TABLE): string[] {
  checkTable(table);
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${table}_owners (owner TEXT NOT NULL, key TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL, PRIMARY KEY (owner, key))`,
    `CREATE INDEX IF NOT EXISTS ${table}_owners_expires ON ${table}_owners (expires)`,
  ];
}

/**
 * A session store on a D1 database. Reads ignore expired rows (the deadline is compared in the
 * query), `set` is an upsert, `delete` tells whether a live row existed, and `patch` is one
 * `UPDATE ... SET data = json_patch(data, ?)` guarded by the row's existence and deadline, so
 * concurrent requests changing different keys all survive and a destroyed session is never revived.
 *
 * Consistency: on the plain binding every query goes to the primary database, so a logout is
 * seen at once everywhere. With read replication, pass a Sessions API session instead
 * (`d1Store(env.DB.withSession(bookmark))`): queries then carry its bookmark, which keeps
 * read-your-writes within that session (see docs/stores.md).
 *
 * The owner index (`store.owners`, for the `owner` option) is the table `<table>_owners`; each
 * of its operations is one statement or one `batch` (a transaction), so `revokeAll` is atomic.
 *
 * @example
 * ```ts
 * import { createSessions, type Sessions } from "websession";
 * import { d1Store, type D1DatabaseLike } from "websession/d1";
 *
 * let sessions: Sessions | undefined;
 * export default {
 *   async fetch(request: Request, env: { DB: D1DatabaseLike; SESSION_SECRET: string }) {
 *     sessions ??= createSessions({ secret: env.SESSION_SECRET, store: d1Store(env.DB) });
 *     return sessions.handle((_req, session) => new Response(`hello ${session.get("user") ?? "guest"}`))(request);
 *   },
 * };
 * ```
 */
export function d1Store(db: D1DatabaseLike, options: D1StoreOptions = {}): D1Store {
  if (typeof db !== "object" || db === null || typeof db.prepare !== "function") {
    throw new TypeError(`d1Store needs a D1 database binding (or a db.withSession() session), got ${describe(db)}; check the binding name in wrangler.toml`);
  }
  if (typeof options !== "object" || options === null) throw new TypeError(`d1Store options must be an object, got ${describe(options)}`);
  const table = options.table ?? DEFAULT_TABLE;
  checkTable(table);
  const prefix = options.prefix === undefined ? "" : options.prefix;
  if (typeof prefix !== "string" || prefix.length > 200)
    throw new TypeError(`option prefix is invalid: ${describe(prefix)}; use a string of at most 200 characters`);

  const sql = {
    get: `SELECT data FROM ${table} WHERE key = ?1 AND expires_at > ?2`,
    set: `INSERT INTO ${table} (key, data, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
    delete: `DELETE FROM ${table} WHERE key = ?1 RETURNING expires_at`,
    merge: `UPDATE ${table} SET data = json_patch(data, ?2), expires_at = ?3 WHERE key = ?1 AND expires_at > ?4`,
    replace: `UPDATE ${table} SET data = ?2, expires_at = ?3 WHERE key = ?1 AND expires_at > ?4`,
    cleanup: `DELETE FROM ${table} WHERE expires_at <= ?1`,
    ownerCleanup: `DELETE FROM ${table}_owners WHERE expires < ?1`,
  };

  return {
    async get(key: string): Promise<StoreRecord | null> {
      const row = await db
        .prepare(sql.get)
        .bind(prefix + key, Date.now())
        .first<{ data: string }>();
      if (row === null) return null;
      try {
        return JSON.parse(row.data) as StoreRecord;
      } catch {
        // Not one of ours: websession sees an invalid record and starts a fresh session.
        return {};
      }
    },

    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      await db
        .prepare(sql.set)
        .bind(prefix + key, JSON.stringify(record), Date.now() + ttl * 1000)
        .run();
    },

    async delete(key: string): Promise<boolean> {
      const row = await db
        .prepare(sql.delete)
        .bind(prefix + key)
        .first<{ expires_at: number }>();
      return row !== null && row.expires_at > Date.now();
    },

    async patch(key: string, patch: StorePatch, ttl: number): Promise<boolean> {
      const now = Date.now();
      const statement = patch.replace
        ? db.prepare(sql.replace).bind(prefix + key, JSON.stringify(patch.set), now + ttl * 1000, now)
        : db.prepare(sql.merge).bind(prefix + key, mergePatch(patch), now + ttl * 1000, now);
      return ((await statement.run()).meta.changes ?? 0) > 0;
    },

    async ensureSchema(): Promise<void> {
      for (const statement of d1Schema(table)) await db.prepare(statement).run();
    },

    async cleanup(): Promise<number> {
      const removed = (await db.prepare(sql.cleanup).bind(Date.now()).run()).meta.changes ?? 0;
      await db
        .prepare(sql.ownerCleanup)
        .bind(Math.floor(Date.now() / 1000))
        .run();
      return removed;
    },

    ...(typeof db.batch === "function" ? { owners: d1OwnerIndex(db, `${table}_owners`, prefix) } : {}),
  };
}

// The owner index: one row per (owner, key) with its expiry in seconds, and per owner one row
// under the key '' holding the generation, dated as late as any entry it ever held (so the
// generation outlives every record written under it; cleanup() deletes it after that). D1 runs
// one query or batch at a time per database, and a batch is a transaction: add and revoke,
// the two that touch the generation and the entries, are each one batch.
function d1OwnerIndex(db: D1DatabaseLike, owners: string, prefix: string): OwnerIndex {
  const sql = {
    generation: `SELECT generation FROM ${owners} WHERE owner = ?1 AND key = ''`,
    dateGeneration: `INSERT INTO ${owners} (owner, key, generation, expires) VALUES (?1, '', 0, ?2)
ON CONFLICT (owner, key) DO UPDATE SET expires = max(expires, excluded.expires) RETURNING generation`,
    add: `INSERT INTO ${owners} (owner, key, generation, expires) VALUES (?1, ?2, 0, ?3) ON CONFLICT (owner, key) DO UPDATE SET expires = excluded.expires`,
    remove: `DELETE FROM ${owners} WHERE owner = ?1 AND key = ?2 AND key <> ''`,
    list: `SELECT key FROM ${owners} WHERE owner = ?1 AND key <> '' AND expires >= ?2`,
    bump: `INSERT INTO ${owners} (owner, key, generation, expires) VALUES (?1, '', 1, ?2)
ON CONFLICT (owner, key) DO UPDATE SET generation = generation + 1 RETURNING generation`,
    take: `DELETE FROM ${owners} WHERE owner = ?1 AND key <> '' AND key <> ?2 RETURNING key`,
  };
  const nowS = (): number => Math.floor(Date.now() / 1000);
  const batch = (statements: D1PreparedStatementLike[]): Promise<Array<{ results?: unknown[] }>> => db.batch!(statements);

  return {
    async generation(owner) {
      const row = await db
        .prepare(sql.generation)
        .bind(prefix + owner)
        .first<{ generation: number }>();
      return row?.generation ?? 0;
    },
    async add(owner, key, expires) {
      const [dated] = await batch([db.prepare(sql.dateGeneration).bind(prefix + owner, expires), db.prepare(sql.add).bind(prefix + owner, key, expires)]);
      return (dated!.results![0] as { generation: number }).generation;
    },
    async remove(owner, key) {
      await db
        .prepare(sql.remove)
        .bind(prefix + owner, key)
        .run();
    },
    async list(owner) {
      const statement = db.prepare(sql.list).bind(prefix + owner, nowS());
      const [listed] = await batch([statement]);
      return (listed!.results as Array<{ key: string }>).map((row) => row.key);
    },
    async revoke(owner, except) {
      const [bumped, taken] = await batch([db.prepare(sql.bump).bind(prefix + owner, nowS()), db.prepare(sql.take).bind(prefix + owner, except ?? "")]);
      const keys = (taken!.results as Array<{ key: string }>).map((row) => row.key);
      return { keys, generation: (bumped!.results![0] as { generation: number }).generation };
    },
  };
}

/** The patch as an RFC 7396 merge patch: `null` removes a field (values are strings, never null). */
function mergePatch(patch: StorePatch): string {
  const merge: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
  for (const field of patch.delete) merge[field] = null;
  for (const [field, text] of Object.entries(patch.set)) merge[field] = text;
  return JSON.stringify(merge);
}

function checkTable(table: unknown): void {
  if (typeof table !== "string" || !IDENTIFIER.test(table)) {
    throw new TypeError(`option table is invalid: ${describe(table)}; use letters, digits and underscores (at most 63, not starting with a digit)`);
  }
}
