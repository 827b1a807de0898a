// Options: the public shape, and their validation, done once when createSessions runs.

import { resolveCookieOptions } from "./cookie.ts";
import type { CookieOptions, ResolvedCookieOptions } from "./cookie.ts";
import type { InvalidReason } from "./codecs/codec.ts";
import { describe } from "./errors.ts";
import { checkSecretPolicy, normalizeSecrets } from "./secret.ts";
import type { Secret } from "./secret.ts";

/** The cookie formats. */
export type SessionFormat = "signed";

/** Options of {@link createSessions}. Only `secret` is required. */
export interface SessionsOptions {
  /**
   * The secret, or several: the first signs, all verify (rotation: put the new secret first,
   * keep old ones until their cookies have expired). At least 32 random bytes each.
   */
  secret: Secret | readonly Secret[];
  /** The cookie format. Default `"signed"` (readable payload, HMAC-SHA-256). */
  format?: SessionFormat;
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
  /** Accept secrets that fail the secret policy (for tests and legacy keys only). */
  unsafeAllowWeakSecret?: boolean;
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  readonly secrets: readonly Secret[];
  readonly format: SessionFormat;
  readonly cookie: ResolvedCookieOptions;
  readonly lifetime: number;
  readonly absoluteLifetime: number | undefined;
  readonly refresh: boolean | number;
  readonly now: () => number;
  readonly onInvalid: ((reason: InvalidReason) => void) | undefined;
}

const DAY = 24 * 3600;
/** 6265bis 5.5: user agents cap cookie lifetimes at 400 days. */
export const MAX_LIFETIME = 400 * DAY;
const FORMATS: readonly SessionFormat[] = ["signed"];
const KEYS = new Set(["secret", "format", "cookie", "lifetime", "absoluteLifetime", "refresh", "now", "onInvalid", "unsafeAllowWeakSecret"]);

/** Validates `options`, throwing `TypeError`, `RangeError` or `SessionError` with what to change. */
export function resolveOptions(options: SessionsOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`createSessions needs an options object with at least { secret }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`option ${key} is unknown; valid options: ${[...KEYS].join(", ")}`);
  }
  const format = options.format ?? "signed";
  if (!FORMATS.includes(format)) throw new TypeError(`option format is invalid: ${describe(format)}; use ${FORMATS.map((f) => `"${f}"`).join(" or ")}`);
  const allowWeak = options.unsafeAllowWeakSecret ?? false;
  if (typeof allowWeak !== "boolean") throw new TypeError(`option unsafeAllowWeakSecret must be a boolean, got ${describe(allowWeak)}`);
  const secrets = normalizeSecrets(options.secret);
  if (!allowWeak) {
    secrets.forEach((s, i) => checkSecretPolicy(s, secrets.length > 1 ? `option secret[${i}]` : "option secret"));
  }
  const cookie = resolveCookieOptions(options.cookie);
  const lifetime = seconds("lifetime", options.lifetime ?? 31 * DAY);
  const absoluteLifetime = options.absoluteLifetime === undefined ? undefined : seconds("absoluteLifetime", options.absoluteLifetime);
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
  return { secrets, format, cookie, lifetime, absoluteLifetime, refresh, now, onInvalid };
}

function seconds(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value > MAX_LIFETIME) {
    throw new RangeError(`option ${name} is invalid: ${describe(value)}; use whole seconds from 1 to ${MAX_LIFETIME} (400 days, the browsers' cap)`);
  }
  return value;
}
