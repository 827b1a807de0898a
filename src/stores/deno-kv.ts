// websession/deno-kv: sessions in Deno KV (Deno.openKv(): a local SQLite file, or Deno Deploy's
// FoundationDB). Every write is an atomic operation checked against the versionstamp it read
// (compare-and-swap, retried a bounded number of times); expireIn lets KV delete old entries,
// and a deadline stored with each entry hides expired ones at once (KV's expiry is lazy).

import { utf8Decoder, utf8Encoder } from "../encoding.ts";
import { describe } from "../errors.ts";
import type { OwnerIndex, SessionStore, StorePatch, StoreRecord } from "./store.ts";

/** A Deno KV key part. */
export type KvKeyPartLike = string | number | bigint | boolean | Uint8Array;
/** A Deno KV key. */
export type KvKeyLike = readonly KvKeyPartLike[];

/** A Deno KV entry as `get` returns it. */
export interface KvEntryLike<T> {
  readonly key: readonly unknown[];
  readonly value: T | null;
  readonly versionstamp: string | null;
}

/** The part of `Deno.AtomicOperation` this store uses. */
export interface KvAtomicLike {
  check(...checks: Array<{ key: KvKeyLike; versionstamp: string | null }>): KvAtomicLike;
  set(key: KvKeyLike, value: unknown, options?: { expireIn?: number }): KvAtomicLike;
  delete(key: KvKeyLike): KvAtomicLike;
  commit(): Promise<{ ok: boolean }>;
}

/** The part of `Deno.Kv` (what `Deno.openKv()` resolves) this store uses. */
export interface DenoKvLike {
  get<T = unknown>(key: KvKeyLike): Promise<KvEntryLike<T>>;
  getMany<T extends readonly unknown[]>(keys: readonly [...{ [K in keyof T]: KvKeyLike }]): Promise<{ [K in keyof T]: KvEntryLike<T[K]> }>;
  atomic(): KvAtomicLike;
  /**
   * Lists entries by key prefix (`Deno.Kv.list`). Used by the owner index; a database without
   * it gets no `owners` (then the `owner` option refuses the store at start-up).
   */
  list?<T = unknown>(selector: { prefix: KvKeyLike }): AsyncIterable<KvEntryLike<T>>;
}

/** Options of {@link denoKvStore}. */
export interface DenoKvStoreOptions {
  /** The key parts before every session key. Default `["websession"]`. */
  prefix?: KvKeyLike;
  /** Compare-and-swap attempts per write before giving up (`store_unavailable`). Default 100 (the store timeout may end it sooner). */
  maxAttempts?: number;
}

/**
 * One session's head entry, at `[...prefix, key]`: its deadline and either the record's JSON
 * inline (`d`) or the generation (`g`) and count (`n`) of the chunks holding it.
 */
interface Head {
  readonly e: number;
  readonly d?: Uint8Array;
  readonly g?: string;
  readonly n?: number;
}

/** KV values are at most 64 KiB; a record's JSON is cut into chunks a little below that. */
const CHUNK = 60_000;
/** One atomic operation writes at most 800 KiB (and 1000 mutations): the record's bound. */
const MAX_RECORD_BYTES = 12 * CHUNK;
/** getMany reads at most 10 keys at a time. */
const GET_MANY = 10;

/**
 * A session store on Deno KV. Each session is one head entry (its deadline, and its record's
 * JSON when that fits in one value) plus, for records over 60 kB, chunks under a fresh
 * generation, all written in one atomic operation that checks the head's versionstamp: a
 * write is all or nothing, and a concurrent one makes it re-read and retry. `patch` never
 * creates a session, so `destroy()` wins over a slow request. Records are bounded by KV's
 * 800 KiB per atomic operation (about 700 kB of session data).
 *
 * Its owner index (`store.owners`, for the `owner` option) keeps, per owner, a generation
 * entry and one entry per session under `[...prefix, "owner", owner]`; every change to an
 * owner's index is an atomic operation checked against the generation entry's versionstamp.
 *
 * Run Deno with `--unstable-kv` (Deno 2) for `Deno.openKv`.
 *
 * @example
 * ```ts
 * import { createSessions } from "websession";
 * import { denoKvStore } from "websession/deno-kv";
 *
 * const kv = await Deno.openKv(); // a local file, or Deno Deploy's KV
 * const sessions = createSessions({ secret: Deno.env.get("SESSION_SECRET")!, store: denoKvStore(kv) });
 * Deno.serve(sessions.handle((_req, session) => new Response(`hello ${session.get("user") ?? "guest"}`)));
 * ```
 */
export function denoKvStore(kv: DenoKvLike, options: DenoKvStoreOptions = {}): SessionStore & { readonly owners?: OwnerIndex } {
  if (typeof kv !== "object" || kv === null || typeof kv.get !== "function" || typeof kv.getMany !== "function" || typeof kv.atomic !== "function") {
    throw new TypeError(`denoKvStore needs a Deno KV database (await Deno.openKv()), got ${describe(kv)}; run Deno with --unstable-kv`);
  }
  if (typeof options !== "object" || options === null) throw new TypeError(`denoKvStore options must be an object, got ${describe(options)}`);
  const prefix = options.prefix ?? ["websession"];
  if (!Array.isArray(prefix) || !prefix.every(isKeyPart)) {
    throw new TypeError(`option prefix is invalid: ${describe(prefix)}; use an array of key parts (strings, numbers, bigints, booleans, Uint8Arrays)`);
  }
  const maxAttempts = options.maxAttempts ?? 100;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
    throw new RangeError(`option maxAttempts is invalid: ${describe(maxAttempts)}; use a whole number from 1 to 1000`);
  }

  const headKey = (key: string): KvKeyLike => [...prefix, key];
  const chunkKey = (key: string, generation: string, n: number): KvKeyLike => [...prefix, key, generation, n];

  /** The live head of `key` (null when absent or expired) and its entry, for the check. */
  async function readHead(key: string): Promise<{ entry: KvEntryLike<Head>; head: Head | null }> {
    const entry = await kv.get<Head>(headKey(key));
    const head = entry.value;
    return { entry, head: head !== null && head.e > Date.now() ? head : null };
  }

  /** The record `head` points at, or undefined when a concurrent write removed its chunks. */
  async function readRecord(key: string, head: Head): Promise<StoreRecord | undefined> {
    let bytes: Uint8Array;
    if (head.d !== undefined) bytes = head.d;
    else {
      const keys = Array.from({ length: head.n ?? 0 }, (_, n) => chunkKey(key, head.g ?? "", n));
      const parts: Uint8Array[] = [];
      for (let at = 0; at < keys.length; at += GET_MANY) {
        for (const entry of await kv.getMany<Uint8Array[]>(keys.slice(at, at + GET_MANY))) {
          if (entry.value === null) return undefined;
          parts.push(entry.value);
        }
      }
      bytes = concat(parts);
    }
    try {
      return JSON.parse(utf8Decoder.decode(bytes)) as StoreRecord;
    } catch {
      // Not one of ours: websession sees an invalid record and starts a fresh session.
      return {};
    }
  }

  /** One atomic write of `record` (or a delete when null) over `previous`; whether it committed. */
  function commit(key: string, previous: KvEntryLike<Head>, record: StoreRecord | null, ttl: number): Promise<{ ok: boolean }> {
    const op = kv.atomic().check({ key: headKey(key), versionstamp: previous.versionstamp });
    const old = previous.value;
    if (old?.g !== undefined) for (let n = 0; n < (old.n ?? 0); n++) op.delete(chunkKey(key, old.g, n));
    if (record === null) return op.delete(headKey(key)).commit();
    const bytes = utf8Encoder.encode(JSON.stringify(record));
    if (bytes.length > MAX_RECORD_BYTES)
      throw new RangeError(`a session of ${bytes.length} bytes is over Deno KV's limit for one atomic write (${MAX_RECORD_BYTES} bytes)`);
    const expireIn = ttl * 1000;
    const e = Date.now() + expireIn;
    if (bytes.length <= CHUNK) return op.set(headKey(key), { e, d: bytes } satisfies Head, { expireIn }).commit();
    const g = crypto.randomUUID();
    const n = Math.ceil(bytes.length / CHUNK);
    for (let i = 0; i < n; i++) op.set(chunkKey(key, g, i), bytes.slice(i * CHUNK, (i + 1) * CHUNK), { expireIn });
    return op.set(headKey(key), { e, g, n } satisfies Head, { expireIn }).commit();
  }

  /** Runs `attempt` until it settles (a value other than `retry`), at most maxAttempts times. */
  async function withRetries<T>(what: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
    for (let n = 1; n <= maxAttempts; n++) {
      const result = await attempt();
      if (result !== RETRY) return result;
      // Another request wrote this session first: wait a little (more each time) and re-read.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(n, 10)));
    }
    throw new Error(`Deno KV: ${what} lost ${maxAttempts} compare-and-swap races in a row on one session`);
  }

  return {
    ...(typeof kv.list === "function" ? { owners: denoKvOwnerIndex(kv, prefix, withRetries) } : {}),

    async get(key: string): Promise<StoreRecord | null> {
      return withRetries("get", async () => {
        const { head } = await readHead(key);
        if (head === null) return null;
        return (await readRecord(key, head)) ?? RETRY;
      });
    },

    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      await withRetries("set", async () => {
        const { entry } = await readHead(key);
        return (await commit(key, entry, record, ttl)).ok ? undefined : RETRY;
      });
    },

    async delete(key: string): Promise<boolean> {
      return withRetries("delete", async () => {
        const { entry, head } = await readHead(key);
        if (entry.versionstamp === null) return false;
        return (await commit(key, entry, null, 1)).ok ? head !== null : RETRY;
      });
    },

    async patch(key: string, patch: StorePatch, ttl: number): Promise<boolean> {
      return withRetries("patch", async () => {
        const { entry, head } = await readHead(key);
        // Gone (destroyed or expired): a patch never recreates a session.
        if (head === null) return false;
        const current = patch.replace ? {} : await readRecord(key, head);
        if (current === undefined) return RETRY;
        const next: StoreRecord = { ...current };
        for (const field of patch.delete) delete next[field];
        for (const [field, text] of Object.entries(patch.set)) next[field] = text;
        return (await commit(key, entry, next, ttl)).ok ? true : RETRY;
      });
    },
  };
}

const RETRY = Symbol("retry");

/** An owner's generation entry: the generation and the latest expiry (seconds) of any entry it had. */
interface OwnerGeneration {
  readonly g: number;
  readonly u: number;
}

/** Seconds KV keeps a generation entry past its last index entry's expiry. */
const GENERATION_GRACE = 60;
/** One atomic operation holds at most 1000 mutations. */
const MAX_MUTATIONS = 1000;

type Retrier = <T>(what: string, attempt: () => Promise<T | typeof RETRY>) => Promise<T>;

// The owner index: [...prefix, "owner", owner, "g"] holds the generation, and
// [...prefix, "owner", owner, "i", key] each entry's expiry (seconds; KV's expireIn deletes it
// after that, reads skip it at once). add and revoke each commit only if the generation entry is
// unchanged since they read it, and both rewrite it, so they serialize per owner. revoke bumps
// the generation first and then takes the entries (as the Postgres index does): an add before
// the bump is taken, an add after it answers the new generation (its record deletes itself).
function denoKvOwnerIndex(kv: DenoKvLike, prefix: KvKeyLike, withRetries: Retrier): OwnerIndex {
  const generationKey = (owner: string): KvKeyLike => [...prefix, "owner", owner, "g"];
  const entriesOf = (owner: string): KvKeyLike => [...prefix, "owner", owner, "i"];
  const nowS = (): number => Math.floor(Date.now() / 1000);

  async function entries(owner: string): Promise<Map<string, number>> {
    const live = new Map<string, number>();
    const now = nowS();
    for await (const entry of kv.list!<number>({ prefix: entriesOf(owner) })) {
      const key = entry.key[entry.key.length - 1];
      if (typeof key === "string" && typeof entry.value === "number" && entry.value >= now) live.set(key, entry.value);
    }
    return live;
  }

  function dated(generation: OwnerGeneration): { expireIn: number } {
    return { expireIn: (Math.max(generation.u - nowS(), 0) + GENERATION_GRACE) * 1000 };
  }

  return {
    async generation(owner) {
      return (await kv.get<OwnerGeneration>(generationKey(owner))).value?.g ?? 0;
    },
    async add(owner, key, expires) {
      return withRetries("owners.add", async () => {
        const entry = await kv.get<OwnerGeneration>(generationKey(owner));
        const current = entry.value ?? { g: 0, u: 0 };
        const next: OwnerGeneration = { g: current.g, u: Math.max(current.u, expires) };
        const done = await kv
          .atomic()
          .check({ key: generationKey(owner), versionstamp: entry.versionstamp })
          .set(generationKey(owner), next, dated(next))
          .set([...entriesOf(owner), key], expires, { expireIn: (Math.max(expires - nowS(), 0) + 1) * 1000 })
          .commit();
        return done.ok ? current.g : RETRY;
      });
    },
    async remove(owner, key) {
      await kv
        .atomic()
        .delete([...entriesOf(owner), key])
        .commit();
    },
    async list(owner) {
      return [...(await entries(owner)).keys()];
    },
    async revoke(owner, except) {
      const generation = await withRetries("owners.revoke", async () => {
        const entry = await kv.get<OwnerGeneration>(generationKey(owner));
        const current = entry.value ?? { g: 0, u: nowS() };
        const next: OwnerGeneration = { g: current.g + 1, u: current.u };
        const done = await kv
          .atomic()
          .check({ key: generationKey(owner), versionstamp: entry.versionstamp })
          .set(generationKey(owner), next, dated(next))
          .commit();
        return done.ok ? next.g : RETRY;
      });
      const keys = [...(await entries(owner)).keys()].filter((key) => key !== except);
      for (let at = 0; at < keys.length; at += MAX_MUTATIONS) {
        const op = kv.atomic();
        for (const key of keys.slice(at, at + MAX_MUTATIONS)) op.delete([...entriesOf(owner), key]);
        const done = await op.commit();
        if (!done.ok) throw new Error("Deno KV: deleting an owner's index entries failed");
      }
      return { keys, generation };
    },
  };
}

function isKeyPart(part: unknown): part is KvKeyPartLike {
  return ["string", "number", "bigint", "boolean"].includes(typeof part) || part instanceof Uint8Array;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
