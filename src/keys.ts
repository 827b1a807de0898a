// Key derivation: one key per purpose from each secret (HKDF-SHA-256 via WebCrypto),
// derived once per secret and cached by the caller, never per request.

import { utf8Encoder, base64urlEncode } from "./encoding.ts";
import type { Secret } from "./secret.ts";

/** A purpose key derived from one secret, with the short id that names it in tokens. */
export interface DerivedKey {
  /** 6 base64url characters (32 bits of HKDF output, independent of the key bytes). */
  readonly kid: string;
  /** 32 bytes of key material. */
  readonly bytes: Uint8Array;
}

const SALT = utf8Encoder.encode("websession/v1");

/**
 * Derives the key for `label` (such as `"websession/sign/v1"`) from every secret, in order.
 * Distinct labels give independent keys, so a signing key never encrypts and vice versa.
 */
export async function deriveKeys(secrets: readonly Secret[], label: string): Promise<DerivedKey[]> {
  const info = utf8Encoder.encode(label);
  return Promise.all(
    secrets.map(async (secret) => {
      const raw: Uint8Array<ArrayBuffer> = typeof secret === "string" ? utf8Encoder.encode(secret) : new Uint8Array(secret);
      const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]);
      const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info }, base, 36 * 8));
      return { bytes: bits.slice(0, 32), kid: base64urlEncode(bits.subarray(32, 36)).slice(0, 6) };
    }),
  );
}
