// The contract between sessions.ts and a cookie format.

import type { SessionState } from "../session.ts";

/** Why a cookie was turned into a fresh session; passed to the `onInvalid` hook. */
export type InvalidReason =
  | "malformed" // outside the token grammar, undecodable, or too large
  | "bad_signature" // signature, tag or key id did not verify
  | "expired" // idle or absolute limit passed, or a timestamp in the future
  | "ambiguous" // the cookie name appeared with two different valid values
  | "unknown_id"; // server-side: no record for this id

/**
 * A cookie format. Codecs decode only what verified; every failure is an {@link InvalidReason},
 * never an exception. Timestamps are whole seconds; `sessions.ts` applies the time rules.
 */
export interface Codec {
  /** Resolves once keys are derived; awaited by `load()` only until it has settled. */
  readonly ready: Promise<void>;
  /** Seconds a timestamp may lie in the future (clock skew between servers). */
  readonly clockSkew: number;
  /** Synchronous decode, run lazily on the session's first use (no async work allowed). */
  decodeSync?(token: string): SessionState | InvalidReason;
  /** Asynchronous decode, run in `load()` (for zlib, AES-GCM, a store). */
  decode?(token: string): Promise<SessionState | InvalidReason>;
  /** The cookie value for `state`; throws `SessionError` for data it cannot write. */
  encode(state: SessionState): string | Promise<string>;
}
