// websession/durable-object: sessions in Cloudflare Durable Objects. An object runs one event
// at a time and its storage is strongly consistent, so every operation, patches included, is
// atomic without locks. Cloudflare's types stay structural: nothing here imports
// `cloudflare:workers`, so this module also loads (and type-checks) outside workerd.

import { describe } from "../errors.ts";
import type { OwnerIndex, SessionStore, StorePatch, StoreRecord } from "./store.ts";

/** The part of a Durable Object's `ctx.storage` that {@link SessionDurableObject} uses. */
export interface DurableObjectStorageLike {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T = unknown>(options: { prefix: string }): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The part of a Durable Object's state (`ctx`) that {@link SessionDurableObject} uses. */
export interface DurableObjectStateLike {
  readonly storage: DurableObjectStorageLike;
}

/** A Durable Object stub: what `namespace.get(id)` returns. */
export interface DurableObjectStubLike {
  fetch(input: string, init: RequestInit): Promise<Response>;
}

/** The part of a Workers `DurableObjectNamespace` binding that {@link durableObjectStore} uses. */
export interface DurableObjectNamespaceLike<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id, options?: { locationHint?: string }): DurableObjectStubLike;
}

/** Options of {@link durableObjectStore}. */
export interface DurableObjectStoreOptions {
  /**
   * Prepended to the name of every object and to every key inside it, so several apps can
   * share one namespace. Default `"websession:"`.
   */
  prefix?: string;
  /**
   * How many leading characters of the session key name the object. `0` (the default): one
   * object per session, the fastest layout measured (README, "Durable Objects"). `1` or `2`:
   * 64 or 4096 objects, each holding many sessions, for when you need fewer objects.
   */
  shardPrefixLength?: 0 | 1 | 2;
  /**
   * Where a new object is created (`"weur"`, `"enam"`, ...), passed to `namespace.get`. Only
   * applies when an object is first created; by default Cloudflare places it near the first request.
   */
  locationHint?: string;
}

/** One session as the object stores it: the record and when it expires (ms since the epoch). */
interface Stored {
  readonly e: number;
  readonly r: StoreRecord;
}

/** A call from the store to the object. */
type Call =
  | { op: "get"; key: string }
  | { op: "set"; key: string; record: StoreRecord; ttl: number }
  | { op: "delete"; key: string }
  | { op: "patch"; key: string; patch: StorePatch; ttl: number }
  | OwnerCall;

/** A call from the store's owner index to the owner's object (`key` is "" when none applies). */
type OwnerCall =
  | { op: "owners.generation" | "owners.list"; owner: string; key: "" }
  | { op: "owners.add"; owner: string; key: string; expires: number }
  | { op: "owners.remove"; owner: string; key: string }
  | { op: "owners.revoke"; owner: string; key: string };

/** An owner's generation in its object, kept until `u` (seconds), the latest expiry of any entry it had. */
interface Generation {
  readonly g: number;
  readonly u: number;
}

const RECORD_PREFIX = "r:";
// Inside an owner's object (named prefix + "owner:" + owner, which no session key can be:
// keys are base64url): "i:" + key → the entry's expiry in seconds, and GENERATION.
const ENTRY_PREFIX = "i:";
const GENERATION = "g";
const MAX_OWNER = 256;
const MAX_KEY = 512;
/** The object's address inside the stub's `fetch`: never resolved, workerd routes by the stub. */
const OBJECT_URL = "https://websession.invalid/";

/**
 * The Durable Object class that holds sessions for {@link durableObjectStore}. Export it from
 * your Worker and bind it (SQLite-backed storage recommended: records up to 2 MB; the legacy
 * key-value backend holds 128 KiB per session):
 *
 * ```toml
 * [[durable_objects.bindings]]
 * name = "SESSION_OBJECTS"
 * class_name = "SessionDurableObject"
 *
 * [[migrations]]
 * tag = "websession-v1"
 * new_sqlite_classes = ["SessionDurableObject"]
 * ```
 *
 * Every operation runs inside the object, which handles one event at a time: while it awaits
 * its own storage no other request is delivered (workerd's input gates), so a read-merge-write
 * patch cannot interleave with another. Expiry: every read compares the stored deadline, so an
 * expired record is never returned, and an alarm at the earliest deadline deletes expired ones.
 * The owner index (`store.owners`) lives the same way in one object per owner.
 *
 * @example
 * ```ts
 * export { SessionDurableObject } from "websession/durable-object";
 * ```
 */
export class SessionDurableObject {
  readonly #storage: DurableObjectStorageLike;

  /** Called by workerd with the object's state; `env` is not used. */
  constructor(state: DurableObjectStateLike, _env?: unknown) {
    this.#storage = state.storage;
  }

  /** Answers one call of {@link durableObjectStore}: a JSON `Call` in, `{ result }` out. */
  async fetch(request: Request): Promise<Response> {
    let call: Call;
    try {
      call = parseCall(await request.json());
    } catch (error) {
      return Response.json({ error: error instanceof Error ? error.message : "bad call" }, { status: 400 });
    }
    return Response.json({ result: await this.#run(call) });
  }

  /** Deletes expired records and schedules the next alarm at the earliest remaining deadline. */
  async alarm(): Promise<void> {
    const now = Date.now();
    let next = Infinity;
    for (const [name, stored] of await this.#storage.list<Stored>({ prefix: RECORD_PREFIX })) {
      if (stored.e <= now) await this.#storage.delete(name);
      else next = Math.min(next, stored.e);
    }
    const nowS = Math.floor(now / 1000);
    const entries = await this.#entries(nowS);
    for (const expires of entries.values()) next = Math.min(next, (expires + 1) * 1000);
    const generation = await this.#storage.get<Generation>(GENERATION);
    if (generation !== undefined) {
      if (entries.size === 0 && generation.u < nowS) await this.#storage.delete(GENERATION);
      else next = Math.min(next, (Math.max(generation.u, nowS) + 1) * 1000);
    }
    if (next !== Infinity) await this.#storage.setAlarm(next);
  }

  async #run(call: Call): Promise<unknown> {
    if (call.op.startsWith("owners.")) return this.#owners(call as OwnerCall);
    const name = RECORD_PREFIX + call.key;
    if (call.op === "set") {
      await this.#write(name, call.record, call.ttl);
      return true;
    }
    const current = await this.#live(name);
    switch (call.op as "get" | "delete" | "patch") {
      case "get":
        return current?.r ?? null;
      case "delete":
        if (current !== undefined) await this.#storage.delete(name);
        return current !== undefined;
      default: {
        // A patch never creates a record: a session destroyed meanwhile stays destroyed.
        if (current === undefined) return false;
        const { patch, ttl } = call as Extract<Call, { op: "patch" }>;
        const next: StoreRecord = patch.replace ? {} : { ...current.r };
        for (const field of patch.delete) delete next[field];
        for (const [field, text] of Object.entries(patch.set)) next[field] = text;
        await this.#write(name, next, ttl);
        return true;
      }
    }
  }

  // One owner's index; the object runs one call at a time, so each is atomic for the owner.
  async #owners(call: OwnerCall): Promise<unknown> {
    const nowS = Math.floor(Date.now() / 1000);
    const generation = await this.#generation(nowS);
    switch (call.op) {
      case "owners.generation":
        return generation.g;
      case "owners.list":
        return [...(await this.#entries(nowS)).keys()];
      case "owners.add": {
        await this.#storage.put(ENTRY_PREFIX + call.key, call.expires);
        if (call.expires > generation.u) await this.#storage.put<Generation>(GENERATION, { g: generation.g, u: call.expires });
        await this.#alarmBy((call.expires + 1) * 1000);
        return generation.g;
      }
      case "owners.remove":
        await this.#storage.delete(ENTRY_PREFIX + call.key);
        return null;
      case "owners.revoke": {
        const keys: string[] = [];
        for (const key of (await this.#entries(nowS)).keys()) {
          if (key === call.key) continue;
          keys.push(key);
          await this.#storage.delete(ENTRY_PREFIX + key);
        }
        const bumped: Generation = { g: generation.g + 1, u: Math.max(generation.u, nowS) };
        await this.#storage.put<Generation>(GENERATION, bumped);
        await this.#alarmBy((bumped.u + 1) * 1000);
        return { keys, generation: bumped.g };
      }
    }
  }

  /** The owner's generation; a stale one (no entries left, past its last expiry) counts as 0, as when never written. */
  async #generation(nowS: number): Promise<Generation> {
    const stored = await this.#storage.get<Generation>(GENERATION);
    if (stored === undefined) return { g: 0, u: 0 };
    if (stored.u >= nowS || (await this.#entries(nowS)).size > 0) return stored;
    await this.#storage.delete(GENERATION);
    return { g: 0, u: 0 };
  }

  /** The owner's unexpired entries (key → expiry in seconds); expired ones are deleted on the way. */
  async #entries(nowS: number): Promise<Map<string, number>> {
    const live = new Map<string, number>();
    for (const [name, expires] of await this.#storage.list<number>({ prefix: ENTRY_PREFIX })) {
      if (expires < nowS) await this.#storage.delete(name);
      else live.set(name.slice(ENTRY_PREFIX.length), expires);
    }
    return live;
  }

  async #alarmBy(time: number): Promise<void> {
    const alarm = await this.#storage.getAlarm();
    if (alarm === null || alarm > time) await this.#storage.setAlarm(time);
  }

  /** The record under `name` unless it has expired (then it is deleted now, not at the alarm). */
  async #live(name: string): Promise<Stored | undefined> {
    const stored = await this.#storage.get<Stored>(name);
    if (stored === undefined) return undefined;
    if (stored.e > Date.now()) return stored;
    await this.#storage.delete(name);
    return undefined;
  }

  async #write(name: string, record: StoreRecord, ttl: number): Promise<void> {
    const expires = Date.now() + ttl * 1000;
    await this.#storage.put<Stored>(name, { e: expires, r: record });
    await this.#alarmBy(expires);
  }
}

/**
 * A session store on Durable Objects: by default one object per session, named by
 * `prefix + key` ({@link DurableObjectStoreOptions.shardPrefixLength} to share objects).
 * Strongly consistent: a write or a `destroy()` is seen by the next request everywhere; patches
 * are atomic inside the object; TTLs are exact to the millisecond (alarms delete the records).
 * Its owner index (`store.owners`, for the `owner` option) keeps each owner's sessions in an
 * object named `prefix + "owner:" + owner`, so `revokeAll` is one atomic call.
 *
 * @example
 * ```ts
 * import { createSessions, type Sessions } from "websession";
 * import { durableObjectStore, type DurableObjectNamespaceLike } from "websession/durable-object";
 * export { SessionDurableObject } from "websession/durable-object";
 *
 * let sessions: Sessions | undefined;
 * export default {
 *   fetch(request: Request, env: { SESSION_OBJECTS: DurableObjectNamespaceLike; SESSION_SECRET: string }) {
 *     sessions ??= createSessions({ secret: env.SESSION_SECRET, store: durableObjectStore(env.SESSION_OBJECTS) });
 *     return sessions.handle((_req, session) => new Response(`hello ${session.get("user") ?? "guest"}`))(request);
 *   },
 * };
 * ```
 */
export function durableObjectStore<Id>(
  namespace: DurableObjectNamespaceLike<Id>,
  options: DurableObjectStoreOptions = {},
): SessionStore & { readonly owners: OwnerIndex } {
  if (typeof namespace !== "object" || namespace === null || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new TypeError(
      `durableObjectStore needs a Durable Object namespace binding (with idFromName and get), got ${describe(namespace)}; check the binding name in wrangler.toml`,
    );
  }
  if (typeof options !== "object" || options === null) throw new TypeError(`durableObjectStore options must be an object, got ${describe(options)}`);
  const prefix = options.prefix === undefined ? "websession:" : options.prefix;
  if (typeof prefix !== "string" || prefix.length > MAX_KEY - 43) {
    throw new TypeError(`option prefix is invalid: ${describe(prefix)}; use a string of at most ${MAX_KEY - 43} characters`);
  }
  const shard = options.shardPrefixLength ?? 0;
  if (shard !== 0 && shard !== 1 && shard !== 2) {
    throw new RangeError(`option shardPrefixLength is invalid: ${describe(shard)}; use 0 (one object per session), 1 or 2`);
  }
  const hint = options.locationHint;
  if (hint !== undefined && (typeof hint !== "string" || hint === "")) {
    throw new TypeError(`option locationHint is invalid: ${describe(hint)}; use a Cloudflare location hint such as "weur", or leave it out`);
  }
  const getOptions = hint === undefined ? undefined : { locationHint: hint };

  async function call(body: Call): Promise<unknown> {
    const name =
      "owner" in body ? `${prefix}owner:${body.owner}` : shard === 0 ? body.key : `${prefix}shard:${body.key.slice(prefix.length, prefix.length + shard)}`;
    const stub = namespace.get(namespace.idFromName(name), getOptions);
    const response = await stub.fetch(OBJECT_URL, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`the session object answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    return ((await response.json()) as { result: unknown }).result;
  }

  return {
    async get(key: string): Promise<StoreRecord | null> {
      return (await call({ op: "get", key: prefix + key })) as StoreRecord | null;
    },
    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      await call({ op: "set", key: prefix + key, record, ttl });
    },
    async delete(key: string): Promise<boolean> {
      return (await call({ op: "delete", key: prefix + key })) === true;
    },
    async patch(key: string, patch: StorePatch, ttl: number): Promise<boolean> {
      return (await call({ op: "patch", key: prefix + key, patch, ttl })) === true;
    },
    owners: {
      async generation(owner) {
        return (await call({ op: "owners.generation", owner, key: "" })) as number;
      },
      async add(owner, key, expires) {
        return (await call({ op: "owners.add", owner, key, expires })) as number;
      },
      async remove(owner, key) {
        await call({ op: "owners.remove", owner, key });
      },
      async list(owner) {
        return (await call({ op: "owners.list", owner, key: "" })) as string[];
      },
      async revoke(owner, except) {
        return (await call({ op: "owners.revoke", owner, key: except ?? "" })) as { keys: string[]; generation: number };
      },
    },
  };
}

/** Validates a call's shape; throws a message for the 400 answer. */
function parseCall(value: unknown): Call {
  if (typeof value !== "object" || value === null) throw new Error("a call must be a JSON object");
  const call = value as Record<string, unknown>;
  if (typeof call.op === "string" && call.op.startsWith("owners.")) return parseOwnerCall(call);
  if (typeof call.key !== "string" || call.key === "" || call.key.length > MAX_KEY) throw new Error("key must be a string of 1 to 512 characters");
  const needsTtl = call.op === "set" || call.op === "patch";
  if (needsTtl && !(typeof call.ttl === "number" && call.ttl > 0 && Number.isFinite(call.ttl))) throw new Error("ttl must be a positive number of seconds");
  switch (call.op) {
    case "get":
    case "delete":
      return { op: call.op, key: call.key };
    case "set":
      if (!isRecord(call.record)) throw new Error("record must be an object of strings");
      return { op: "set", key: call.key, record: call.record, ttl: call.ttl as number };
    case "patch": {
      const patch = call.patch as Partial<StorePatch> | null;
      if (
        typeof patch !== "object" ||
        patch === null ||
        !isRecord(patch.set) ||
        !Array.isArray(patch.delete) ||
        !patch.delete.every((f) => typeof f === "string") ||
        typeof patch.replace !== "boolean"
      ) {
        throw new Error("patch must be { set, delete, replace }");
      }
      return { op: "patch", key: call.key, patch: { set: patch.set, delete: patch.delete, replace: patch.replace }, ttl: call.ttl as number };
    }
    default:
      throw new Error(`unknown op ${describe(call.op)}`);
  }
}

/** Validates an owner call's shape; throws a message for the 400 answer. */
function parseOwnerCall(call: Record<string, unknown>): OwnerCall {
  const { op, owner, key } = call;
  if (typeof owner !== "string" || owner === "" || owner.length > MAX_OWNER) throw new Error(`owner must be a string of 1 to ${MAX_OWNER} characters`);
  if (typeof key !== "string" || key.length > MAX_KEY) throw new Error(`key must be a string of at most ${MAX_KEY} characters`);
  switch (op) {
    case "owners.generation":
    case "owners.list":
      return { op, owner, key: "" };
    case "owners.remove":
    case "owners.revoke":
      return { op, owner, key };
    case "owners.add":
      if (key === "") throw new Error("key must not be empty");
      if (!Number.isSafeInteger(call.expires)) throw new Error("expires must be whole seconds since the epoch");
      return { op, owner, key, expires: call.expires as number };
    default:
      throw new Error(`unknown op ${describe(op)}`);
  }
}

function isRecord(value: unknown): value is StoreRecord {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string") &&
    !Object.hasOwn(value, "__proto__")
  );
}
