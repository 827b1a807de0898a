/**
 * The codes a {@link SessionError} carries. Callers branch on `code`, never on the message.
 *
 * - `weak_secret`: a secret failed the secret policy at start-up.
 * - `cookie_too_large`: the session would not fit in one cookie; nothing was written.
 * - `unserializable`: the session holds a value that cannot be written without loss.
 * - `store_unavailable`: the server-side store failed or timed out; fail closed.
 * - `already_committed`: the session was changed after its response was committed.
 * - `invalid_data`: the session data does not match the `schema` option; nothing was written.
 */
export type SessionErrorCode = "weak_secret" | "cookie_too_large" | "unserializable" | "store_unavailable" | "already_committed" | "invalid_data";

/** Why a cookie was turned into a fresh session; passed to the `onInvalid` hook. */
export type InvalidReason =
  | "malformed" // outside the token grammar, undecodable, or too large
  | "bad_signature" // signature, tag or key id did not verify
  | "expired" // idle or absolute limit passed, or a timestamp in the future
  | "ambiguous" // the cookie name appeared with two different valid values
  | "unknown_id" // server-side: no record for this id
  | "schema" // the data failed the schema option, or could not be migrated to its version
  | "rejected"; // the validate option returned false

/**
 * The one error root of websession. Configuration mistakes of the wrong type or range throw
 * the platform's `TypeError` / `RangeError` instead, naming the option and the value.
 *
 * @example
 * ```ts
 * try { return await sessions.commit(session, response); }
 * catch (e) { if (e instanceof SessionError && e.code === "cookie_too_large") ... }
 * ```
 */
export class SessionError extends Error {
  /** A stable, machine-readable reason. */
  readonly code: SessionErrorCode;

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // A string literal, not this.constructor.name, so minifiers cannot mangle it.
    this.name = "SessionError";
  }
}

/** A short, safe rendering of a bad option value for error messages (never a whole secret). */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "function") return "a function";
  if (value === null) return "null";
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === "object") return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}

/**
 * The hint for an unknown option key: the right name when `key` is a common name from another
 * library (`aliases`, keys compared case-insensitively) or a valid key spelled in another case.
 * Returns `""` when there is nothing to suggest, else `"; did you mean X?"`.
 */
export function suggestOption(key: string, aliases: Readonly<Record<string, string>>, valid: ReadonlySet<string>): string {
  const lower = key.toLowerCase();
  for (const name of valid) if (name.toLowerCase() === lower) return `; did you mean ${name}?`;
  for (const [alias, hint] of Object.entries(aliases)) if (alias.toLowerCase() === lower) return `; did you mean ${hint}?`;
  return "";
}

/**
 * `text` safe for a log line or a terminal: control characters (C0, DEL, C1), bidi controls and
 * line/paragraph separators from input (a session key, a header) become `\uXXXX` escapes, so
 * nothing can forge a log line or drive a terminal.
 */
export function safeText(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
