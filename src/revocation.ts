// Stateless revocation for cookie sessions (signed, sealed): `revocation: { store, checkEvery }`.
//
// The cookie carries, inside what its codec signs or seals, its owner, the owner's generation
// when it was last checked, and that check time, under the reserved data key REVOCATION_KEY
// (stripped after decoding, put back before encoding: never visible through the Session API,
// never settable by the app). `revokeAll(owner)` bumps the owner's generation in the store;
// `load` checks a cookie against it only when `checkEvery` seconds have passed since the check
// time it carries, so between checks a request costs no store call, and the revocation window
// is exactly `checkEvery`. A cookie's generation was current at its check time and the check
// time never moves without a check, so a request in flight during `revokeAll` can write its
// session back only with the old generation and a check time from before the revoke: refused
// at its next check, within the window.
//
// The store is an OwnerIndex (memoryStore().owners, redisStore().owners, postgresStore().owners).
// Each check `add`s one entry per owner (STATELESS_ENTRY) dated past every cookie it vouches
// for: that answers the generation and keeps it alive as long as any such cookie can live.

import { callWithin } from "./deadline.ts";
import { describe } from "./errors.ts";
import { ownerOf } from "./owners.ts";
import type { OwnerApi, ResolvedOwners } from "./owners.ts";
import { RESERVED_KEY, Session, sessionInternals } from "./session.ts";
import type { SessionState } from "./session.ts";
import type { OwnerIndex } from "./stores/store.ts";

/** The data key under which a revocable cookie carries `[owner, generation, checked]`. */
export const REVOCATION_KEY: string = RESERVED_KEY;

/** The index entry (not a store key: those are 43 characters) that keeps an owner's generation. */
export const STATELESS_ENTRY = "stateless-cookies";

/** Options of the `revocation` option of createSessions. */
export interface RevocationOptions {
  /** The store of per-owner generations: an owner index, e.g. `memoryStore().owners` or `redisStore({ client }).owners`. */
  store: OwnerIndex;
  /**
   * Seconds between two checks of one session against the store: the revocation window. A
   * request within it costs no store call. At least 0 (0: every request) and below `lifetime`.
   */
  checkEvery: number;
}

/** The resolved `revocation` option. */
export interface ResolvedRevocation {
  readonly store: OwnerIndex;
  readonly checkEvery: number;
}

const UNLISTABLE =
  "sessions.list and revoke(owner, handle) are not available for stateless cookies (format signed or sealed with option revocation): each cookie lives only in the browser that holds it, so there is nothing to list or to name; revokeAll(owner) works, or use a server-side store (memoryStore(), redisStore(), postgresStore()) to list sessions and revoke one";

/** Validates the `revocation` option against the rest of the configuration. */
export function resolveRevocation(
  value: unknown,
  context: { format: string; store: unknown; lifetime: number; owner: unknown },
): ResolvedRevocation | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) throw new TypeError(`option revocation must be an object { store, checkEvery }, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== "store" && key !== "checkEvery") throw new TypeError(`option revocation.${key} is unknown; valid: store, checkEvery`);
  }
  if (context.store !== undefined) {
    throw new TypeError(
      "option revocation applies to cookie sessions; with option store, revoke and revokeAll end sessions directly through the store's owner index, so remove revocation",
    );
  }
  if (context.format === "flask") {
    throw new TypeError(
      'option revocation cannot be used with format: "flask": Flask must still read the cookie, and a revocable cookie carries an extra key it does not know; use format "signed" or "sealed"',
    );
  }
  if (context.owner === undefined) throw new TypeError("option revocation needs option owner: (data) => data.userId, naming whose session a cookie is");
  const { store, checkEvery } = value as Partial<RevocationOptions>;
  const missing = (["generation", "add", "revoke"] as const).filter((m) => typeof (store as Record<string, unknown> | null | undefined)?.[m] !== "function");
  if (missing.length > 0) {
    throw new TypeError(
      `option revocation.store must be an owner index (missing ${missing.join(", ")}), got ${describe(store)}; use memoryStore().owners, redisStore({ client }).owners or postgresStore({ client }).owners`,
    );
  }
  if (typeof checkEvery !== "number" || !Number.isInteger(checkEvery) || checkEvery < 0 || checkEvery >= context.lifetime) {
    throw new RangeError(
      `option revocation.checkEvery is invalid: ${describe(checkEvery)}; use whole seconds from 0 (every request) to below lifetime (${context.lifetime}): the longest a revoked cookie keeps working`,
    );
  }
  return { store: store!, checkEvery };
}

/** What a revocable cookie carries about itself. */
interface Stamp {
  readonly owner: string;
  readonly generation: number;
  /** When the generation was last read from the store, seconds since the epoch. */
  readonly checked: number;
}

/** The revocation side of cookie mode for one configuration. */
export interface Revocation {
  /** A decoded state (or none) to the request's session: strips the stamp, checks it when due. */
  open(state: SessionState | null): Promise<Session<any>>;
  /** The state to encode: `state` with the stamp put back (read from the store when the owner changed). */
  seal(session: Session<any>, state: SessionState, nowS: number): Promise<SessionState>;
  /** The owner API for revocable cookies: revokeAll only. */
  readonly api: OwnerApi;
}

/** The revocation side of cookie mode. */
export function revocation(
  settings: ResolvedRevocation,
  owners: ResolvedOwners,
  config: { readonly lifetime: number; readonly storeTimeout: number; readonly now: () => number },
): Revocation {
  const { store, checkEvery } = settings;
  const stamps = new WeakMap<Session<any>, Stamp>();

  function seconds(): number {
    return Math.floor(config.now() / 1000);
  }

  // The owner's generation, keeping it alive past every cookie this answer vouches for: a
  // cookie checked now lives at most checkEvery + lifetime more, under 2 * lifetime.
  function generation(owner: string, nowS: number): Promise<number> {
    return call("owners.add", () => store.add(owner, STATELESS_ENTRY, nowS + 2 * config.lifetime));
  }

  // One store call under storeTimeout (deadline.ts).
  function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callWithin(Date.now() + config.storeTimeout, config.storeTimeout, "revocation store", operation, run);
  }

  // A session that is empty and deletes its cookie when saved (revoked, or a bad stamp).
  function ended(): Session<any> {
    const session = new Session(() => null);
    session.destroy();
    return session;
  }

  // A session whose cookie is re-issued at save (with a new check time, or a first stamp) even
  // when the handler never reads it: the policy writes a stale session, and a used one is saved.
  function reissued(state: SessionState): Session<any> {
    state.stale = true;
    const session = new Session(() => state);
    void session.isNew;
    return session;
  }

  async function open(state: SessionState | null): Promise<Session<any>> {
    if (state === null) return new Session(() => null);
    const raw = state.data.get(REVOCATION_KEY);
    state.data.delete(REVOCATION_KEY);
    if (raw === undefined) {
      // A cookie from before revocation was on: stamp it at this request's save.
      return ownerOf(owners, state.data) === undefined ? new Session(() => state) : reissued(state);
    }
    const stamp = parseStamp(raw);
    if (stamp === null) return ended();
    const nowS = seconds();
    if (stamp.checked <= nowS && nowS - stamp.checked < checkEvery) {
      const session = new Session(() => state);
      stamps.set(session, stamp);
      return session;
    }
    const current = await generation(stamp.owner, nowS);
    if (current !== stamp.generation) return ended();
    const session = reissued(state);
    stamps.set(session, { owner: stamp.owner, generation: current, checked: nowS });
    return session;
  }

  async function seal(session: Session<any>, state: SessionState, nowS: number): Promise<SessionState> {
    const owner = ownerOf(owners, state.data);
    if (owner === undefined) return state;
    let stamp = stamps.get(session);
    if (stamp === undefined || stamp.owner !== owner) {
      // A login (or a new owner): the generation as of now, read before the time it is dated.
      stamp = { owner, generation: await generation(owner, nowS), checked: nowS };
      stamps.set(session, stamp);
    }
    const data = new Map(state.data);
    data.set(REVOCATION_KEY, [stamp.owner, stamp.generation, stamp.checked]);
    return { ...state, data };
  }

  const api: OwnerApi = {
    async list() {
      throw new TypeError(UNLISTABLE);
    },
    async revoke() {
      throw new TypeError(UNLISTABLE);
    },
    async revokeAll(owner, options) {
      if (typeof owner !== "string" || owner.length === 0 || owner.length > 256)
        throw new TypeError(`owner must be a non-empty string of at most 256 characters, got ${describe(owner)}`);
      const except = options?.except;
      if (except !== undefined && sessionInternals(except).committed) {
        throw new TypeError(
          "revokeAll(owner, { except: session }) must run before the session's response is committed: the kept session's cookie is re-issued under the new generation",
        );
      }
      const nowS = seconds();
      const { generation: next } = await call("owners.revoke", () => store.revoke(owner, STATELESS_ENTRY));
      if (except !== undefined && stamps.get(except)?.owner === owner) {
        stamps.set(except, { owner, generation: next, checked: nowS });
        // Forces the kept session's cookie to be re-issued with its new stamp.
        except.modified = true;
      }
      // Stateless sessions are not counted: each ends at its next check.
      return 0;
    },
    handleOf: () => undefined,
  };

  return { open, seal, api };
}

function parseStamp(raw: unknown): Stamp | null {
  if (!Array.isArray(raw) || raw.length !== 3) return null;
  const [owner, generation, checked] = raw as unknown[];
  if (typeof owner !== "string" || owner.length === 0 || owner.length > 256) return null;
  if (!Number.isSafeInteger(generation) || (generation as number) < 0 || !Number.isSafeInteger(checked) || (checked as number) < 0) return null;
  return { owner, generation: generation as number, checked: checked as number };
}
