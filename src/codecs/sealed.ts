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
// is never the signing key. Each cookie gets its own AES key, HKDF-SHA-256(sealKey, salt) with
// a fresh random 128-bit salt, so no AES key ever seals more than one cookie and SP 800-38D's
// limit of 2^32 random-IV encryptions per key cannot be reached however many cookies are
// issued: a key repeats only if two 128-bit salts collide (about 2^64 cookies), and then both
// 96-bit IVs must collide too.
//
// The AAD binds the format version, the key id, the salt, the IV and the cookie name, so a
// cookie moved to another name, key id or version does not open. Every failure after the
// token's shape checks (unknown key id, bad tag, bad UTF-8, bad JSON, bad envelope) is the same
// "bad_signature", after the same work (an unknown key id still runs one decryption), so
// there is no oracle. No compression: the length of a compressed plaintext leaks its content.
//
// Two engines give the same bytes (test/codecs/sealed.test.ts checks each against the other
// and against a cookie written by 0.1.0): @noble/ciphers' AES-GCM and HKDF from @noble/hashes,
// synchronous, so the session decrypts lazily on first use; or WebCrypto, where it runs inline
// (workerd) and beats the pure-JS cipher. Either way the cookie key derived for a (key id,
// salt) pair is cached in a small per-codec map, filled by encode and by each successful
// decode: the cookie a response sets is the one the next request brings, so that request
// skips the HKDF. The cache belongs to the codec, which is rebuilt with its secrets.

import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { MAX_COOKIE_SIZE } from "../cookie.ts";
import { base64urlDecode, base64urlEncode, randomBytes, utf8Encoder } from "../encoding.ts";
import { deriveKeys } from "../keys.ts";
import type { Secret } from "../secret.ts";
import type { SessionState } from "../session.ts";
import type { InvalidReason } from "../errors.ts";
import type { Codec } from "./codec.ts";
import { CLOCK_SKEW, parseEnvelope, serializeEnvelope } from "./envelope.ts";

const LABEL = "websession/seal/v1";
const COOKIE_KEY_INFO = utf8Encoder.encode("websession/seal/v1/cookie-key");
const VERSION = "v1";
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_LENGTH = 22; // base64url characters of SALT_BYTES
const IV_LENGTH = 16; // base64url characters of IV_BYTES
const KID = /^[A-Za-z0-9_-]{6}$/; // 6 base64url characters (keys.ts)
/** Cookie keys kept per codec; the oldest is dropped beyond this. */
export const COOKIE_KEY_CACHE_SIZE = 256;

/** Options of {@link sealedCodec}. */
export interface SealedCodecOptions {
  /** The longest token accepted: 4096 for one cookie (the default), more when chunking. */
  maxTokenLength?: number;
  /**
   * What runs HKDF and AES-256-GCM. Default: `"webcrypto"` inside Cloudflare Workers, `"noble"`
   * elsewhere; both give the same bytes. The default is whichever measured faster on that
   * runtime (`npm run bench`): workerd runs WebCrypto inline on BoringSSL, while Node, Deno
   * and Bun pay a thread hop per call that costs more than the pure-JS cipher on a session
   * cookie. With `"noble"` the codec is synchronous, so an untouched session costs nothing.
   */
  cipher?: "noble" | "webcrypto";
}

const DEFAULT_CIPHER: "noble" | "webcrypto" =
  (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === "Cloudflare-Workers" ? "webcrypto" : "noble";

interface SealKey {
  readonly kid: string;
  /** The 32-byte seal key (noble engine). */
  readonly bytes: Uint8Array;
  /** The same key imported for HKDF (WebCrypto engine). */
  readonly hkdfKey: CryptoKey | undefined;
}

/** A token split into its parts, or why it is refused; shape checks only. */
type Parsed = { kid: string; saltText: string; salt: Uint8Array; iv: Uint8Array; sealed: Uint8Array; header: string } | "malformed";

function parseToken(token: string, maxTokenLength: number): Parsed {
  // Shape checks only look at what the client sent, so they reveal nothing.
  if (token.length > maxTokenLength) return "malformed";
  const parts = token.split(".");
  if (parts.length !== 5) return "malformed";
  const [version, kid, saltText, ivText, sealedText] = parts as [string, string, string, string, string];
  if (version !== VERSION || !KID.test(kid) || saltText.length !== SALT_LENGTH || ivText.length !== IV_LENGTH) return "malformed";
  // base64urlDecode returns fresh ArrayBuffer-backed arrays, as WebCrypto wants them.
  const salt = base64urlDecode(saltText);
  const iv = base64urlDecode(ivText);
  const sealed = base64urlDecode(sealedText);
  if (salt === null || iv === null || sealed === null || sealed.length < TAG_BYTES) return "malformed";
  return { kid, saltText, salt, iv, sealed, header: token.slice(0, token.length - sealedText.length - 1) };
}

/** A bounded map: the oldest entry goes when a new one would exceed `COOKIE_KEY_CACHE_SIZE`. */
function remember<V>(cache: Map<string, V>, id: string, value: V): void {
  if (cache.size >= COOKIE_KEY_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(id, value);
}

/**
 * The `sealed` codec for one cookie name and list of secrets (current first): AES-256-GCM
 * with a per-cookie key (HKDF from a random salt) and a random 96-bit IV. A cookie opened
 * with an older secret comes back `stale`. Synchronous (lazy) with the `"noble"` cipher.
 */
export function sealedCodec(secrets: readonly Secret[], cookieName: string, options: SealedCodecOptions = {}): Codec {
  const maxTokenLength = options.maxTokenLength ?? MAX_COOKIE_SIZE;
  const cipher = options.cipher ?? DEFAULT_CIPHER;
  const namePrefix = `${cookieName}\u0000`;
  let keys: SealKey[] = [];
  const ready = deriveKeys(secrets, LABEL).then(async (derived) => {
    keys = await Promise.all(
      derived.map(async ({ kid, bytes }) => ({
        kid,
        bytes,
        hkdfKey: cipher === "webcrypto" ? await crypto.subtle.importKey("raw", new Uint8Array(bytes), "HKDF", false, ["deriveKey"]) : undefined,
      })),
    );
  });

  /** The key for a token's key id, or the current key when no secret has that id. */
  function keyFor(kid: string): { index: number; key: SealKey } {
    let index = 0;
    while (index < keys.length && keys[index]!.kid !== kid) index++;
    return index === keys.length ? { index: -1, key: keys[0]! } : { index, key: keys[index]! };
  }

  function opened(plaintext: Uint8Array, index: number): SessionState | InvalidReason {
    if (index === -1) return "bad_signature";
    // parseEnvelope decodes UTF-8 fatally before JSON.parse.
    const state = parseEnvelope(plaintext);
    if (state === null) return "bad_signature";
    if (index > 0) state.stale = true;
    return state;
  }

  function newHeader(key: SealKey): { header: string; salt: Uint8Array; iv: Uint8Array; id: string } {
    const salt = randomBytes(SALT_BYTES);
    const iv = randomBytes(IV_BYTES);
    const saltText = base64urlEncode(salt);
    return { header: `${VERSION}.${key.kid}.${saltText}.${base64urlEncode(iv)}`, salt, iv, id: `${key.kid}.${saltText}` };
  }

  if (cipher === "noble") {
    const cookieKeys = new Map<string, Uint8Array>();
    const cookieKey = (key: SealKey, salt: Uint8Array): Uint8Array => hkdf(sha256, key.bytes, salt, COOKIE_KEY_INFO, 32);
    return {
      ready,
      clockSkew: CLOCK_SKEW,
      synchronous: true,

      decode(token: string): SessionState | InvalidReason {
        const parsed = parseToken(token, maxTokenLength);
        if (parsed === "malformed") return parsed;
        // An unknown key id still costs one decryption (under the current key, which fails
        // because the AAD names another kid), so it looks like a bad tag from outside.
        const { index, key } = keyFor(parsed.kid);
        const id = `${key.kid}.${parsed.saltText}`;
        const aesKey = cookieKeys.get(id) ?? cookieKey(key, parsed.salt);
        let plaintext: Uint8Array;
        try {
          plaintext = gcm(aesKey, parsed.iv, utf8Encoder.encode(namePrefix + parsed.header)).decrypt(parsed.sealed);
        } catch {
          return "bad_signature";
        }
        // Only keys that opened a cookie are kept, so forged salts cannot flush the cache.
        if (!cookieKeys.has(id)) remember(cookieKeys, id, aesKey);
        return opened(plaintext, index);
      },

      encode(state: SessionState): string {
        const plaintext = utf8Encoder.encode(serializeEnvelope(state));
        const key = keys[0]!;
        const { header, salt, iv, id } = newHeader(key);
        const aesKey = cookieKey(key, salt);
        const sealed = gcm(aesKey, iv, utf8Encoder.encode(namePrefix + header)).encrypt(plaintext);
        remember(cookieKeys, id, aesKey);
        return `${header}.${base64urlEncode(sealed)}`;
      },
    };
  }

  const cookieKeys = new Map<string, CryptoKey>();
  function cookieKey(key: SealKey, salt: Uint8Array): Promise<CryptoKey> {
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, info: COOKIE_KEY_INFO },
      key.hkdfKey!,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }
  return {
    ready,
    clockSkew: CLOCK_SKEW,
    synchronous: false,

    async decode(token: string): Promise<SessionState | InvalidReason> {
      const parsed = parseToken(token, maxTokenLength);
      if (parsed === "malformed") return parsed;
      const { index, key } = keyFor(parsed.kid);
      const id = `${key.kid}.${parsed.saltText}`;
      let plaintext: Uint8Array;
      let aesKey: CryptoKey;
      try {
        aesKey = cookieKeys.get(id) ?? (await cookieKey(key, parsed.salt));
        const aad = utf8Encoder.encode(namePrefix + parsed.header);
        const params = { name: "AES-GCM", iv: parsed.iv as Uint8Array<ArrayBuffer>, additionalData: aad, tagLength: TAG_BYTES * 8 };
        plaintext = new Uint8Array(await crypto.subtle.decrypt(params, aesKey, parsed.sealed as Uint8Array<ArrayBuffer>));
      } catch {
        return "bad_signature";
      }
      if (!cookieKeys.has(id)) remember(cookieKeys, id, aesKey);
      return opened(plaintext, index);
    },

    async encode(state: SessionState): Promise<string> {
      const plaintext = utf8Encoder.encode(serializeEnvelope(state));
      const key = keys[0]!;
      const { header, salt, iv, id } = newHeader(key);
      const aesKey = await cookieKey(key, salt);
      const params = { name: "AES-GCM", iv: iv as Uint8Array<ArrayBuffer>, additionalData: utf8Encoder.encode(namePrefix + header), tagLength: TAG_BYTES * 8 };
      const sealed = await crypto.subtle.encrypt(params, aesKey, plaintext);
      remember(cookieKeys, id, aesKey);
      return `${header}.${base64urlEncode(new Uint8Array(sealed))}`;
    },
  };
}
