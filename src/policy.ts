// The one write decision, for every mode (Flask's SessionInterface.should_set_cookie): what a
// session needs at commit, decided once from facts the mode gathered; the mode only carries
// it out (a cookie codec re-encodes, a store patches or touches). Pure: no I/O, no clock.

import type { SetCookieParts } from "./cookie.ts";
import { remainingSeconds } from "./lifetime.ts";
import type { Lifetimes } from "./lifetime.ts";

/** What a mode knows about a session when it commits. */
export interface Facts {
  /** No data, no pending flash, not permanent. */
  readonly empty: boolean;
  /** Something that would be written differs from what was read (or `modified` was set). */
  readonly changed: boolean;
  /** `destroy()` ran (and was not undone by `regenerate()`). */
  readonly destroyed: boolean;
  /** `regenerate()` ran: the session moves to a new token (a new id, a new nonce). */
  readonly regenerated: boolean;
  /** There was no valid session to load. */
  readonly isNew: boolean;
  /** The cookie verified under an older secret: re-issue it under the current one. */
  readonly stale: boolean;
  readonly permanent: boolean;
  /** Seconds since the epoch of the last write. */
  readonly lastActive: number;
}

/**
 * - `none`: nothing on the wire.
 * - `delete`: delete the cookie (and a store's record): the session was emptied or destroyed.
 * - `write`: write the session (a new token when `rotate`: regenerate(), or destroy() and refill).
 * - `refresh`: only re-issue the cookie with a new expiry (a store touches its record).
 */
export type Decision =
  { readonly action: "none" } | { readonly action: "delete" } | { readonly action: "write"; readonly rotate: boolean } | { readonly action: "refresh" };

const NONE: Decision = { action: "none" };
const DELETE: Decision = { action: "delete" };
const WRITE: Decision = { action: "write", rotate: false };
const ROTATE: Decision = { action: "write", rotate: true };
const REFRESH: Decision = { action: "refresh" };

/**
 * The decision for `facts` at `nowS`. `refresh` is the option (`true`: every request, `false`:
 * never, a number: at most that often); `minInterval` is a store's own throttle (seconds).
 */
export function decide(facts: Facts, nowS: number, refresh: boolean | number, minInterval = 0): Decision {
  // Flask deletes a session emptied by the handler; an untouched empty session writes nothing.
  if (facts.empty) return facts.changed || facts.destroyed ? DELETE : NONE;
  if (facts.regenerated || (facts.destroyed && facts.changed)) return ROTATE;
  if (facts.changed || facts.stale) return WRITE;
  return refreshDue(facts, nowS, refresh, minInterval) ? REFRESH : NONE;
}

/** Whether a permanent session's cookie is due to be re-issued (Flask's SESSION_REFRESH_EACH_REQUEST). */
export function refreshDue(facts: Pick<Facts, "permanent" | "isNew" | "lastActive">, nowS: number, refresh: boolean | number, minInterval = 0): boolean {
  if (!facts.permanent || facts.isNew) return false;
  const since = nowS - facts.lastActive;
  if (since < minInterval) return false;
  return refresh === true || (refresh !== false && since >= refresh);
}

/**
 * The creation time a written session carries. A new absolute lifetime starts only for a
 * new session, one emptied (`clear()`/`destroy()`) in this request before being filled
 * again, or `regenerate({ fresh: true })`; `regenerate()` alone keeps it, so rotating the
 * token can never extend `absoluteLifetime`.
 */
export function createdAt(previous: number, nowS: number, restart: { isNew: boolean; cleared: boolean; fresh: boolean }): number {
  return restart.isNew || restart.cleared || restart.fresh || previous === 0 ? nowS : previous;
}

/** The expiry attributes of the cookie: none for a browser-session cookie, else what the limits leave. */
export function cookieExpiry(permanent: boolean, created: number, nowS: number, limits: Lifetimes): Omit<SetCookieParts, "secure"> {
  if (!permanent) return {};
  const maxAge = remainingSeconds(created, nowS, limits);
  return { maxAge, expires: (nowS + maxAge) * 1000 };
}
