// Tokens made with node:crypto and node:zlib, independently of src/: what an attacker (without
// the key) or a key holder (the "test key" of the security bar) can put in a cookie, so cases
// reach the code behind a valid signature, tag or MAC.

import { Buffer } from "node:buffer";
import { createCipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";

/** base64url without padding, from text (UTF-8) or bytes. */
export function b64(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

/** The `kid` and 32-byte key websession derives from `secret` for `label` (keys.ts, by hand). */
export function derived(secret: string | Uint8Array, label: "websession/sign/v1" | "websession/seal/v1"): { kid: string; key: Buffer } {
  const okm = Buffer.from(hkdfSync("sha256", secret, "websession/v1", label, 36));
  return { kid: okm.subarray(32, 36).toString("base64url").slice(0, 6), key: okm.subarray(0, 32) };
}

/**
 * A `signed` token for `body` (the envelope JSON text, or raw bytes), MAC'd as websession does:
 * HMAC-SHA-256(signKey, cookieName NUL body64 "." kid). `kid` may be overridden.
 */
export function signedToken(secret: string, cookieName: string, body: string | Uint8Array, options: { kid?: string; digest?: "sha256" | "sha1" } = {}): string {
  const { kid, key } = derived(secret, "websession/sign/v1");
  const text = `${b64(body)}.${options.kid ?? kid}`;
  return `${text}.${createHmac(options.digest ?? "sha256", key)
    .update(`${cookieName}\u0000${text}`)
    .digest("base64url")}`;
}

/** A `signed` token whose body is `bodyText` exactly as given (base64url text, canonical or not). */
export function signedTokenFromText(secret: string, cookieName: string, bodyText: string, kid?: string): string {
  const derivedKey = derived(secret, "websession/sign/v1");
  const text = `${bodyText}.${kid ?? derivedKey.kid}`;
  return `${text}.${createHmac("sha256", derivedKey.key).update(`${cookieName}\u0000${text}`).digest("base64url")}`;
}

/** The envelope JSON websession's signed and sealed formats carry. */
export function envelope(data: Record<string, unknown>, created: number, lastActive = created, extra = ""): string {
  return `{"c":${created},"a":${lastActive}${extra},"d":${JSON.stringify(data)}}`;
}

/** A `sealed` token for `plaintext`, sealed as websession does (v1, per-cookie HKDF key, AAD). */
export function sealedToken(secret: string, cookieName: string, plaintext: string | Uint8Array, options: { kid?: string; masterKey?: Buffer } = {}): string {
  const { kid, key: derivedKey } = derived(secret, "websession/seal/v1");
  const key = options.masterKey ?? derivedKey;
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = `v1.${options.kid ?? kid}.${salt.toString("base64url")}.${iv.toString("base64url")}`;
  const cookieKey = Buffer.from(hkdfSync("sha256", key, salt, "websession/seal/v1/cookie-key", 32));
  const cipher = createCipheriv("aes-256-gcm", cookieKey, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`${cookieName}\u0000${header}`));
  const sealed = Buffer.concat([cipher.update(Buffer.from(plaintext)), cipher.final(), cipher.getAuthTag()]);
  return `${header}.${sealed.toString("base64url")}`;
}

/** itsdangerous int_to_bytes: big-endian, leading zero bytes stripped. */
export function timestampBytes(seconds: number): Buffer {
  const bytes: number[] = [];
  for (let t = seconds; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  return Buffer.from(bytes);
}

/**
 * A Flask session cookie as itsdangerous signs it (salt `cookie-session`, HMAC key derivation,
 * SHA-1 by default). `payload` is JSON text, or bytes; `compress` deflates it and adds the dot.
 * `timestamp` may be raw segment text instead of seconds.
 */
export function flaskToken(
  secret: string,
  payload: string | Uint8Array | { segment: string },
  timestamp: number | { segment: string },
  options: { compress?: boolean; salt?: string; digest?: "sha1" | "sha256" } = {},
): string {
  const digest = options.digest ?? "sha1";
  const key = createHmac(digest, secret)
    .update(options.salt ?? "cookie-session")
    .digest();
  let body: string;
  if (typeof payload === "object" && "segment" in payload) body = payload.segment;
  else body = options.compress ? `.${b64(deflateSync(Buffer.from(payload)))}` : b64(payload);
  const ts = typeof timestamp === "number" ? b64(timestampBytes(timestamp)) : timestamp.segment;
  const text = `${body}.${ts}`;
  return `${text}.${createHmac(digest, key).update(text).digest("base64url")}`;
}
