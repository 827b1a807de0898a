// The embedded store: a bounded Map in this process, with expiry and LRU eviction.

import { describe } from "../errors.ts";
import type { OwnerIndex, SessionStore, StorePatch, StoreRecord } from "./store.ts";

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** The most sessions held at once; the least recently used go first. Default 10000. */
  maxEntries?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** The store {@link memoryStore} returns: a {@link SessionStore} with an atomic `patch`. */
export interface MemoryStore extends SessionStore {
  delete(key: string): Promise<boolean>;
  patch(key: string, patch: StorePatch, ttl: number): Promise<boolean>;
  /** Entries held now (expired ones included until they are swept). */
  readonly size: number;
  readonly owners: OwnerIndex;
  /** Owner-index entries held now, over all owners (expired ones included until they are swept). */
  readonly ownerIndexSize: number;
}

// One owner's index: its generation, its keys with their expiry (seconds), and the latest
// expiry it ever held (the generation must outlive every record written under it).
interface OwnerEntry {
  generation: number;
  keys: Map<string, number>;
  until: number;
}

interface Entry {
  record: StoreRecord;
  /** Milliseconds since the epoch. */
  expires: number;
}

/**
 * A session store in this process's memory: a `Map` bounded by `maxEntries`, where entries
 * expire with their TTL and, when full, expired entries are swept and then the least recently
 * used is evicted. Reads of unknown keys add nothing. Patches are atomic (one thread).
 *
 * Sessions live as long as the process and are not shared between processes or isolates:
 * for one server, development and tests. Use `redisStore` when several servers share sessions.
 *
 * @example
 * ```ts
 * import { createSessions, memoryStore } from "websession";
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, store: memoryStore({ maxEntries: 50_000 }) });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  if (typeof options !== "object" || options === null) throw new TypeError(`memoryStore options must be an object, got ${describe(options)}`);
  const maxEntries = options.maxEntries ?? 10_000;
  if (typeof maxEntries !== "number" || !Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`option maxEntries is invalid: ${describe(maxEntries)}; use a whole number of sessions, 1 or more`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new TypeError(`option now must be a function returning milliseconds, got ${describe(now)}`);
  // Insertion order is recency order: a used entry is moved to the end.
  const entries = new Map<string, Entry>();
  // No entry expires before this, so a sweep before then would find nothing.
  let nextExpiry = Infinity;

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires < now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function use(key: string, entry: Entry): void {
    entries.delete(key);
    entries.set(key, entry);
  }

  function makeRoom(): void {
    if (entries.size < maxEntries) return;
    const t = now();
    if (t > nextExpiry) {
      nextExpiry = Infinity;
      for (const [key, entry] of entries) {
        if (entry.expires < t) entries.delete(key);
        else if (entry.expires < nextExpiry) nextExpiry = entry.expires;
      }
    }
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  }

  function expiresIn(ttl: number): number {
    const expires = now() + Math.max(1, ttl) * 1000;
    if (expires < nextExpiry) nextExpiry = expires;
    return expires;
  }

  const owners = memoryOwnerIndex(now, maxEntries);

  return {
    owners,
    get ownerIndexSize(): number {
      return owners.size;
    },

    async get(key: string): Promise<StoreRecord | null> {
      const entry = live(key);
      if (entry === undefined) return null;
      use(key, entry);
      return { ...entry.record };
    },

    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      entries.delete(key);
      makeRoom();
      entries.set(key, { record: { ...record }, expires: expiresIn(ttl) });
    },

    async patch(key: string, patch: StorePatch, ttl: number): Promise<boolean> {
      const entry = live(key);
      if (entry === undefined) return false;
      const next: StoreRecord = patch.replace ? {} : { ...entry.record };
      for (const field of patch.delete) delete next[field];
      for (const field of Object.keys(patch.set)) next[field] = patch.set[field]!;
      entry.record = next;
      entry.expires = expiresIn(ttl);
      use(key, entry);
      return true;
    },

    async delete(key: string): Promise<boolean> {
      const existed = live(key) !== undefined;
      entries.delete(key);
      return existed;
    },

    get size(): number {
      return entries.size;
    },
  };
}

// The owner index of memoryStore: bounded like the sessions (swept of expired entries when
// it holds more keys than the store holds sessions).
function memoryOwnerIndex(now: () => number, maxEntries: number): OwnerIndex & { readonly size: number } {
  const owners = new Map<string, OwnerEntry>();
  let size = 0;
  // No index entry expires before this; a sweep runs at most once a minute after it.
  let nextExpiry = Infinity;
  let lastSweep = 0;

  function seconds(): number {
    return Math.floor(now() / 1000);
  }

  function prune(entry: OwnerEntry, nowS: number): void {
    for (const [key, expires] of entry.keys) {
      if (expires < nowS) {
        entry.keys.delete(key);
        size--;
      }
    }
  }

  function sweep(nowS: number): void {
    lastSweep = nowS;
    nextExpiry = Infinity;
    for (const [owner, entry] of owners) {
      prune(entry, nowS);
      for (const expires of entry.keys.values()) if (expires < nextExpiry) nextExpiry = expires;
      if (entry.keys.size === 0 && entry.until < nowS) owners.delete(owner);
    }
  }

  function live(owner: string): OwnerEntry | undefined {
    const entry = owners.get(owner);
    if (entry === undefined) return undefined;
    const nowS = seconds();
    prune(entry, nowS);
    if (entry.keys.size === 0 && entry.until < nowS) {
      owners.delete(owner);
      return undefined;
    }
    return entry;
  }

  return {
    get size(): number {
      return size;
    },
    async generation(owner) {
      return live(owner)?.generation ?? 0;
    },
    async add(owner, key, expires) {
      const nowS = seconds();
      if (size >= maxEntries || (nowS > nextExpiry && nowS - lastSweep >= 60)) sweep(nowS);
      if (expires < nextExpiry) nextExpiry = expires;
      let entry = live(owner);
      if (entry === undefined) owners.set(owner, (entry = { generation: 0, keys: new Map(), until: 0 }));
      if (!entry.keys.has(key)) size++;
      entry.keys.set(key, expires);
      if (expires > entry.until) entry.until = expires;
      return entry.generation;
    },
    async remove(owner, key) {
      const entry = owners.get(owner);
      if (entry !== undefined && entry.keys.delete(key)) size--;
    },
    async list(owner) {
      return [...(live(owner)?.keys.keys() ?? [])];
    },
    async revoke(owner, except) {
      let entry = live(owner);
      if (entry === undefined) owners.set(owner, (entry = { generation: 0, keys: new Map(), until: 0 }));
      entry.generation++;
      const keys: string[] = [];
      for (const key of entry.keys.keys()) {
        if (key === except) continue;
        keys.push(key);
        entry.keys.delete(key);
        size--;
      }
      return { keys, generation: entry.generation };
    },
  };
}
