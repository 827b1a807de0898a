// websession/postgres: sessions in one Postgres table, the record as jsonb. Every operation is
// one statement, so a patch is atomic on the server (the row lock serialises concurrent
// patches, each applied to the latest row) and applies only to a live row: a concurrent
// destroy wins. Works with node-postgres (`pg` Pool or Client) and postgres.js (`sql`) through
// the one thing they share: a parameterised query. No dependency on either.

import { describe } from "../errors.ts";
import type { OwnerIndex, SessionStore, StorePatch, StoreRecord } from "./store.ts";

/** node-postgres (`new pg.Pool()` or a connected `new pg.Client()`): `query(text, values)`. */
export interface PgLike {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** postgres.js (`postgres(url)`): the `sql` function, driven through `sql.unsafe(text, values)`. */
export interface PostgresJsLike {
  unsafe(text: string, values?: unknown[]): PromiseLike<ArrayLike<Record<string, unknown>> & { count: number }>;
}

/** Any Postgres client websession can drive. */
export type PostgresClientLike = PgLike | PostgresJsLike;

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /** A `pg` Pool or Client, or a postgres.js `sql`. */
  client: PostgresClientLike;
  /**
   * The table, optionally schema-qualified (`"auth.sessions"`): letters, digits and `_`, not
   * starting with a digit, at most 50 characters each part. Default `"websession"`.
   */
  table?: string;
}

/** The store {@link postgresStore} returns. */
export interface PostgresStore extends SessionStore {
  delete(key: string): Promise<boolean>;
  patch(key: string, patch: StorePatch, ttl: number): Promise<boolean>;
  /** Creates the table and its expiry index if they do not exist (the same SQL as {@link postgresSchema}). */
  ensureSchema(): Promise<void>;
  /** Deletes expired rows; resolves how many. Schedule it (every few minutes) or run {@link postgresCleanup} from cron. */
  cleanup(): Promise<number>;
  /** The owner index (table `<table>_owners`), for the `owner` option and stateless `revocation`. */
  readonly owners: OwnerIndex;
}

/** The default table of {@link postgresStore}. */
export const POSTGRES_TABLE = "websession";

const PART = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;

// Checked once at start-up and always quoted: a table name can never carry SQL.
function tableName(table: unknown): { quoted: string; index: string; owners: string; ownersIndex: string } {
  if (typeof table !== "string") throw new TypeError(`option table must be a string, got ${describe(table)}`);
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((part) => PART.test(part))) {
    throw new RangeError(
      `option table must be a name like "websession" or "schema.websession" (letters, digits and _, not starting with a digit, at most 50 characters each), got ${describe(table)}`,
    );
  }
  const last = parts[parts.length - 1]!;
  const owned = [...parts.slice(0, -1), `${last}_owners`];
  return {
    quoted: parts.map((part) => `"${part}"`).join("."),
    index: `"${last}_expires_at"`,
    owners: owned.map((part) => `"${part}"`).join("."),
    ownersIndex: `"${last}_owners_expires"`,
  };
}

/**
 * The migration that creates the table `postgresStore` uses (what `ensureSchema()` runs).
 *
 * @example
 * ```ts
 * import { postgresSchema } from "websession/postgres";
 * console.log(postgresSchema("websession")); // paste into your migration tool
 * ```
 */
export function postgresSchema(table: string = POSTGRES_TABLE): string {
  const { quoted, index, owners, ownersIndex } = tableName(table);
  return `CREATE TABLE IF NOT EXISTS ${quoted} (
  key text PRIMARY KEY,
  data jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${index} ON ${quoted} (expires_at);
CREATE TABLE IF NOT EXISTS ${owners} (
  owner text NOT NULL,
  key text NOT NULL,
  generation bigint NOT NULL DEFAULT 0,
  expires bigint NOT NULL,
  PRIMARY KEY (owner, key)
);
CREATE INDEX IF NOT EXISTS ${ownersIndex} ON ${owners} (expires);`;
}

/** The statement that deletes expired sessions, for a scheduler such as pg_cron. */
export function postgresCleanup(table: string = POSTGRES_TABLE): string {
  return `DELETE FROM ${tableName(table).quoted} WHERE expires_at <= now()`;
}

/**
 * The statement that deletes expired owner-index entries (`<table>_owners`), for a scheduler;
 * an owner's generation row goes only once every entry it ever held has expired.
 */
export function postgresOwnerCleanup(table: string = POSTGRES_TABLE): string {
  return `DELETE FROM ${tableName(table).owners} WHERE expires < extract(epoch from now())::bigint`;
}

interface Result {
  rows: ArrayLike<Record<string, unknown>>;
  count: number;
}

type Query = (text: string, values: unknown[]) => Promise<Result>;

// Told apart by shape, never instanceof: the user's copy of a library may not be ours.
function querier(client: unknown): Query {
  const c = client as Partial<PgLike & PostgresJsLike> | null;
  if ((typeof c === "function" || typeof c === "object") && c !== null) {
    if (typeof c.unsafe === "function") {
      return async (text, values) => {
        const rows = await c.unsafe!(text, values);
        return { rows, count: rows.count };
      };
    }
    if (typeof c.query === "function") {
      return async (text, values) => {
        const result = await c.query!(text, values);
        return { rows: result.rows, count: result.rowCount ?? 0 };
      };
    }
  }
  throw new TypeError(`option client must be a Postgres client (a pg Pool or Client, or a postgres.js sql), got ${describe(client)}`);
}

// Postgres text cannot hold U+0000 and jsonb refuses lone surrogates, while session keys
// may contain both. Such a string (or one that starts with the marker) is stored as the
// marker followed by the text with those characters and % escaped; every other string is
// stored as it is, so rows stay readable.
const MARKER = "\u0001";
const NEEDS_ESCAPE = /[\u0000\ud800-\udfff]/;

function encode(text: string): string {
  if (!text.startsWith(MARKER) && !NEEDS_ESCAPE.test(text)) return text;
  return MARKER + text.replace(/[\u0000\u0001%\ud800-\udfff]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function decode(text: string): string {
  if (!text.startsWith(MARKER)) return text;
  return text.slice(1).replace(/%([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function encodeRecord(record: Readonly<StoreRecord>): string {
  const out: Record<string, string> = {};
  for (const field of Object.keys(record)) Object.defineProperty(out, encode(field), { value: encode(record[field]!), enumerable: true });
  return JSON.stringify(out);
}

// A null-prototype record: a field named __proto__ in a foreign row stays a field.
function decodeRecord(text: unknown): StoreRecord | null {
  if (typeof text !== "string") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const record: StoreRecord = Object.create(null);
  let count = 0;
  for (const [field, value] of Object.entries(parsed)) {
    record[decode(field)] = typeof value === "string" ? decode(value) : JSON.stringify(value);
    count++;
  }
  return count === 0 ? null : record;
}

function ttlSeconds(ttl: number): string {
  return String(Math.max(1, Math.ceil(ttl)));
}

/**
 * A session store in Postgres: one row per session in one table (`key text primary key,
 * data jsonb, expires_at timestamptz`). Reads ignore expired rows; `cleanup()` (or the
 * statement {@link postgresCleanup} returns) deletes them. A patch is one `UPDATE` that
 * removes and sets fields inside the jsonb and applies only to a live row, so concurrent
 * requests that change different keys both survive and a destroyed session stays
 * destroyed. Values always travel as query parameters; the table name is checked here.
 *
 * Create the table with your migrations ({@link postgresSchema}) or `await store.ensureSchema()`.
 * With `pg`, listen for the Pool's `error` event, or an idle connection lost in an outage
 * crashes the process.
 *
 * @example
 * ```ts
 * import pg from "pg";                               // or: import postgres from "postgres"; const client = postgres(url)
 * import { createSessions } from "websession";
 * import { postgresStore } from "websession/postgres";
 *
 * const client = new pg.Pool({ connectionString: process.env.DATABASE_URL }).on("error", console.error);
 * const store = postgresStore({ client });
 * await store.ensureSchema();
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, store });
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (typeof options !== "object" || options === null) throw new TypeError(`postgresStore needs an options object with { client }, got ${describe(options)}`);
  const table = options.table ?? POSTGRES_TABLE;
  const { quoted, owners } = tableName(table);
  const query = querier(options.client);

  // Every parameter is cast from text: postgres.js serialises by the parameter's type, and
  // would send a JSON string for a jsonb parameter or "f" for any string as a boolean.
  const GET = `SELECT data::text AS data FROM ${quoted} WHERE key = $1 AND expires_at > now()`;
  const SET = `INSERT INTO ${quoted} (key, data, expires_at) VALUES ($1, $2::text::jsonb, now() + $3::text::int * interval '1 second')
ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`;
  // Applied to the row as it is when the row lock is granted: a concurrent patch's fields stay.
  const PATCH = `UPDATE ${quoted} SET data = (CASE WHEN $2::text = '1' THEN '{}'::jsonb ELSE data - $3::text[] END) || $4::text::jsonb,
expires_at = now() + $5::text::int * interval '1 second' WHERE key = $1 AND expires_at > now()`;
  const DELETE = `DELETE FROM ${quoted} WHERE key = $1 RETURNING expires_at > now() AS live`;
  const CLEANUP = postgresCleanup(table);
  const OWNER_CLEANUP = postgresOwnerCleanup(table);
  // One statement (a DO block), so the advisory lock keeps two processes starting at once from
  // racing on CREATE TABLE IF NOT EXISTS.
  const SCHEMA = `DO $websession$ BEGIN
PERFORM pg_advisory_xact_lock(hashtext('websession schema'));
${postgresSchema(table)}
END $websession$`;

  return {
    async get(key: string): Promise<StoreRecord | null> {
      const { rows } = await query(GET, [key]);
      return rows.length === 0 ? null : decodeRecord(rows[0]!.data);
    },

    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      await query(SET, [key, encodeRecord(record), ttlSeconds(ttl)]);
    },

    async patch(key: string, patch: StorePatch, ttl: number): Promise<boolean> {
      const { count } = await query(PATCH, [key, patch.replace ? "1" : "0", patch.delete.map(encode), encodeRecord(patch.set), ttlSeconds(ttl)]);
      return count === 1;
    },

    async delete(key: string): Promise<boolean> {
      const { rows } = await query(DELETE, [key]);
      return rows.length === 1 && rows[0]!.live === true;
    },

    async ensureSchema(): Promise<void> {
      await query(SCHEMA, []);
    },

    async cleanup(): Promise<number> {
      const removed = (await query(CLEANUP, [])).count;
      await query(OWNER_CLEANUP, []);
      return removed;
    },

    owners: postgresOwnerIndex(owners, query),
  };
}

// The owner index: one row per (owner, key) with its expiry in seconds, and per owner one row
// under the key '' holding the generation, dated as late as any entry it ever held (so the
// generation outlives every record written under it). Each method is one statement, except
// revoke (see there).
function postgresOwnerIndex(owners: string, query: Query): OwnerIndex {
  const NOW = "extract(epoch from now())::bigint";
  const GENERATION = `SELECT generation::text AS g FROM ${owners} WHERE owner = $1 AND key = ''`;
  // The generation row's upsert locks it until the entry is in: a revoke waits for both.
  const ADD = `WITH g AS (
  INSERT INTO ${owners} (owner, key, generation, expires) VALUES ($1, '', 0, $3::text::bigint)
  ON CONFLICT (owner, key) DO UPDATE SET expires = GREATEST(${owners}.expires, EXCLUDED.expires) RETURNING generation
), e AS (
  INSERT INTO ${owners} (owner, key, generation, expires) VALUES ($1, $2, 0, $3::text::bigint)
  ON CONFLICT (owner, key) DO UPDATE SET expires = EXCLUDED.expires
)
SELECT generation::text AS g FROM g`;
  const REMOVE = `DELETE FROM ${owners} WHERE owner = $1 AND key = $2 AND key <> ''`;
  const LIST = `SELECT key FROM ${owners} WHERE owner = $1 AND key <> '' AND expires >= ${NOW}`;
  const BUMP = `INSERT INTO ${owners} (owner, key, generation, expires) VALUES ($1, '', 1, ${NOW})
ON CONFLICT (owner, key) DO UPDATE SET generation = ${owners}.generation + 1 RETURNING generation::text AS g`;
  const TAKE = `DELETE FROM ${owners} WHERE owner = $1 AND key <> '' AND key <> $2 RETURNING key`;

  return {
    async generation(owner) {
      const { rows } = await query(GENERATION, [encode(owner)]);
      return rows.length === 0 ? 0 : Number(rows[0]!.g);
    },
    async add(owner, key, expires) {
      const { rows } = await query(ADD, [encode(owner), key, String(expires)]);
      return Number(rows[0]!.g);
    },
    async remove(owner, key) {
      await query(REMOVE, [encode(owner), key]);
    },
    async list(owner) {
      const { rows } = await query(LIST, [encode(owner)]);
      return Array.from(rows, (row) => String(row.key));
    },
    // Two statements, in this order: the bump waits for any add holding the generation row and
    // commits; the removal then starts with a snapshot that sees every entry added before the
    // bump. An add after the bump answers the new generation, so its record deletes itself.
    async revoke(owner, except) {
      const { rows } = await query(BUMP, [encode(owner)]);
      const generation = Number(rows[0]!.g);
      const taken = await query(TAKE, [encode(owner), except ?? ""]);
      return { keys: Array.from(taken.rows, (row) => String(row.key)), generation };
    },
  };
}
