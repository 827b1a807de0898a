// The `sealed` format: the same envelope as `signed`, encrypted with AES-256-GCM.
//
//   token  = "v1" "." kid "." salt "." iv "." sealed
//   kid    = 6 base64url chars naming the secret (see keys.ts)
//   salt   = base64url(16 random bytes)   ; 22 chars: this cookie's key is HKDF(sealKey, salt)
//   iv     = base64url(12 random bytes)   ; 16 chars: the AES-GCM nonce (96 bits)
//   sealed = base64url(AES-256-GCM(cookieKey, iv, aad, envelope))   ; ciphertext || 16-byte tag
//   aad    = UTF-8(cookieName NUL "v1" "." kid "." salt "." iv)
//
// sealKey is derived from each secret under its own HKDF label ("websession/seal/v1"), so it
// is never the signing key; it is imported once as a non-extractable HKDF CryptoKey and cached.
// Each cookie gets its own AES key, derived from sealKey with a fresh random 128-bit salt, so
// no AES key ever seals more than one cookie and SP 800-38D's limit of 2^32 random-IV
// encryptions per key cannot be reached however many cookies are issued: a key repeats only
// if two 128-bit salts collide (about 2^64 cookies), and then both 96-bit IVs must collide too.
//
// The AAD binds the format version, the key id, the salt, the IV and the cookie name, so a
// cookie moved to another name, key id or version does not open. Every failure after the
// token's shape checks (unknown key id, bad tag, bad UTF-8, bad JSON, bad envelope) is the same
// "bad_signature", after the same work (an unknown key id still runs one decryption), so
// there is no oracle. No compression: the length of a compressed plaintext leaks its content.

import { base64urlDecode, base64urlEncode, randomBytes, utf8Encoder } from "../encoding.ts";
import { deriveKeys } from "../keys.ts";
import type { Secret } from "../secret.ts";
import type { SessionState } from "../session.ts";
import type { InvalidReason } from "../errors.ts";
import type { Codec } from "./codec.ts";
import { CLOCK_SKEW, parseEnvelope, serializeEnvelope } from "./signed.ts";

const LABEL = "websession/seal/v1";
const COOKIE_KEY_INFO = utf8Encoder.encode("websession/seal/v1/cookie-key");
const VERSION = "v1";
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_LENGTH = 22; // base64url characters of SALT_BYTES
const IV_LENGTH = 16; // base64url characters of IV_BYTES
const KID = /^[A-Za-z0-9_-]{6}$/; // 6 base64url characters (keys.ts)

/** Options of {@link sealedCodec}. */
export interface SealedCodecOptions {
  /** The longest token accepted: 4096 for one cookie (the default), more when chunking. */
  maxTokenLength?: number;
}

interface SealKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

/**
 * The `sealed` codec for one cookie name and list of secrets (current first): AES-256-GCM
 * with a per-cookie key (HKDF from a random salt) and a random 96-bit IV. Decoding is async
 * and runs in `load()`; a cookie opened with an older secret comes back `stale`.
 */
export function sealedCodec(secrets: readonly Secret[], cookieName: string, options: SealedCodecOptions = {}): Codec {
  const maxTokenLength = options.maxTokenLength ?? 4096;
  const namePrefix = `${cookieName}\u0000`;
  let keys: SealKey[] = [];
  const ready = deriveKeys(secrets, LABEL).then(async (derived) => {
    keys = await Promise.all(
      derived.map(async ({ kid, bytes }) => ({
        kid,
        key: await crypto.subtle.importKey("raw", new Uint8Array(bytes), "HKDF", false, ["deriveKey"]),
      })),
    );
  });

  function cookieKey(sealKey: CryptoKey, salt: Uint8Array<ArrayBuffer>, usage: KeyUsage): Promise<CryptoKey> {
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt, info: COOKIE_KEY_INFO },
      sealKey,
      { name: "AES-GCM", length: 256 },
      false,
      [usage],
    );
  }

  return {
    ready,
    clockSkew: CLOCK_SKEW,
    synchronous: false,

    async decode(token: string): Promise<SessionState | InvalidReason> {
      // Shape checks only look at what the client sent, so they reveal nothing.
      if (token.length > maxTokenLength) return "malformed";
      const parts = token.split(".");
      if (parts.length !== 5) return "malformed";
      const [version, kid, saltText, ivText, sealedText] = parts as [string, string, string, string, string];
      if (version !== VERSION || !KID.test(kid) || saltText.length !== SALT_LENGTH || ivText.length !== IV_LENGTH) return "malformed";
      // base64urlDecode returns fresh ArrayBuffer-backed arrays, as WebCrypto wants them.
      const salt = base64urlDecode(saltText) as Uint8Array<ArrayBuffer> | null;
      const iv = base64urlDecode(ivText) as Uint8Array<ArrayBuffer> | null;
      const sealed = base64urlDecode(sealedText) as Uint8Array<ArrayBuffer> | null;
      if (salt === null || iv === null || sealed === null || sealed.length < TAG_BYTES) return "malformed";

      const index = keys.findIndex((k) => k.kid === kid);
      // An unknown key id still costs one decryption (under the current key, which fails
      // because the AAD names another kid), so it looks like a bad tag from outside.
      const key = keys[index === -1 ? 0 : index]!;
      const aad = utf8Encoder.encode(namePrefix + token.slice(0, token.length - sealedText.length - 1));
      let plaintext: Uint8Array;
      try {
        const aesKey = await cookieKey(key.key, salt, "decrypt");
        plaintext = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: TAG_BYTES * 8 }, aesKey, sealed));
      } catch {
        return "bad_signature";
      }
      if (index === -1) return "bad_signature";
      // parseEnvelope decodes UTF-8 fatally before JSON.parse.
      const state = parseEnvelope(plaintext);
      if (state === null) return "bad_signature";
      if (index > 0) state.stale = true;
      return state;
    },

    async encode(state: SessionState): Promise<string> {
      const plaintext = utf8Encoder.encode(serializeEnvelope(state));
      const key = keys[0]!;
      const salt = randomBytes(SALT_BYTES) as Uint8Array<ArrayBuffer>;
      const iv = randomBytes(IV_BYTES) as Uint8Array<ArrayBuffer>;
      const header = `${VERSION}.${key.kid}.${base64urlEncode(salt)}.${base64urlEncode(iv)}`;
      const aesKey = await cookieKey(key.key, salt, "encrypt");
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: utf8Encoder.encode(namePrefix + header), tagLength: TAG_BYTES * 8 },
        aesKey,
        plaintext,
      );
      return `${header}.${base64urlEncode(new Uint8Array(sealed))}`;
    },
  };
}
