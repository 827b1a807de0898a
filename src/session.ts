// The Session object: Flask's session dict semantics and flags. No I/O, no cryptography:
// a lazy session calls the loader it was given on first use.

import { SessionError, describe as describeValue } from "./errors.ts";
import { CSRF_SESSION_KEY, csrfToken } from "./csrf.ts";

/** The shape of session data: string keys to JSON-like values. */
export type SessionData = Record<string, unknown>;

/** A flashed message with its category, as Flask stores it. */
export type Flash = readonly [category: string, message: string];

/** What a codec decoded from a valid cookie (or a store record). */
export interface SessionState {
  /** The data, in a Map so that `__proto__`, `constructor` and `toString` are just keys. */
  data: Map<string, unknown>;
  /** Pending flashed messages, oldest first. */
  flashes: Flash[];
  permanent: boolean;
  /** Creation time, whole seconds since the epoch (kept across refreshes). */
  created: number;
  /** Last time the session was written, whole seconds since the epoch. */
  lastActive: number;
  /** Set by `regenerate()` so two tokens of the same second still differ. */
  nonce?: string | undefined;
  /** True when the cookie verified under an older secret: re-issue with the current one. */
  stale?: boolean;
}

/** The session's own state and flags, for the modes; not part of the public API. */
export interface SessionInternals {
  /** Pending lazy loader; `undefined` once run (or when the session was built loaded). */
  loader: (() => SessionState | null) | undefined;
  state: SessionState;
  accessed: boolean;
  modified: boolean;
  isNew: boolean;
  /** JSON of the data taken before the first mutable value was handed out. */
  snapshot: string | undefined;
  /** Flashes taken by `flashes()`, returned again by later calls in the same request. */
  consumed: Flash[] | undefined;
  destroyed: boolean;
  regenerated: boolean;
  /** Set by `regenerate({ fresh: true })`: the session starts a new absolute lifetime. */
  fresh: boolean;
  committed: boolean;
  /** Whether `clear()` or `destroy()` ran (a store then replaces the whole record). */
  cleared: boolean;
  /** What `expiresAt` reports, given by the manager that loaded the session (expiry.ts). */
  expiry?: ((state: SessionState, i: SessionInternals) => Date | undefined) | undefined;
}

/** Options of {@link Session.regenerate}. */
export interface RegenerateOptions {
  /** Start a new absolute lifetime (a new login), instead of keeping the creation time. */
  fresh?: boolean;
}

/** Options of {@link Session.flashes}, as in Flask's `get_flashed_messages`. */
export interface FlashesOptions {
  /** Return `[category, message]` pairs instead of messages. */
  withCategories?: boolean;
  /** Keep only these categories. */
  categories?: readonly string[];
}

let internalsOf: (session: Session<any>) => SessionInternals;

/**
 * The data key websession keeps for itself (a revocable cookie's stamp, revocation.ts): never
 * visible through a Session, and refused by `set`, `setDefault` and `update`.
 */
export const RESERVED_KEY = "\u0000ws";

function checkKey(key: string): void {
  if (key === RESERVED_KEY) throw new TypeError(`the session key "\\u0000ws" is reserved by websession (a revocable cookie's stamp); use another key`);
}

/** A fresh, empty session state. */
export function emptyState(): SessionState {
  return { data: new Map(), flashes: [], permanent: false, created: 0, lastActive: 0 };
}

/**
 * A session: a dict of JSON values with Flask's flags and flash messages. Its methods are
 * synchronous like Flask's; with the `signed` format the cookie is verified on first use.
 *
 * @typeParam Data - the shape of the session data, e.g. `{ user: string; cart: string[] }`.
 */
export class Session<Data extends object = SessionData> {
  #i: SessionInternals;

  static {
    internalsOf = (session) => session.#i;
  }

  /** @internal Built by `createSessions().load()`; tests may build one directly. */
  constructor(loader?: (() => SessionState | null) | SessionState | null) {
    const lazy = typeof loader === "function" ? loader : undefined;
    const ready = typeof loader === "object" ? loader : null;
    this.#i = {
      loader: lazy,
      state: ready ?? emptyState(),
      accessed: false,
      modified: false,
      isNew: ready === null,
      snapshot: undefined,
      consumed: undefined,
      destroyed: false,
      regenerated: false,
      fresh: false,
      committed: false,
      cleared: false,
    };
  }

  // Runs the lazy loader once and marks the session as accessed (so commit adds Vary: Cookie).
  #use(): SessionState {
    const i = this.#i;
    i.accessed = true;
    return runLoader(i);
  }

  #write(): SessionState {
    if (this.#i.committed) {
      throw new SessionError(
        "already_committed",
        "the session was changed after its response was committed (returned, or on Node its headers sent); change it before that",
      );
    }
    const state = this.#use();
    this.#i.modified = true;
    return state;
  }

  // A value that could be mutated in place is about to leave: remember what was read, so
  // commit can tell a nested mutation from an untouched session.
  #expose(value: unknown): void {
    const i = this.#i;
    if (typeof value === "object" && value !== null && i.snapshot === undefined && !i.modified) {
      i.snapshot = snapshotOf(i.state.data);
    }
  }

  /** The value for `key`, or `fallback` (default `undefined`) when absent. */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined;
  get<K extends keyof Data & string, F>(key: K, fallback: F): Exclude<Data[K], undefined> | F;
  get(key: string, fallback?: unknown): unknown {
    const data = this.#use().data;
    const value = data.get(key);
    if (value === undefined && !data.has(key)) return fallback;
    this.#expose(value);
    return value;
  }

  /** Sets `key` to `value` (a JSON value) and marks the session modified; `undefined` deletes `key`. */
  set<K extends keyof Data & string>(key: K, value: Data[K]): this {
    checkKey(key);
    if (value === undefined) {
      this.delete(key);
      return this;
    }
    this.#write().data.set(key, value);
    return this;
  }

  /** Whether `key` is present. */
  has(key: keyof Data & string): boolean {
    return this.#use().data.has(key);
  }

  /** Removes `key`; returns whether it was present. Modifies the session only when it was. */
  delete(key: keyof Data & string): boolean {
    if (!this.#use().data.has(key)) return false;
    return this.#write().data.delete(key);
  }

  /** Removes `key` and returns its value, or `fallback` (default `undefined`) when absent. */
  pop<K extends keyof Data & string>(key: K): Data[K] | undefined;
  pop<K extends keyof Data & string, F>(key: K, fallback: F): Exclude<Data[K], undefined> | F;
  pop(key: string, fallback?: unknown): unknown {
    const data = this.#use().data;
    if (!data.has(key)) return fallback;
    const value = data.get(key);
    this.#write().data.delete(key);
    return value;
  }

  /** Returns the value of `key`; when absent, sets it to `value` first (like Flask's `setdefault`). */
  setDefault<K extends keyof Data & string>(key: K, value: Data[K]): Data[K] {
    const data = this.#use().data;
    if (data.has(key)) {
      const existing = data.get(key);
      this.#expose(existing);
      return existing as Data[K];
    }
    checkKey(key);
    this.#write().data.set(key, value);
    return value;
  }

  /** Sets every own key of `values` (a key set to `undefined` is deleted, as with `set`). */
  update(values: Partial<Data>): this {
    const keys = Object.keys(values);
    if (keys.length === 0) {
      this.#use();
      return this;
    }
    keys.forEach(checkKey);
    const data = this.#write().data;
    for (const key of keys) {
      const value = (values as Record<string, unknown>)[key];
      if (value === undefined) data.delete(key);
      else data.set(key, value);
    }
    return this;
  }

  /** Removes everything: data, pending flashes and the permanent flag (Flask's `clear`). */
  clear(): void {
    const state = this.#write();
    this.#i.cleared = true;
    state.data.clear();
    state.flashes = [];
    state.permanent = false;
  }

  /** The keys, in insertion order. */
  keys(): Array<keyof Data & string> {
    return [...this.#use().data.keys()] as Array<keyof Data & string>;
  }

  /** The values, in insertion order. */
  values(): Array<Data[keyof Data]> {
    const data = this.#use().data;
    this.#expose(data.size > 0 ? data : null);
    return [...data.values()] as Array<Data[keyof Data]>;
  }

  /** `[key, value]` pairs, in insertion order. */
  entries(): Array<[keyof Data & string, Data[keyof Data]]> {
    const data = this.#use().data;
    this.#expose(data.size > 0 ? data : null);
    return [...data.entries()] as Array<[keyof Data & string, Data[keyof Data]]>;
  }

  /** The number of keys. */
  get size(): number {
    return this.#use().data.size;
  }

  /** The data as a plain object (own properties only, so `__proto__` stays a key). */
  toJSON(): Partial<Data> {
    const data = this.#use().data;
    this.#expose(data.size > 0 ? data : null);
    return Object.fromEntries(data) as Partial<Data>;
  }

  /**
   * Whether the cookie outlives the browser session: `true` gives a cookie that lives
   * `lifetime` seconds (and is refreshed), `false` a browser-session cookie.
   */
  get permanent(): boolean {
    return this.#use().permanent;
  }

  set permanent(value: boolean) {
    if (this.#use().permanent !== Boolean(value)) this.#write().permanent = Boolean(value);
  }

  /**
   * Whether the session will be written. Set it to `true` to force a write, as in Flask;
   * nested mutations of values read with `get` are detected without it.
   */
  get modified(): boolean {
    return this.#i.modified;
  }

  set modified(value: boolean) {
    if (value) this.#write();
    else this.#i.modified = false;
  }

  /**
   * When the session ends if the browser sends no further request after this response: the
   * idle limit (`lifetime`) from this response when it writes or refreshes the cookie, from
   * the last write otherwise, cut at `absoluteLifetime`. `undefined` for a browser-session
   * cookie (`permanent` false), which the browser drops when it closes.
   */
  get expiresAt(): Date | undefined {
    const state = this.#use();
    return this.#i.expiry?.(state, this.#i);
  }

  /** Whether the handler used the session at all (which adds `Vary: Cookie`). */
  get accessed(): boolean {
    return this.#i.accessed;
  }

  /** Whether there was no valid session cookie (a fresh session). */
  get isNew(): boolean {
    this.#use();
    return this.#i.isNew;
  }

  /** Stores a message for the next request that calls {@link flashes} (Flask's `flash`). */
  flash(message: string, category = "message"): void {
    // Refused here, where the mistake is: written as is, the next read would reject the whole
    // cookie and log the user out.
    if (typeof message !== "string")
      throw new TypeError(`flash(message) takes a string, got ${describeValue(message)}; convert it first (String(value) or JSON.stringify(value))`);
    this.#write().flashes.push([String(category), message]);
  }

  /**
   * Takes the flashed messages (Flask's `get_flashed_messages`): the first call removes them
   * from the session, later calls in the same request return the same messages.
   */
  flashes(options: FlashesOptions & { withCategories: true }): Array<[category: string, message: string]>;
  flashes(options?: FlashesOptions): string[];
  flashes(options: FlashesOptions = {}): string[] | Array<[string, string]> {
    const i = this.#i;
    if (i.consumed === undefined) {
      const state = this.#use();
      i.consumed = state.flashes;
      if (state.flashes.length > 0) this.#write().flashes = [];
    } else {
      this.#use();
    }
    const categories = options.categories;
    const picked = categories ? i.consumed.filter(([c]) => categories.includes(c)) : i.consumed;
    return options.withCategories ? picked.map(([c, m]): [string, string] => [c, m]) : picked.map(([, m]) => m);
  }

  /**
   * Keeps the data under a new token (and, with a store, a new id; the old one is deleted).
   * Call it on login and on any privilege change, against session fixation. The session keeps
   * its creation time, so `absoluteLifetime` still counts from the first login; pass
   * `{ fresh: true }` when this is a new login that should start a new absolute lifetime (a
   * session emptied with `clear()` or `destroy()` earlier in the request starts one anyway). The
   * CSRF secret is replaced too, so a token issued before the login stops working.
   */
  regenerate(options?: RegenerateOptions): void {
    // A CSRF token learned before the login (by whoever planted the session) must not work
    // after it: the secret goes with the old token, and csrfToken() makes a new one.
    this.#write().data.delete(CSRF_SESSION_KEY);
    this.#i.regenerated = true;
    this.#i.destroyed = false;
    if (options?.fresh === true) this.#i.fresh = true;
  }

  /** Empties the session and deletes its cookie (and, with a store, its record). */
  destroy(): void {
    this.clear();
    this.#i.destroyed = true;
    this.#i.regenerated = false;
  }

  /**
   * A CSRF token for a form or header of this session (csrf.ts): masked afresh on every call,
   * so two calls differ and each verifies with `sessions.verifyCsrf(request, session)`. The
   * first call creates the session's secret (under the key `csrf_token`, as Flask-WTF does).
   */
  csrfToken(): string {
    return csrfToken(this);
  }
}

/** The internal record of a session, for `sessions.ts` and the codecs. */
export function sessionInternals(session: Session<any>): SessionInternals {
  return internalsOf(session);
}

/** Runs a lazy session's pending loader once (without marking it accessed); its state after. */
export function runLoader(i: SessionInternals): SessionState {
  if (i.loader !== undefined) {
    const loader = i.loader;
    i.loader = undefined;
    const state = loader();
    if (state !== null) {
      i.state = state;
      i.isNew = false;
    } else {
      i.isNew = true;
    }
  }
  return i.state;
}

/** Whether the session holds nothing to write: no data, no pending flash, not permanent. */
export function isEmpty(state: SessionState): boolean {
  return state.data.size === 0 && state.flashes.length === 0 && !state.permanent;
}

/** Whether the session must be written: modified, or a value read with get() was changed in place. */
export function wasChanged(i: SessionInternals): boolean {
  return i.modified || (i.snapshot !== undefined && snapshotOf(i.state.data) !== i.snapshot);
}

/** The canonical text of the data, used to detect nested mutations. */
export function snapshotOf(data: Map<string, unknown>): string {
  const plain = Object.fromEntries(data);
  try {
    return JSON.stringify(plain);
  } catch {
    // BigInts (Flask's big integers) need a replacer; only pay for it when one is present.
    try {
      return JSON.stringify(plain, bigintReplacer);
    } catch {
      // A cycle can't be snapshotted; commit rejects it when writing anyway.
      return "\u0000unserializable";
    }
  }
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `\u0000bigint:${value}` : value;
}
