// CSRF tokens bound to the session, after Flask-WTF: a random secret lives in the session
// under Flask-WTF's key `csrf_token` (created on first use), and each form gets a token masked
// afresh (Django and Rails do the same): token = base64url(mask || mask XOR secret). Two
// tokens for one secret share no bytes an attacker could line up through compression (BREACH),
// and any of them verifies, in constant time, for as long as the session lives.

import { base64urlDecode, base64urlEncode, randomBytes, timingSafeEqual, utf8Encoder } from "./encoding.ts";
import type { Session } from "./session.ts";

/** The form field that carries the token (Flask-WTF's `WTF_CSRF_FIELD_NAME`). */
export const CSRF_FIELD = "csrf_token";
/** The request header that carries the token (one of Flask-WTF's `WTF_CSRF_HEADERS`). */
export const CSRF_HEADER = "X-CSRF-Token";
// Flask-WTF's other default header name, accepted too.
const CSRF_HEADER_ALT = "X-CSRFToken";
/** The session key of the secret: Flask-WTF's, so a Flask app sharing the session shares it. */
export const CSRF_SESSION_KEY = "csrf_token";
// A secret shorter than this (someone else's value under the key) is replaced.
const MIN_SECRET = 16;
// Longest token accepted: a 4096-byte secret masked, in base64url.
const MAX_TOKEN = 11000;

/** The session's CSRF secret, created (and the session modified) when it has none. */
function secretOf(session: Session<any>, create: true): Uint8Array;
function secretOf(session: Session<any>, create: false): Uint8Array | undefined;
function secretOf(session: Session<any>, create: boolean): Uint8Array | undefined {
  const stored: unknown = session.get(CSRF_SESSION_KEY);
  if (typeof stored === "string" && stored.length >= MIN_SECRET && stored.length <= 4096) return utf8Encoder.encode(stored);
  if (!create) return undefined;
  // 40 hex characters, the shape Flask-WTF stores (sha1 hex of random bytes).
  const secret = [...randomBytes(20)].map((b) => b.toString(16).padStart(2, "0")).join("");
  session.set(CSRF_SESSION_KEY, secret);
  return utf8Encoder.encode(secret);
}

/**
 * A CSRF token for `session`, masked afresh on every call (two calls differ; each verifies).
 * Creates the session's secret on first use, which modifies the session.
 */
export function csrfToken(session: Session<any>): string {
  const secret = secretOf(session, true);
  const mask = randomBytes(secret.length);
  const token = new Uint8Array(secret.length * 2);
  token.set(mask);
  for (let n = 0; n < secret.length; n++) token[secret.length + n] = mask[n]! ^ secret[n]!;
  return base64urlEncode(token);
}

/** Why a request's CSRF token was refused. */
export type CsrfFailure = "missing" | "session_missing" | "invalid" | "mismatch";

// Flask-WTF's messages, word for word.
const MESSAGES: Readonly<Record<CsrfFailure, string>> = {
  missing: "The CSRF token is missing.",
  session_missing: "The CSRF session token is missing.",
  invalid: "The CSRF token is invalid.",
  mismatch: "The CSRF tokens do not match.",
};

/** Checks `token` against the session's secret: `null` when it matches, else why not. */
export function checkCsrfToken(session: Session<any>, token: string | null | undefined): CsrfFailure | null {
  if (token === null || token === undefined || token === "") return "missing";
  const secret = secretOf(session, false);
  if (secret === undefined) return "session_missing";
  const bytes = token.length > MAX_TOKEN ? null : base64urlDecode(token);
  if (bytes === null || bytes.length !== secret.length * 2) return "invalid";
  const unmasked = new Uint8Array(secret.length);
  for (let n = 0; n < secret.length; n++) unmasked[n] = bytes[n]! ^ bytes[secret.length + n]!;
  return timingSafeEqual(unmasked, secret) ? null : "mismatch";
}

/** The token a request presents: the header first (no body read), else the form field. */
async function presentedToken(request: Request): Promise<string | null> {
  const header = request.headers.get(CSRF_HEADER) ?? request.headers.get(CSRF_HEADER_ALT);
  if (header !== null) return header.trim();
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) return null;
  // A clone, so the handler can still read the form.
  if (request.bodyUsed) return null;
  try {
    const value = (await request.clone().formData()).get(CSRF_FIELD);
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/**
 * Verifies the CSRF token of `request` (header `X-CSRF-Token` or `X-CSRFToken`, else form field
 * `csrf_token` of a urlencoded or multipart body, read from a clone) against `session`.
 * Resolves to `null` when it matches, or to a `403 Forbidden` whose text says why, in
 * Flask-WTF's words (`The CSRF token is missing.`, ...).
 */
export async function verifyCsrf(request: Request, session: Session<any>): Promise<Response | null> {
  const failure = checkCsrfToken(session, await presentedToken(request));
  if (failure === null) return null;
  return new Response(`Forbidden: ${MESSAGES[failure]}\n`, {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-CSRF-Failure": failure },
  });
}
