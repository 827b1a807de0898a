// The default format: a readable payload signed with HMAC-SHA-256.
//
//   token    = body "." kid "." signature
//   body     = base64url(UTF-8 JSON {"c":created,"a":lastActive[,"p":1][,"n":nonce][,"f":flashes],"d":data})
//   kid      = 6 base64url chars naming the secret (see keys.ts)
//   signature= base64url(HMAC-SHA-256(signKey, cookieName NUL body "." kid))   ; 43 chars
//
// The MAC covers the exact received text and the cookie name, and is checked (in constant
// time) before anything is decoded. The HMAC is synchronous (@noble/hashes) with each key's
// inner/outer state and the cookie-name prefix prepared once, so a session verifies lazily;
// it is copied into a reused state per use and fed bytes from reused buffers, so verifying
// and signing allocate almost nothing (bench/ measures the difference).

import { hmac } from "@noble/hashes/hmac.js";
import type { _HMAC } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  asciiText,
  base64urlDecode,
  base64urlDecodeBytes,
  base64urlEncode,
  base64urlEncodeInto,
  timingSafeEqual,
  scratchOf,
  utf8Encoder,
} from "../encoding.ts";
import type { Scratch } from "../encoding.ts";
import { MAX_COOKIE_SIZE } from "../cookie.ts";
import { deriveKeys } from "../keys.ts";
import type { Secret } from "../secret.ts";
import type { SessionState } from "../session.ts";
import type { InvalidReason } from "../errors.ts";
import type { Codec } from "./codec.ts";
import { CLOCK_SKEW, parseEnvelope, serializeEnvelope } from "./envelope.ts";

const LABEL = "websession/sign/v1";
const SIGNATURE_LENGTH = 43;
const KID_LENGTH = 6;
export { CLOCK_SKEW } from "./envelope.ts";

// noble's own type for a SHA-256 HMAC (its generic parameter is the hash's class).
type PreparedMac = _HMAC<any>;

interface SignedKey {
  readonly kid: string;
  /** The HMAC with the key's inner/outer pads and the cookie-name prefix already absorbed. */
  readonly mac: PreparedMac;
  /** Where `mac` is copied for each use, so verifying allocates nothing (see {@link macOf}). */
  readonly work: PreparedMac;
  /** The same key for WebCrypto, where signing uses it (see {@link SignedCodecOptions.signer}). */
  readonly cryptoKey: CryptoKey | undefined;
}

/** Options of {@link signedCodec}. */
export interface SignedCodecOptions {
  /** The longest token accepted: 4096 for one cookie (the default), more when chunking. */
  maxTokenLength?: number;
  /**
   * What computes the HMAC when signing (verifying is always synchronous, for lazy loading).
   * Default: `"webcrypto"` inside Cloudflare Workers, `"noble"` elsewhere. Both give the same
   * bytes; the default is whichever measured faster on that runtime at every cookie size
   * (`npm run bench`): workerd runs WebCrypto inline on BoringSSL (2.7 vs 3.9 µs at 170 bytes,
   * 6 vs 31 µs at 2.5 KB), while Node, Deno and Bun pay a thread hop that costs more than the
   * whole pure-JS HMAC.
   */
  signer?: "noble" | "webcrypto";
}

const DEFAULT_SIGNER: "noble" | "webcrypto" =
  (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === "Cloudflare-Workers" ? "webcrypto" : "noble";

// Scratch shared by every signed codec in this isolate: the token as bytes (decode), the
// envelope's UTF-8 and the token being built (encode), the MAC. Every use is synchronous (a
// WebCrypto call copies its input before returning), so no two uses overlap. The buffers grow
// to the largest token seen (see scratchOf).
const tokenScratch: Scratch = { bytes: new Uint8Array(MAX_COOKIE_SIZE) };
const envelopeScratch: Scratch = { bytes: new Uint8Array(MAX_COOKIE_SIZE) };
const tag = new Uint8Array(32);

/** HMAC of `bytes` under `key` (cookie-name prefix included), into the shared `tag`. */
function macOf(key: SignedKey, bytes: Uint8Array): Uint8Array {
  key.mac._cloneInto(key.work);
  key.work.update(bytes).digestInto(tag);
  return tag;
}

/** The `signed` codec for one cookie name and list of secrets (current first). */
export function signedCodec(secrets: readonly Secret[], cookieName: string, options: SignedCodecOptions = {}): Codec {
  const maxTokenLength = options.maxTokenLength ?? MAX_COOKIE_SIZE;
  const signer = options.signer ?? DEFAULT_SIGNER;
  let keys: SignedKey[] = [];
  const prefix = utf8Encoder.encode(`${cookieName}\u0000`);
  const ready = deriveKeys(secrets, LABEL).then(async (derived) => {
    keys = await Promise.all(
      derived.map(async ({ kid, bytes }, index) => {
        const mac: PreparedMac = hmac.create(sha256, bytes).update(prefix);
        const cryptoKey =
          signer === "webcrypto" && index === 0
            ? await crypto.subtle.importKey("raw", bytes as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
            : undefined;
        return { kid, mac, work: mac.clone(), cryptoKey };
      }),
    );
  });

  return {
    ready,
    clockSkew: CLOCK_SKEW,
    synchronous: true,

    decode(token: string): SessionState | InvalidReason {
      const len = token.length;
      const sigStart = len - SIGNATURE_LENGTH;
      const kidStart = sigStart - 1 - KID_LENGTH;
      if (kidStart < 2 || len > maxTokenLength || token.charCodeAt(sigStart - 1) !== 46 || token.charCodeAt(kidStart - 1) !== 46) {
        return "malformed";
      }
      // The token as bytes, once: signature, MAC input and body are all slices of it. A token
      // with non-ASCII characters (never a valid one) takes the same steps on its UTF-8 text.
      const bytes = scratchOf(tokenScratch, len);
      const { read, written } = utf8Encoder.encodeInto(token, bytes);
      const ascii = read === len && written === len;
      const signature = ascii ? base64urlDecodeBytes(bytes, sigStart, len) : base64urlDecode(token.slice(sigStart));
      if (signature === null) return "malformed";
      const kid = token.slice(kidStart, sigStart - 1);
      let index = 0;
      while (index < keys.length && keys[index]!.kid !== kid) index++;
      if (index === keys.length) return "bad_signature";
      const signed = ascii ? bytes.subarray(0, sigStart - 1) : utf8Encoder.encode(token.slice(0, sigStart - 1));
      if (!timingSafeEqual(macOf(keys[index]!, signed), signature)) return "bad_signature";
      // Verified: only now decode the body.
      const body = ascii ? base64urlDecodeBytes(bytes, 0, kidStart - 1) : base64urlDecode(token.slice(0, kidStart - 1));
      if (body === null) return "malformed";
      const state = parseEnvelope(body);
      if (state === null) return "malformed";
      if (index > 0) state.stale = true;
      return state;
    },

    encode(state: SessionState): string | Promise<string> {
      const envelope = serializeEnvelope(state);
      const key = keys[0]!;
      // UTF-8 of the envelope, then the token built in place as ASCII bytes after the MAC's
      // cookie-name prefix: base64url(envelope) "." kid, the MAC of prefix + that, "."
      // base64url(MAC); one string at the end.
      const utf8 = scratchOf(envelopeScratch, envelope.length * 3);
      const n = utf8Encoder.encodeInto(envelope, utf8).written;
      const p = prefix.length;
      const out = scratchOf(tokenScratch, p + Math.ceil(n / 3) * 4 + 2 + KID_LENGTH + SIGNATURE_LENGTH);
      let o = base64urlEncodeInto(utf8.subarray(0, n), out, p);
      out[o++] = 46;
      for (let i = 0; i < key.kid.length; i++) out[o++] = key.kid.charCodeAt(i);
      if (key.cryptoKey !== undefined) {
        out.set(prefix, 0);
        const signedText = asciiText(out.subarray(p), o - p);
        return crypto.subtle
          .sign("HMAC", key.cryptoKey, out.subarray(0, o) as Uint8Array<ArrayBuffer>)
          .then((mac) => `${signedText}.${base64urlEncode(new Uint8Array(mac))}`);
      }
      const mac = macOf(key, out.subarray(p, o));
      out[o++] = 46;
      o = base64urlEncodeInto(mac, out, o);
      return asciiText(out.subarray(p), o - p);
    },
  };
}
