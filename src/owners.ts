// Knowing every login: the `owner` option, the owner index kept beside a server-side store's
// records, and sessions.list / revoke / revokeAll. websession never decides who a user is:
// `owner(data)` names it from what the app stored at login.
//
// Record fields this file adds to an owned session's record (next to k, c, a, p, f, d:*):
//   o = owner, g = the owner's generation the record was written under,
//   x = expiry of its index entry (seconds; kept ahead of the record's own), u / i = tracked
//   user agent / IP.
// Writing an owned record: set (or patch) the record, then index.add, which answers the
// owner's generation; if it differs from g a revoke ran meanwhile, and the record deletes
// itself. revoke bumps the generation first, so a record is either listed by it (and deleted)
// or sees the new generation (and deletes itself): a revoked session never writes itself back.

import type { RequestLike } from "./request.ts";
import type { Session, SessionData, SessionState } from "./session.ts";
import type { SessionStore, StorePatch, StoreRecord } from "./stores/store.ts";
import { describe } from "./errors.ts";
import { remainingSeconds } from "./lifetime.ts";
import type { Lifetimes } from "./lifetime.ts";

/** What `track` records about each owned session (off by default: personal data). */
export interface TrackOptions {
  /** Record the `User-Agent` header (at most 256 characters) when the session gets its owner. */
  userAgent?: boolean;
  /** The IP (or anything) the app chooses to record when the session gets its owner. */
  ip?: (request: RequestLike) => string | undefined;
}

/** One of an owner's live sessions, as {@link OwnerApi.list} returns it. */
export interface OwnedSession {
  /** An opaque handle (the store key, never the cookie's id), for `revoke`. */
  readonly handle: string;
  /** Creation time, seconds since the epoch. */
  readonly created: number;
  /** Last write, seconds since the epoch. */
  readonly lastActive: number;
  /** When the session ends if unused, seconds since the epoch. */
  readonly expires: number;
  /** The user agent, when `track.userAgent` is on. */
  readonly userAgent?: string;
  /** What `track.ip` returned, when set. */
  readonly ip?: string;
}

/** Options of {@link OwnerApi.revokeAll}. */
export interface RevokeAllOptions {
  /** A session to keep (the current one, for "sign out everywhere else"). */
  except?: Session<any>;
}

/** The owner operations a manager gets from {@link createSessions} (the `owner` option). */
export interface OwnerApi {
  /** The owner's live sessions, newest activity first. Server-side stores only. */
  list(owner: string): Promise<OwnedSession[]>;
  /** Ends one of the owner's sessions: its next request is anonymous and its cookie deleted. Resolves whether it existed. */
  revoke(owner: string, handle: string): Promise<boolean>;
  /** Ends every session of the owner (but `except`); resolves how many were ended (with stateless cookies: 0, they end at their next check). */
  revokeAll(owner: string, options?: RevokeAllOptions): Promise<number>;
  /** The handle of a loaded session (to mark "this device" in `list`), or undefined when it has none yet. */
  handleOf(session: Session<any>): string | undefined;
}

/** The resolved owner options. */
export interface ResolvedOwners {
  readonly owner: (data: SessionData) => string | undefined;
  readonly userAgent: boolean;
  readonly ip: ((request: RequestLike) => string | undefined) | undefined;
}

/** The record fields of an owned session, as read. */
export interface OwnedFields {
  o?: string;
  g?: string;
  x?: string;
  u?: string;
  i?: string;
}

/** The record fields this file owns (store mode's parse keeps them). */
export const OWNER_FIELDS: ReadonlySet<string> = new Set(["o", "g", "x", "u", "i"]);

/** Runs one store call under a load's or commit's deadline (store mode's `call`). */
export type StoreCall = <T>(deadline: number, operation: string, run: () => Promise<T>) => Promise<T>;

const MAX_OWNER = 256;

/** Validates `owner` and `track`; `store` must carry an owner index, unless cookies are revocable. */
export function resolveOwners(owner: unknown, track: unknown, store: SessionStore | undefined, revocable: boolean): ResolvedOwners | undefined {
  if (owner === undefined) {
    if (track !== undefined) throw new TypeError("option track needs option owner: sessions are tracked per owner; add owner: (data) => data.userId");
    return undefined;
  }
  if (typeof owner !== "function")
    throw new TypeError(`option owner must be a function (data) => string | undefined naming the session's owner, got ${describe(owner)}`);
  if (track !== undefined && (typeof track !== "object" || track === null))
    throw new TypeError(`option track must be an object { userAgent?, ip? }, got ${describe(track)}`);
  const t = (track ?? {}) as TrackOptions;
  for (const key of Object.keys(t)) {
    if (key !== "userAgent" && key !== "ip") throw new TypeError(`option track.${key} is unknown; valid: userAgent, ip`);
  }
  if (t.userAgent !== undefined && typeof t.userAgent !== "boolean")
    throw new TypeError(`option track.userAgent must be a boolean, got ${describe(t.userAgent)}`);
  if (t.ip !== undefined && typeof t.ip !== "function")
    throw new TypeError(`option track.ip must be a function (request) => string | undefined, got ${describe(t.ip)}`);
  if (store !== undefined) {
    const index = (store as { owners?: unknown }).owners;
    if (index === undefined) {
      throw new TypeError(
        `option owner needs a store with an owner index (store.owners), and ${storeName(store)} has none. Stores with one: memoryStore(), redisStore(), postgresStore(), durableObjectStore(), d1Store() (on a D1 binding with batch) and denoKvStore() (on a Deno.Kv with list). kvStore has none: Workers KV is eventually consistent, so a revoked session could still be read for 60 s or more; keep owned sessions in durableObjectStore() or d1Store(), or remove owner`,
      );
    }
    const missing = (["generation", "add", "remove", "list", "revoke"] as const).filter(
      (m) => typeof (index as Record<string, unknown> | null)?.[m] !== "function",
    );
    if (missing.length > 0) throw new TypeError(`option store.owners must be an OwnerIndex (missing ${missing.join(", ")}), got ${describe(index)}`);
  } else if (!revocable) {
    throw new TypeError(
      `option owner with cookie sessions needs option revocation: { store, checkEvery } (a store of per-owner generations), or a server-side store`,
    );
  }
  if (t.userAgent !== undefined || t.ip !== undefined) {
    if (store === undefined) throw new TypeError("option track applies to server-side stores (a cookie cannot carry another device's details); remove track");
  }
  return { owner: owner as ResolvedOwners["owner"], userAgent: t.userAgent ?? false, ip: t.ip };
}

// The store's name for a start-up error: its constructor's or driver's name when it has one.
function storeName(store: SessionStore): string {
  const name = (store as { name?: unknown }).name;
  if (typeof name === "string") return name;
  const ctor = (store as object).constructor?.name;
  return ctor !== undefined && ctor !== "Object" ? ctor : "this store";
}

/** The owner named by `data`, checked: a non-empty string up to 256 characters, or undefined. */
export function ownerOf(owners: ResolvedOwners, data: Map<string, unknown>): string | undefined {
  const owner = owners.owner(Object.fromEntries(data));
  if (owner === undefined || owner === null) return undefined;
  if (typeof owner !== "string" || owner.length === 0 || owner.length > MAX_OWNER) {
    throw new TypeError(`option owner must return a non-empty string of at most ${MAX_OWNER} characters, or undefined; it returned ${describe(owner)}`);
  }
  return owner;
}

// The request a store-mode session was opened with, and its store key when it had a record.
const opened = new WeakMap<Session<any>, { request: RequestLike; key: string | undefined }>();

/** Store mode's open(): remembers the request (for `track`) and the record's key (the handle). */
export function rememberOpened(session: Session<any>, request: RequestLike, key: string | undefined): void {
  opened.set(session, { request, key });
}

function handleOf(session: Session<any>): string | undefined {
  return opened.get(session)?.key;
}

/** Seconds before an index entry's expiry passes the record's, so refreshes re-date it rarely. */
function indexExpiry(nowS: number, ttl: number): number {
  return nowS + 2 * ttl;
}

/** What an owned write needs after the record is written. */
export interface OwnerStep {
  /** Fields to put in the record (a full record, or a patch's `set`). */
  readonly set: StoreRecord;
  /** Fields to remove (a patch's `delete`). */
  readonly delete: string[];
  /** After the record under `key` was written: index it; false when a revoke ran meanwhile (delete the record). */
  after(key: string): Promise<boolean>;
}

/** The owner side of the store engine for one configuration (null: no owner option). */
export interface OwnerTracker {
  /** A record about to be written whole (new session, rotation): its owner fields and indexing. */
  forRecord(session: Session<any>, state: SessionState, loaded: OwnedFields | undefined, nowS: number, ttl: number, deadline: number): Promise<OwnerStep>;
  /** A patch about to be applied to `loaded`'s record: what it must add (or remove) and the indexing. */
  forPatch(session: Session<any>, state: SessionState, loaded: OwnedFields, cleared: boolean, nowS: number, ttl: number, deadline: number): Promise<OwnerStep>;
  /** A refresh-only write: re-date the index entry when the record would outlive it. */
  forTouch(loaded: OwnedFields, nowS: number, ttl: number): OwnerStep | undefined;
  /** The record under `key` was deleted: drop its index entry. */
  dropped(loaded: OwnedFields, key: string, deadline: number): Promise<void>;
  /** The owner API over this store. */
  readonly api: OwnerApi;
}

const NOTHING: OwnerStep = { set: {}, delete: [], after: async () => true };

/** The owner side of the store engine: `call` runs a store call under a deadline. */
export function ownerTracker(
  owners: ResolvedOwners,
  store: SessionStore,
  config: Lifetimes & { readonly storeTimeout: number; readonly now: () => number },
  call: StoreCall,
): OwnerTracker {
  const index = store.owners!;

  function tracked(session: Session<any>): StoreRecord {
    const fields: StoreRecord = {};
    const request = opened.get(session)?.request;
    if (request === undefined) return fields;
    if (owners.userAgent) {
      const agent = request.headers.get("user-agent");
      if (agent !== null) fields.u = agent.slice(0, 256);
    }
    if (owners.ip !== undefined) {
      const ip = owners.ip(request);
      if (typeof ip === "string") fields.i = ip.slice(0, 256);
    }
    return fields;
  }

  // Index `key` under `owner`; a generation other than the record's means a revoke ran.
  function indexer(owner: string, generation: number, expires: number, deadline: number): (key: string) => Promise<boolean> {
    return async (key) => {
      const current = await call(deadline, "owners.add", () => index.add(owner, key, expires));
      if (current === generation) return true;
      await call(deadline, "owners.remove", () => index.remove(owner, key));
      return false;
    };
  }

  const keptAt = new WeakMap<Session<any>, { owner: string; generation: number }>();

  async function generationFor(session: Session<any>, owner: string, loaded: OwnedFields | undefined, deadline: number): Promise<number> {
    // The session revokeAll kept (except) writes under the generation that revokeAll made, even
    // when it also regenerate()s in the same request (a password change: rotate, log out the rest).
    const kept = keptAt.get(session);
    if (kept !== undefined && kept.owner === owner) return kept.generation;
    // A record already under this owner keeps its generation: if a revoke bumped it since, the
    // record was listed for deletion, and writing on under the old one must fail.
    if (loaded?.o === owner && loaded.g !== undefined && /^[0-9]{1,15}$/.test(loaded.g)) return Number(loaded.g);
    return call(deadline, "owners.generation", () => index.generation(owner));
  }

  async function forRecord(
    session: Session<any>,
    state: SessionState,
    loaded: OwnedFields | undefined,
    nowS: number,
    ttl: number,
    deadline: number,
  ): Promise<OwnerStep> {
    const owner = ownerOf(owners, state.data);
    if (owner === undefined) return NOTHING;
    const generation = await generationFor(session, owner, loaded, deadline);
    const expires = indexExpiry(nowS, ttl);
    const set: StoreRecord = { o: owner, g: String(generation), x: String(expires), ...(loaded?.o === owner ? keep(loaded) : tracked(session)) };
    return { set, delete: [], after: indexer(owner, generation, expires, deadline) };
  }

  async function forPatch(
    session: Session<any>,
    state: SessionState,
    loaded: OwnedFields,
    cleared: boolean,
    nowS: number,
    ttl: number,
    deadline: number,
  ): Promise<OwnerStep> {
    const owner = ownerOf(owners, state.data);
    if (owner === undefined) {
      if (loaded.o === undefined) return NOTHING;
      // Logout (or the owner's key removed): the record loses its owner fields, the index its entry.
      const previous = loaded.o;
      return {
        set: {},
        delete: cleared ? [] : ["o", "g", "x", "u", "i"].filter((f) => (loaded as Record<string, string | undefined>)[f] !== undefined),
        after: async (key) => {
          await call(deadline, "owners.remove", () => index.remove(previous, key));
          return true;
        },
      };
    }
    const same = loaded.o === owner;
    const x = Number(loaded.x);
    if (same && !cleared && Number.isSafeInteger(x) && x >= nowS + ttl) return NOTHING;
    const generation = await generationFor(session, owner, loaded, deadline);
    const expires = indexExpiry(nowS, ttl);
    const set: StoreRecord = { o: owner, g: String(generation), x: String(expires), ...(same ? keep(loaded) : tracked(session)) };
    const add = indexer(owner, generation, expires, deadline);
    const previous = same ? undefined : loaded.o;
    return {
      set,
      delete: [],
      after: async (key) => {
        if (previous !== undefined) await call(deadline, "owners.remove", () => index.remove(previous, key));
        return add(key);
      },
    };
  }

  function forTouch(loaded: OwnedFields, nowS: number, ttl: number): OwnerStep | undefined {
    if (loaded.o === undefined) return undefined;
    const x = Number(loaded.x);
    if (Number.isSafeInteger(x) && x >= nowS + ttl) return undefined;
    const owner = loaded.o;
    const generation = Number(loaded.g ?? 0);
    const expires = indexExpiry(nowS, ttl);
    return { set: { x: String(expires) }, delete: [], after: indexer(owner, generation, expires, Date.now() + config.storeTimeout) };
  }

  async function dropped(loaded: OwnedFields, key: string, deadline: number): Promise<void> {
    if (loaded.o === undefined) return;
    const owner = loaded.o;
    await call(deadline, "owners.remove", () => index.remove(owner, key));
  }

  function deadline(): number {
    return Date.now() + config.storeTimeout;
  }

  function checkOwner(owner: unknown): string {
    if (typeof owner !== "string" || owner.length === 0 || owner.length > MAX_OWNER)
      throw new TypeError(`owner must be a non-empty string of at most ${MAX_OWNER} characters, got ${describe(owner)}`);
    return owner;
  }

  const api: OwnerApi = {
    async list(owner) {
      checkOwner(owner);
      const d = deadline();
      const keys = await call(d, "owners.list", () => index.list(owner));
      const nowS = Math.floor(config.now() / 1000);
      const records = await Promise.all(keys.map((key) => call(d, "get", () => store.get(key))));
      const found: OwnedSession[] = [];
      const gone: string[] = [];
      records.forEach((record, n) => {
        const entry = record === null ? null : describeRecord(record, keys[n]!, owner, config);
        if (entry === null) gone.push(keys[n]!);
        else if (entry.expires >= nowS) found.push(entry);
      });
      // Entries whose record is gone (expired, destroyed): tidy them away.
      await Promise.all(gone.map((key) => call(d, "owners.remove", () => index.remove(owner, key))));
      return found.sort((a, b) => b.lastActive - a.lastActive);
    },
    async revoke(owner, handle) {
      checkOwner(owner);
      if (typeof handle !== "string") throw new TypeError(`revoke(owner, handle) needs a handle from list(), got ${describe(handle)}`);
      const d = deadline();
      const record = await call(d, "get", () => store.get(handle));
      // Only a session of this owner: a handle is no capability over anyone else's.
      if (record === null || record.k !== handle || record.o !== owner) return false;
      const existed = await call(d, "delete", () => store.delete(handle));
      await call(d, "owners.remove", () => index.remove(owner, handle));
      return existed !== false;
    },
    async revokeAll(owner, options) {
      checkOwner(owner);
      const except = options?.except === undefined ? undefined : handleOf(options.except);
      const d = deadline();
      const { keys, generation } = await call(d, "owners.revoke", () => index.revoke(owner, except));
      if (options?.except !== undefined) keptAt.set(options.except, { owner, generation });
      const results = await Promise.all(keys.map((key) => call(d, "delete", () => store.delete(key))));
      if (except !== undefined) {
        // The kept session moves to the new generation, so its own later writes still index.
        const patch: StorePatch = { set: { g: String(generation) }, delete: [], replace: false };
        const record = await call(d, "get", () => store.get(except));
        if (record !== null && record.o === owner) {
          const kept = describeRecord(record, except, owner, config);
          const ttl = Math.max(1, (kept?.expires ?? 0) - Math.floor(config.now() / 1000));
          if (store.patch !== undefined) await call(d, "patch", () => store.patch!(except, patch, ttl));
          else await call(d, "set", () => store.set(except, { ...record, g: String(generation) }, ttl));
        }
      }
      return results.filter((r) => r !== false).length;
    },
    handleOf,
  };

  return { forRecord, forPatch, forTouch, dropped, api };
}

function keep(loaded: OwnedFields): StoreRecord {
  const fields: StoreRecord = {};
  if (loaded.u !== undefined) fields.u = loaded.u;
  if (loaded.i !== undefined) fields.i = loaded.i;
  return fields;
}

function describeRecord(record: StoreRecord, key: string, owner: string, limits: Lifetimes): OwnedSession | null {
  if (record.k !== key || record.o !== owner) return null;
  const created = Number(record.c);
  const lastActive = Number(record.a);
  if (!Number.isSafeInteger(created) || !Number.isSafeInteger(lastActive)) return null;
  const expires = lastActive + remainingSeconds(created, lastActive, limits);
  const entry: { -readonly [K in keyof OwnedSession]: OwnedSession[K] } = { handle: key, created, lastActive, expires };
  if (record.u !== undefined) entry.userAgent = record.u;
  if (record.i !== undefined) entry.ip = record.i;
  return entry;
}

/** The owner API when the option is off, or for a mode without it: every call says what to set. */
export function ownerApiUnavailable(reason: string): OwnerApi {
  const fail = async (): Promise<never> => {
    throw new TypeError(reason);
  };
  return { list: fail, revoke: fail, revokeAll: fail, handleOf: () => undefined };
}
