// The contract between a mode and a cookie format.

import type { InvalidReason } from "../errors.ts";
import type { SessionState } from "../session.ts";

/** What decoding a token gives: the state it carries, or why it was refused. */
export type Decoded = SessionState | InvalidReason;

/**
 * A cookie format. Codecs decode only what verified; every failure is an {@link InvalidReason},
 * never an exception. Timestamps are whole seconds; the mode applies the time rules.
 */
export interface Codec {
  /** Resolves once keys are derived; awaited by `load()` only until it has settled. */
  readonly ready: Promise<void>;
  /** Seconds a timestamp may lie in the future (clock skew between servers). */
  readonly clockSkew: number;
  /**
   * Whether `decode` always answers synchronously. Such a codec runs lazily, on the session's
   * first use, so a request that never reads the session costs no cryptography.
   */
  readonly synchronous: boolean;
  /** The state a token carries, or why it was refused (a Promise only when not `synchronous`). */
  decode(token: string): Decoded | Promise<Decoded>;
  /** The cookie value for `state`; throws `SessionError` for data it cannot write. */
  encode(state: SessionState): string | Promise<string>;
}
