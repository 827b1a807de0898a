// The contract between websession and a server-side store. Types only: the core hashes the
// id, validates what comes back, enforces expiry and decides what to write (modes/store.ts, the
// engine). A driver implements only this contract, with the encoding helpers if it needs them.

/**
 * One stored session: field name to text. websession writes these fields, and a store keeps
 * them as opaque strings (it never needs to parse them):
 *
 * - `k`: the hashed key again (a self-check against a store answering for another key),
 * - `c`: creation time and `a`: last write, whole seconds since the epoch,
 * - `p`: `"1"` when the session is permanent (absent otherwise),
 * - `f`: pending flashed messages as JSON (absent when there are none),
 * - `d:<key>`: the JSON of each top-level session value.
 *
 * Field names never equal `__proto__`, so a plain object, a JSON text, a Redis hash or a SQL
 * row per field all hold a record safely.
 */
export type StoreRecord = Record<string, string>;

/** Changes to one existing record, applied by {@link SessionStore.patch}. */
export interface StorePatch {
  /** Fields to write (add or overwrite). */
  readonly set: Readonly<StoreRecord>;
  /** Fields to remove (applied before `set`). */
  readonly delete: readonly string[];
  /** Remove every field first (the session was cleared); `set` then holds the whole record. */
  readonly replace: boolean;
}

/**
 * A server-side session store. Keys are `base64url(SHA-256(session id))` (43 characters);
 * the store adds its own prefix. TTLs are whole seconds, at least 1. Methods may reject or
 * hang: websession wraps every call in a timeout and turns failures into
 * `SessionError("store_unavailable")`. What `get` returns is validated; anything unexpected
 * is a fresh session, never a crash.
 *
 * `get`, `set` and `delete` are enough for a working store. Without `patch`, websession
 * applies changes by reading the record, merging the changed fields and `set`ting it back
 * (two concurrent requests can then lose one's change in between); a store that can apply a
 * patch atomically should implement it.
 *
 * @example A store on Deno KV, with an atomic patch (compare-and-swap on the versionstamp):
 * ```ts
 * import type { SessionStore, StoreRecord } from "websession";
 *
 * const kv = await Deno.openKv();
 * export const denoKvStore: SessionStore = {
 *   async get(key) {
 *     return (await kv.get<StoreRecord>(["session", key])).value;
 *   },
 *   async set(key, record, ttl) {
 *     await kv.set(["session", key], record, { expireIn: ttl * 1000 });
 *   },
 *   async delete(key) {
 *     await kv.delete(["session", key]);
 *   },
 *   async patch(key, patch, ttl) {
 *     for (;;) {
 *       const entry = await kv.get<StoreRecord>(["session", key]);
 *       if (entry.value === null) return false; // gone (destroyed or expired): never recreate
 *       const next: StoreRecord = patch.replace ? {} : { ...entry.value };
 *       for (const field of patch.delete) delete next[field];
 *       for (const [field, text] of Object.entries(patch.set)) next[field] = text;
 *       const done = await kv.atomic().check(entry).set(["session", key], next, { expireIn: ttl * 1000 }).commit();
 *       if (done.ok) return true; // otherwise another request wrote first: retry on its result
 *     }
 *   },
 * };
 * ```
 */
export interface SessionStore {
  /** The record under `key`, or `null` when there is none (or it has expired). */
  get(key: string): Promise<StoreRecord | null>;
  /** Creates or replaces the record under `key`, expiring `ttl` seconds from now. */
  set(key: string, record: StoreRecord, ttl: number): Promise<void>;
  /**
   * Deletes the record under `key`. Resolve `true`/`false` for whether one existed when the
   * store can tell (then `regenerate()` cannot revive a session destroyed concurrently),
   * or nothing when it cannot.
   */
  delete(key: string): Promise<boolean | void>;
  /**
   * Applies `patch` to the record under `key` and sets its TTL, atomically, only if the
   * record exists; resolves whether it did. Never creates a record: that is what makes a
   * concurrent `destroy()` win over a slow request's write. Optional (see above).
   */
  patch?(key: string, patch: StorePatch, ttl: number): Promise<boolean>;
  /**
   * Seconds that must pass between two refresh-only writes of one session (a permanent
   * session read again with nothing changed). For stores with write-rate limits, such as
   * Workers KV (one write per second per key). Default 0: `refresh` alone decides.
   */
  readonly touchInterval?: number;
  /**
   * An index of sessions by owner, for the `owner` option (`sessions.list`, `revoke`,
   * `revokeAll`). Optional: without it, `createSessions({ owner })` throws at start-up.
   */
  readonly owners?: OwnerIndex;
}

/**
 * An owner index (optional part of {@link SessionStore}, as `store.owners`): owner → the
 * store keys of that owner's sessions, plus a per-owner generation that `revoke` bumps.
 * websession writes each owned record first and then `add`s its key, comparing the
 * generation `add` returns with the one the record was written under: a record written
 * while a `revoke` ran deletes itself, so a revoked session never writes itself back.
 *
 * Entries carry an expiry (whole seconds since the epoch) that websession keeps ahead of the
 * session's own; a store drops entries past it (no unbounded growth) and keeps the owner's
 * generation at least until its last entry's expiry. Each method must be atomic for one
 * owner (Redis: one script over keys sharing a hash tag; SQL: one transaction).
 */
export interface OwnerIndex {
  /** The owner's current generation: 0 until the first `revoke`. */
  generation(owner: string): Promise<number>;
  /** Adds (or re-dates) `key` under `owner` until `expires`; resolves the owner's current generation. */
  add(owner: string, key: string, expires: number): Promise<number>;
  /** Removes `key` from `owner`'s index (nothing when absent). */
  remove(owner: string, key: string): Promise<void>;
  /** The keys indexed under `owner` whose entries have not expired. */
  list(owner: string): Promise<string[]>;
  /**
   * Bumps `owner`'s generation and removes every key but `except` from the index, in one
   * step; resolves the removed keys (websession then deletes their records) and the new generation.
   */
  revoke(owner: string, except?: string): Promise<{ keys: string[]; generation: number }>;
}
