// Options: the public shape, and their validation, done once when createSessions runs.

import { resolveCookieOptions } from "./cookie.ts";
import type { CookieOptions, ResolvedCookieOptions } from "./cookie.ts";
import type { InvalidReason } from "./errors.ts";
import { SessionError, describe, suggestOption } from "./errors.ts";
import { checkSecretPolicy, normalizeSecrets } from "./secret.ts";
import type { Secret } from "./secret.ts";
import type { SessionStore } from "./stores/store.ts";
import { resolveOwners } from "./owners.ts";
import type { ResolvedOwners, TrackOptions } from "./owners.ts";
import { resolveRevocation } from "./revocation.ts";
import type { ResolvedRevocation, RevocationOptions } from "./revocation.ts";
import type { TokenOptions } from "./tokens.ts";
import { HOOK_KEYS } from "./hooks.ts";
import type { HookOptions } from "./hooks.ts";
import { SCHEMA_KEYS } from "./schema.ts";
import type { SchemaOptions } from "./schema.ts";

/** The cookie formats. */
export type SessionFormat = "signed" | "sealed" | "flask";

/**
 * What happens when the session's cookie would exceed 4096 bytes of name + value: `"error"`
 * throws `SessionError` (`cookie_too_large`) at commit; `"chunk"` spreads it over the cookies
 * `name.0`, `name.1`, ... (at most `MAX_CHUNKS`).
 */
export type OversizePolicy = "error" | "chunk";

/**
 * Options of {@link createSessions}. Only `secret` is required. `Data` types the `schema`
 * and the lifecycle hooks (schema.ts, hooks.ts); without it they take any session, so an
 * adapter's `SessionsOptions` fits every `createSessions<Data>`.
 */
export interface SessionsOptions<Data extends object = any> extends SchemaOptions<Data>, HookOptions<Data> {
  /**
   * The secret, or several: the first signs, all verify (rotation: put the new secret first,
   * keep old ones until their cookies have expired). At least 32 random bytes each.
   */
  secret: Secret | readonly Secret[];
  /**
   * The cookie format. Default `"signed"` (readable payload, HMAC-SHA-256); `"sealed"`
   * encrypts it (AES-256-GCM), so the browser can neither read nor change it.
   */
  format?: SessionFormat;
  /**
   * A session too big for one cookie: `"error"` (the default) throws `SessionError`
   * (`cookie_too_large`) at commit before anything is written; `"chunk"` splits it over
   * `name.0`, `name.1`, ... and deletes chunks it no longer needs. Not with `format: "flask"`.
   */
  oversize?: OversizePolicy;
  /** Cookie name and attributes. */
  cookie?: CookieOptions;
  /**
   * Seconds a session lives after its last write (the idle limit, enforced from the signed
   * timestamp) and the `Max-Age` of a permanent cookie. Default 31 days (Flask's
   * `PERMANENT_SESSION_LIFETIME`); at most 400 days.
   */
  lifetime?: number;
  /** Seconds from creation after which a session ends however often it is refreshed. */
  absoluteLifetime?: number;
  /**
   * Re-issue a permanent session's cookie when it is read: `true` on every request (Flask's
   * `SESSION_REFRESH_EACH_REQUEST`, the default), `false` never, or a number of seconds to
   * wait since the last write (a throttle).
   */
  refresh?: boolean | number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Called with a coarse reason whenever a cookie is rejected. Never receives the cookie. */
  onInvalid?: (reason: InvalidReason) => void;
  /**
   * A server-side store (`memoryStore()`, `redisStore()` from `websession/redis`, `kvStore()`
   * from `websession/kv`, or your own): the cookie then holds only a random id and the data
   * lives in the store, keyed by a hash of the id. Default: none (the data is in the cookie).
   */
  store?: SessionStore;
  /**
   * Milliseconds the store may take for the store calls of one load or commit before the
   * request fails closed with `SessionError` (`store_unavailable`). Default 2000.
   */
  storeTimeout?: number;
  /**
   * The answer when `handle()` or an adapter meets a `SessionError` while loading or saving
   * (a store outage, a session too large to write). Default: `503 Service Unavailable` for
   * `store_unavailable`, `500` otherwise, each with one log line.
   */
  onError?: (error: SessionError, request: Request) => Response | Promise<Response>;
  /** Accept secrets that fail the secret policy (for tests and legacy keys only). */
  unsafeAllowWeakSecret?: boolean;
  /**
   * Names the owner of a session from its data (the user id the app stored at login), so that
   * `sessions.list(owner)`, `revoke` and `revokeAll` work. Needs a store with an owner index
   * (memory, Redis, Postgres). Default: none, nothing is indexed.
   */
  owner?: (data: Data) => string | undefined;
  /** What to record about each owned session for `list` (off by default: personal data). */
  track?: TrackOptions;
  /**
   * Header tokens for API and mobile clients (validated in tokens.ts): read the session token
   * from `Authorization: Bearer <token>` (or a named header) and answer with a response header
   * instead of `Set-Cookie`. Default: cookies only.
   */
  token?: TokenOptions;
  /**
   * Stateless revocation for cookie sessions (`signed`, `sealed`): a store of per-owner
   * generations (`memoryStore().owners`, `redisStore({ client }).owners`) and how often, in
   * seconds, a cookie is checked against it (the revocation window). Needs `owner`.
   */
  revocation?: RevocationOptions;
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  readonly secrets: readonly Secret[];
  readonly format: SessionFormat;
  readonly oversize: OversizePolicy;
  readonly cookie: ResolvedCookieOptions;
  readonly lifetime: number;
  readonly absoluteLifetime: number | undefined;
  readonly refresh: boolean | number;
  readonly now: () => number;
  readonly onInvalid: ((reason: InvalidReason) => void) | undefined;
  /** The server-side store, when sessions live in one. */
  readonly store: SessionStore | undefined;
  /** Milliseconds a load's or commit's store calls may take. */
  readonly storeTimeout: number;
  readonly onError: ((error: SessionError, request: Request) => Response | Promise<Response>) | undefined;
  /** The `owner` and `track` options, when an owner is named. */
  readonly owners?: ResolvedOwners | undefined;
  /** The `revocation` option (cookie sessions), when set. */
  readonly revocation?: ResolvedRevocation | undefined;
}

const DAY = 24 * 3600;
/** 6265bis 5.5: user agents cap cookie lifetimes at 400 days. */
export const MAX_LIFETIME: number = 400 * DAY;
const FORMATS: readonly SessionFormat[] = ["signed", "sealed", "flask"];
// Formats whose cookie another program reads, which knows nothing of chunks, and why.
const UNCHUNKABLE: Readonly<Record<string, string>> = {
  flask: "Flask reads only the one cookie named by SESSION_COOKIE_NAME, so it could not read a session split over several cookies",
};
const KEYS = new Set([
  "secret",
  "format",
  "oversize",
  "cookie",
  "lifetime",
  "absoluteLifetime",
  "refresh",
  "now",
  "onInvalid",
  "store",
  "storeTimeout",
  "onError",
  "unsafeAllowWeakSecret",
  "owner",
  "track",
  "token",
  "revocation",
  ...SCHEMA_KEYS,
  ...HOOK_KEYS,
]);
// Names other session libraries use for these options (express-session, cookie-session,
// iron-session, Flask, React Router, @hono/session), so a port fails with the right name.
const OPTION_ALIASES: Readonly<Record<string, string>> = {
  maxAge: "lifetime (in seconds, not milliseconds)",
  ttl: "lifetime (in seconds)",
  expires: "lifetime (in seconds)",
  expiresIn: "lifetime (in seconds)",
  duration: "lifetime (in seconds)",
  permanentSessionLifetime: "lifetime (in seconds)",
  absoluteTimeout: "absoluteLifetime (in seconds)",
  password: "secret",
  secrets: "secret (a string, or an array of them: current first)",
  keys: "secret (a string, or an array of them: current first)",
  secretKey: "secret",
  encryptionKey: 'secret (with format: "sealed")',
  cookieName: "cookie.name",
  name: "cookie.name",
  cookieOptions: "cookie",
  httpOnly: "cookie.httpOnly",
  secure: "cookie.secure",
  sameSite: "cookie.sameSite",
  domain: "cookie.domain",
  path: "cookie.path",
  partitioned: "cookie.partitioned",
  rolling: "refresh",
  resave: "refresh",
  refreshEachRequest: "refresh",
  encrypt: 'format: "sealed"',
  encrypted: 'format: "sealed"',
  signed: 'format: "signed" (the default)',
  serializer: "format",
  storage: "store",
  timeout: "storeTimeout (milliseconds), or lifetime (seconds)",
  bearer: "token",
  header: "token.header",
  validator: "schema (a Standard Schema validator: Zod, Valibot, ArkType...)",
  schemaVersion: "version",
  migrations: "migrate (one function (data, fromVersion) => data)",
};

/** Validates `options`, throwing `TypeError`, `RangeError` or `SessionError` with what to change. */
export function resolveOptions(options: SessionsOptions<any>): ResolvedOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`createSessions needs an options object with at least { secret }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`option ${key} is unknown${suggestOption(key, OPTION_ALIASES, KEYS)}; valid options: ${[...KEYS].join(", ")}`);
  }
  const format = options.format ?? "signed";
  const oversize = options.oversize ?? "error";
  if (oversize !== "error" && oversize !== "chunk") throw new TypeError(`option oversize is invalid: ${describe(oversize)}; use "error" or "chunk"`);
  if (oversize === "chunk" && typeof format === "string" && Object.hasOwn(UNCHUNKABLE, format)) {
    throw new TypeError(
      `option oversize: "chunk" cannot be used with format: "${format}": ${UNCHUNKABLE[format]}; keep the session under 4096 bytes, or use a server-side store`,
    );
  }
  if (!FORMATS.includes(format)) throw new TypeError(`option format is invalid: ${describe(format)}; use ${FORMATS.map((f) => `"${f}"`).join(" or ")}`);
  const allowWeak = options.unsafeAllowWeakSecret ?? false;
  if (typeof allowWeak !== "boolean") throw new TypeError(`option unsafeAllowWeakSecret must be a boolean, got ${describe(allowWeak)}`);
  const secrets = normalizeSecrets(options.secret);
  if (!allowWeak) {
    try {
      secrets.forEach((s, i) => checkSecretPolicy(s, secrets.length > 1 ? `option secret[${i}]` : "option secret"));
    } catch (error) {
      // Sharing sessions with Flask means using its existing SECRET_KEY, weak or not: say how.
      if (format !== "flask" || !(error instanceof SessionError)) throw error;
      throw new SessionError(
        error.code,
        `${error.message}. To share sessions with a Flask app whose SECRET_KEY fails this policy, set unsafeAllowWeakSecret: true, and replace that key soon (new key first, the old one as a fallback until its cookies expire)`,
      );
    }
  } else {
    // The escape hatch is loud at every start-up (security bar, secret policy rule 8).
    secrets.forEach((s, i) => {
      try {
        checkSecretPolicy(s, secrets.length > 1 ? `secret[${i}]` : "the secret");
      } catch (error) {
        console.warn(
          `websession: WARNING: unsafeAllowWeakSecret is on and ${(error as Error).message}. Anyone holding one cookie can try to guess a weak key offline; replace it.`,
        );
      }
    });
  }
  const cookie = resolveCookieOptions(options.cookie);
  const lifetime = seconds("lifetime", options.lifetime ?? 31 * DAY);
  const absoluteLifetime = options.absoluteLifetime === undefined ? undefined : seconds("absoluteLifetime", options.absoluteLifetime);
  if (absoluteLifetime !== undefined && format === "flask") {
    throw new TypeError(
      `option absoluteLifetime cannot be enforced with format: "flask": Flask's cookie carries one timestamp (its last write), not the creation time; remove absoluteLifetime, or use format "signed" or "sealed"`,
    );
  }
  const refresh = options.refresh ?? true;
  if (typeof refresh !== "boolean") {
    if (typeof refresh !== "number" || !Number.isInteger(refresh) || refresh < 0 || refresh >= lifetime) {
      throw new RangeError(`option refresh is invalid: ${describe(refresh)}; use true, false, or whole seconds below lifetime (${lifetime})`);
    }
  }
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new TypeError(`option now must be a function returning milliseconds, got ${describe(now)}`);
  const onInvalid = options.onInvalid;
  if (onInvalid !== undefined && typeof onInvalid !== "function") throw new TypeError(`option onInvalid must be a function, got ${describe(onInvalid)}`);
  const store = checkStore(options.store);
  const storeTimeout = checkStoreTimeout(options.storeTimeout);
  if (store !== undefined && format !== "signed") {
    throw new TypeError(`option format: "${format}" applies to cookie sessions; with option store the cookie holds only a random id, so remove format`);
  }
  if (store !== undefined && oversize === "chunk") {
    throw new TypeError(
      `option oversize: "chunk" applies to cookie sessions; with option store the cookie holds only a random id and the data can be as large as the store allows, so remove oversize`,
    );
  }
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== "function") throw new TypeError(`option onError must be a function, got ${describe(onError)}`);
  const revocation = resolveRevocation(options.revocation, { format, store, lifetime, owner: options.owner });
  const owners = resolveOwners(options.owner, options.track, store, revocation !== undefined);
  return { secrets, format, oversize, cookie, lifetime, absoluteLifetime, refresh, now, onInvalid, store, storeTimeout, onError, owners, revocation };
}

/** Default milliseconds a store call may take before the request fails closed. */
export const DEFAULT_STORE_TIMEOUT = 2000;

/** Validates the `store` option: an object with `get`, `set` and `delete` (and optionally `patch`). */
function checkStore(value: unknown): SessionStore | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<Record<keyof SessionStore, unknown>> | null;
  const missing =
    typeof v === "object" && v !== null ? (["get", "set", "delete"] as const).filter((m) => typeof v[m] !== "function") : ["get", "set", "delete"];
  if (missing.length > 0) {
    throw new TypeError(
      `option store must be a SessionStore with get, set and delete methods (missing ${missing.join(", ")}), got ${describe(value)}; use memoryStore(), redisStore() or kvStore()`,
    );
  }
  if (v!.patch !== undefined && typeof v!.patch !== "function")
    throw new TypeError(`option store.patch must be a function when present, got ${describe(v!.patch)}`);
  const interval = v!.touchInterval;
  if (interval !== undefined && (typeof interval !== "number" || !Number.isInteger(interval) || interval < 0)) {
    throw new RangeError(`option store.touchInterval is invalid: ${describe(interval)}; use whole seconds, 0 or more`);
  }
  return value as SessionStore;
}

/** Validates the `storeTimeout` option (milliseconds). */
function checkStoreTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_STORE_TIMEOUT;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 60_000) {
    throw new RangeError(`option storeTimeout is invalid: ${describe(value)}; use whole milliseconds from 1 to 60000`);
  }
  return value;
}

function seconds(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value > MAX_LIFETIME) {
    throw new RangeError(`option ${name} is invalid: ${describe(value)}; use whole seconds from 1 to ${MAX_LIFETIME} (400 days, the browsers' cap)`);
  }
  return value;
}
