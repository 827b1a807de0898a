// websession/kv: sessions in Cloudflare Workers KV. KV is eventually consistent and has no
// atomic update, so this store is for sessions where a lag of a minute is acceptable; see
// the caveats on kvStore below and in docs/stores.md.

import { utf8Encoder } from "../encoding.ts";
import { describe } from "../errors.ts";
import type { SessionStore, StoreRecord } from "./store.ts";

/** The part of a Workers `KVNamespace` binding this store uses. */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Options of {@link kvStore}. */
export interface KvStoreOptions {
  /** Prepended to every key. Default `"websession:"`. */
  prefix?: string;
}

/** KV refuses an `expirationTtl` below 60 seconds. */
export const KV_MIN_TTL = 60;
/** KV keys are at most 512 bytes. */
const KV_MAX_KEY = 512;
const KEY_LENGTH = 43;

/**
 * A session store on a Workers KV namespace: one JSON value per session, expiring with the
 * session (`expirationTtl`, clamped up to KV's minimum of 60 s; websession still enforces
 * the exact idle and absolute limits from the timestamps stored with the data).
 *
 * Know what KV gives before choosing it:
 * - Eventually consistent: a write or delete is visible at once only where it was made;
 *   other locations may serve the old value for 60 s or more. A logout (`destroy()`) or a
 *   `regenerate()` can take that long to reach every location: the old id may keep working there.
 * - No atomic update: a change is applied by reading the record, merging the changed keys and
 *   writing it back. Two concurrent requests on one session can lose one's changes (last
 *   write wins), and a slow request may write back a session destroyed in the meantime.
 * - One write per second per key: refresh-only writes are spaced at least 60 s apart
 *   (`touchInterval`); use `refresh: false` or a number of seconds for permanent sessions.
 *
 * For logins that must end everywhere at once, or concurrent writers, use Redis or a Durable
 * Object (strongly consistent, one writer per session) behind the {@link SessionStore} contract.
 *
 * @example
 * ```ts
 * import { createSessions, type Sessions } from "websession";
 * import { kvStore } from "websession/kv";
 *
 * let sessions: Sessions | undefined; // one per isolate: keys are derived once
 * export default {
 *   fetch(request: Request, env: { SESSIONS: KVNamespace; SESSION_SECRET: string }) {
 *     sessions ??= createSessions({ secret: env.SESSION_SECRET, store: kvStore(env.SESSIONS), refresh: 3600 });
 *     return sessions.handle((_req, session) => new Response(`hello ${session.get("user") ?? "guest"}`))(request);
 *   },
 * };
 * ```
 */
export function kvStore(namespace: KVNamespaceLike, options: KvStoreOptions = {}): SessionStore {
  if (
    typeof namespace !== "object" ||
    namespace === null ||
    typeof namespace.get !== "function" ||
    typeof namespace.put !== "function" ||
    typeof namespace.delete !== "function"
  ) {
    throw new TypeError(`kvStore needs a KV namespace binding (with get, put and delete), got ${describe(namespace)}; check the binding name in wrangler.toml`);
  }
  if (typeof options !== "object" || options === null) throw new TypeError(`kvStore options must be an object, got ${describe(options)}`);
  const prefix = options.prefix ?? "websession:";
  if (typeof prefix !== "string" || utf8Encoder.encode(prefix).length + KEY_LENGTH > KV_MAX_KEY) {
    throw new TypeError(
      `option prefix is invalid: ${describe(prefix)}; use a string of at most ${KV_MAX_KEY - KEY_LENGTH} characters (KV keys are at most ${KV_MAX_KEY} bytes)`,
    );
  }

  return {
    touchInterval: KV_MIN_TTL,

    async get(key: string): Promise<StoreRecord | null> {
      const text = await namespace.get(prefix + key);
      if (text === null) return null;
      try {
        return JSON.parse(text) as StoreRecord;
      } catch {
        // Not one of ours: websession sees an invalid record and starts a fresh session.
        return {};
      }
    },

    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      await namespace.put(prefix + key, JSON.stringify(record), { expirationTtl: Math.max(KV_MIN_TTL, Math.ceil(ttl)) });
    },

    async delete(key: string): Promise<void> {
      await namespace.delete(prefix + key);
    },
  };
}
