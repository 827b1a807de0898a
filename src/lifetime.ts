// The time rules every mode shares (cookie formats and server-side stores): the idle and
// absolute limits, clock skew, how long a permanent cookie or a store record may still live,
// and how a rejected session is reported.

import type { InvalidReason } from "./errors.ts";
import type { SessionState } from "./session.ts";

/**
 * Seconds a timestamp written by another server (a cookie, a store record) may lie ahead of
 * this server's clock. Flask's format has its own rule (itsdangerous accepts none).
 */
export const CLOCK_SKEW = 60;

/** The limits of one configuration, in seconds. */
export interface Lifetimes {
  readonly lifetime: number;
  readonly absoluteLifetime: number | undefined;
}

/**
 * `undefined` while the session is live; `"past"` once the idle limit (`lifetime` since the
 * last write) or the absolute limit (since creation) has passed; `"future"` when a timestamp
 * lies more than `skew` seconds ahead of `nowS`, or the two are out of order.
 */
export function expiryOf(state: Pick<SessionState, "created" | "lastActive">, nowS: number, limits: Lifetimes, skew: number): "past" | "future" | undefined {
  // Each rule states what must hold, so a NaN anywhere (a broken clock) rejects instead of accepting.
  const limit = nowS + skew;
  if (!(state.created <= limit && state.lastActive <= limit && state.created <= state.lastActive)) return "future";
  if (!(nowS - state.lastActive <= limits.lifetime)) return "past";
  if (limits.absoluteLifetime !== undefined && !(nowS - state.created <= limits.absoluteLifetime)) return "past";
  return undefined;
}

/** Seconds a session created at `created` may live from `nowS`: the idle limit, cut at the absolute one (at least 1). */
export function remainingSeconds(created: number, nowS: number, limits: Lifetimes): number {
  let seconds = limits.lifetime;
  if (limits.absoluteLifetime !== undefined) seconds = Math.min(seconds, created + limits.absoluteLifetime - nowS);
  return Math.max(1, seconds);
}

/** A reporter for the `onInvalid` hook: calls it (a throwing hook never turns a bad cookie into a 500) and returns null. */
export function invalidReporter(onInvalid: ((reason: InvalidReason) => void) | undefined): (reason: InvalidReason) => null {
  return function reject(reason) {
    if (onInvalid !== undefined) {
      try {
        onInvalid(reason);
      } catch {
        // A failing hook must not break the request.
      }
    }
    return null;
  };
}
