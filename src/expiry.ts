// session.expiresAt: when a session ends if the browser sends nothing more after this response.

import { remainingSeconds } from "./lifetime.ts";
import type { Lifetimes } from "./lifetime.ts";
import { refreshDue } from "./policy.ts";
import type { SessionInternals, SessionState } from "./session.ts";

/** What the expiry of a session depends on, beyond the session itself. */
export interface ExpiryContext extends Lifetimes {
  readonly now: () => number;
  readonly refresh: boolean | number;
}

/**
 * The expiry `session.expiresAt` reports: `undefined` for a browser-session cookie (not
 * permanent); else the end of the idle limit counted from this response when it writes or
 * refreshes the cookie (from the last write otherwise), cut at the absolute limit.
 */
export function expiryOf(context: ExpiryContext): (state: SessionState, i: SessionInternals) => Date | undefined {
  return function expiresAt(state, i) {
    if (!state.permanent) return undefined;
    const nowS = Math.floor(context.now() / 1000);
    const fresh = i.isNew || i.cleared || i.fresh || state.created === 0;
    const created = fresh ? nowS : state.created;
    const written = fresh || i.modified || refreshDue({ permanent: true, isNew: false, lastActive: state.lastActive }, nowS, context.refresh);
    const from = written ? nowS : state.lastActive;
    return new Date((from + remainingSeconds(created, from, context)) * 1000);
  };
}
