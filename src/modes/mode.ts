// The small interface between createSessions and where a session lives: in the cookie itself
// (modes/cookie.ts) or in a server-side store behind an id (modes/store.ts). A mode opens a
// request's session and later carries out the one write decision (policy.ts) for it.

import type { CookieWrite } from "../cookie.ts";
import type { Decision } from "../policy.ts";
import type { RequestLike } from "../request.ts";
import type { Session } from "../session.ts";

/** A session a mode opened, with what the mode must remember about it until it is saved. */
export interface Opened<Ticket> {
  readonly session: Session<any>;
  /** Mode-specific per-request facts (the chunks the browser holds, the stored record's id). */
  readonly ticket: Ticket;
}

/** What `save` needs beyond the session. */
export interface SaveContext {
  /** Whether the cookie carries `Secure` (resolved for this request). */
  readonly secure: boolean;
  /** Keeps the runtime alive for a write that may finish after the response (`ctx.waitUntil`). */
  readonly waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  /** Told the write decision once it is made (lifecycle hooks, hooks.ts). */
  readonly decided?: ((decision: Decision) => void) | undefined;
}

/** Where sessions live. */
export interface Mode<Ticket> {
  /** The request's session. Never rejects for anything in the request; a store may reject with `store_unavailable`. */
  open(request: RequestLike): Opened<Ticket> | Promise<Opened<Ticket>>;
  /** Carries out the write decision; the cookie writes the response needs. Throws before writing anything. */
  save(session: Session<any>, ticket: Ticket, context: SaveContext): CookieWrite[] | Promise<CookieWrite[]>;
}

/** Reports a rejected cookie to `onInvalid` and stands for "no session". */
export type Reject = (reason: import("../errors.ts").InvalidReason) => null;

/**
 * More distinct values under the session cookie's name than this are ambiguous without
 * verifying any: a browser sends one per Path/Domain it holds, so a longer list is tossed or
 * forged, and verifying each would let one request buy hundreds of HMACs, decryptions or store
 * reads. Work is bounded by distinct values, never by repetitions.
 */
export const MAX_CANDIDATES = 4;

/** The distinct values of `values`, or `null` when there are too many to be a browser's. */
export function candidates(values: readonly string[]): Set<string> | null {
  const distinct = new Set(values);
  return distinct.size > MAX_CANDIDATES ? null : distinct;
}
