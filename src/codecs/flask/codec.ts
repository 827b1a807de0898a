// The `flask` format: exactly the cookie Flask's default session interface writes and reads
// (itsdangerous URLSafeTimedSerializer; shared/docs/flask-format.md), so a Flask app and
// websession share one session.
//
//   cookie    = payload "." timestamp "." signature
//   payload   = b64url(json) / "." b64url(zlib(json))      ; zlib only when it saves 2+ bytes
//   timestamp = b64url(unix seconds, big-endian, leading zero bytes stripped)
//   signature = b64url(HMAC-SHA-1(key, payload "." timestamp))
//   key       = HMAC-SHA-1(secret, "cookie-session")       ; one per secret, derived once
//
// Every step is synchronous (@noble/hashes HMAC with each key's state prepared once, pako
// inflate and a reused deflater), so the session verifies lazily on first use like the `signed` format. The MAC
// covers the exact received text and is checked (in constant time) before anything is decoded.

import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { base64urlDecode, base64urlEncode, timingSafeEqual, utf8Encoder } from "../../encoding.ts";
import { SessionError } from "../../errors.ts";
import type { Secret } from "../../secret.ts";
import type { Flash, SessionState } from "../../session.ts";
import type { InvalidReason } from "../../errors.ts";
import type { Codec } from "../codec.ts";
import { parseTaggedJson } from "./parser.ts";
import { Markup, PyFloat, Tuple } from "./values.ts";
import { dumpTaggedJson } from "./writer.ts";
import { zlibCompressWithin, zlibDecompress } from "./zlib.ts";

const SALT = utf8Encoder.encode("cookie-session");
const SIGNATURE_BYTES = 20;
/**
 * The most bytes a compressed Flask payload may inflate to (64 KiB). Flask has no limit; a
 * cookie holds about 3 KiB of zlib data, so only a payload compressing over 20:1 meets it.
 */
export const MAX_INFLATED_BYTES: number = 64 * 1024;
// Strict UTF-8 that keeps a BOM as U+FEFF, which the JSON parser then refuses (as Python's
// json.loads does); the shared decoder would silently drop it.
const payloadDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

type PreparedMac = ReturnType<typeof hmac.create>;

/**
 * The `flask` codec for a list of secrets, current first: it signs with the first and
 * verifies with each in order (Flask >= 3.1.1 tries `SECRET_KEY`, then `SECRET_KEY_FALLBACKS`
 * newest first). A cookie verified by a later secret decodes with `stale` set, so it is
 * re-issued under the current one.
 */
export function flaskCodec(secrets: readonly Secret[]): Codec {
  const keys: PreparedMac[] = secrets.map((secret) => {
    const bytes = typeof secret === "string" ? utf8Encoder.encode(secret) : secret;
    return hmac.create(sha1, hmac(sha1, bytes, SALT));
  });

  // Each use copies the prepared key state into one reused instance (no allocation per MAC).
  const work = keys[0]?.clone();
  const tag = new Uint8Array(SIGNATURE_BYTES);
  function sign(mac: PreparedMac, text: string): Uint8Array {
    mac._cloneInto(work);
    work!.update(utf8Encoder.encode(text)).digestInto(tag);
    return tag;
  }

  function decodeSync(token: string): SessionState | InvalidReason {
    const sigDot = token.lastIndexOf(".");
    if (sigDot === -1) return "malformed";
    // Only the exact 27-character encoding of a 20-byte MAC is accepted. Python's lenient
    // base64 also takes "sig=", junk characters and other low bits; Flask never writes those.
    const signature = base64urlDecode(token.slice(sigDot + 1));
    if (signature === null || signature.length !== SIGNATURE_BYTES) return "bad_signature";
    const signedText = token.slice(0, sigDot);
    const index = keys.findIndex((mac) => timingSafeEqual(sign(mac, signedText), signature));
    if (index === -1) return "bad_signature";
    // Verified: only now look inside.
    const tsDot = signedText.lastIndexOf(".");
    if (tsDot === -1) return "malformed";
    const time = decodeTimestamp(signedText.slice(tsDot + 1));
    if (time === null) return "malformed";
    const value = decodePayload(signedText.slice(0, tsDot));
    if (value === null) return "malformed";
    const state = toState(value.value, time);
    if (state === null) return "malformed";
    if (index > 0) state.stale = true;
    return state;
  }

  return {
    ready: Promise.resolve(),
    // itsdangerous rejects any timestamp in the future.
    clockSkew: 0,
    synchronous: true,
    decode: decodeSync,

    encode(state: SessionState): string {
      const json = utf8Encoder.encode(payloadJson(state));
      // Flask's rule: compressed only when that is at least 2 bytes shorter.
      const compressed = zlibCompressWithin(json, json.length - 2);
      const payload = compressed !== null ? `.${base64urlEncode(compressed)}` : base64urlEncode(json);
      const signedText = `${payload}.${base64urlEncode(encodeTimestamp(state.lastActive))}`;
      return `${signedText}.${base64urlEncode(sign(keys[0]!, signedText))}`;
    },
  };
}

/**
 * The exact JSON text Flask would put in the cookie for `state`: the data plus Flask's own
 * keys, `_permanent: true` for a permanent session and `_flashes` as (category, message)
 * tuples. Throws `SessionError("unserializable")` for data the format cannot carry.
 */
export function payloadJson(state: SessionState): string {
  const session: Record<string, unknown> = Object.create(null);
  for (const [key, value] of state.data) session[key] = value;
  if (state.data.has("_permanent")) {
    throw new SessionError("unserializable", 'session key "_permanent" is Flask\'s permanent flag; set session.permanent instead');
  }
  if (state.permanent) session._permanent = true;
  if (state.flashes.length > 0) {
    if (state.data.has("_flashes")) {
      throw new SessionError(
        "unserializable",
        'session key "_flashes" holds messages flashed by Flask that are not all (category, message) strings; pop it before flashing from websession',
      );
    }
    session._flashes = state.flashes.map(([category, message]) => new Tuple(category, message));
  }
  return dumpTaggedJson(session);
}

// int_to_bytes: big-endian, leading zero bytes stripped (0 is no bytes at all).
function encodeTimestamp(seconds: number): Uint8Array {
  const bytes: number[] = [];
  for (let t = seconds; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  return Uint8Array.from(bytes);
}

// bytes_to_int on at most 8 bytes. Values past 2^53 lose precision, but they are centuries
// in the future and rejected as such. A leading zero byte is refused: int_to_bytes never
// writes one, so, like the lenient base64 spellings, it only comes from a hand-made cookie.
function decodeTimestamp(segment: string): number | null {
  const bytes = base64urlDecode(segment);
  if (bytes === null || bytes.length > 8 || bytes[0] === 0) return null;
  let t = 0;
  for (const b of bytes) t = t * 256 + b;
  return t;
}

function decodePayload(segment: string): { value: unknown } | null {
  const compressed = segment.startsWith(".");
  let bytes = base64urlDecode(compressed ? segment.slice(1) : segment);
  if (bytes === null) return null;
  if (compressed) bytes = zlibDecompress(bytes, MAX_INFLATED_BYTES);
  if (bytes === null) return null;
  let text: string;
  try {
    text = payloadDecoder.decode(bytes);
  } catch {
    return null;
  }
  return parseTaggedJson(text);
}

// Flask's session dict -> SessionState. Flask keeps one timestamp, the last write, so it is
// both `created` and `lastActive`.
function toState(value: unknown, time: number): SessionState | null {
  const data = new Map<string, unknown>();
  const state: SessionState = { data, flashes: [], permanent: false, created: time, lastActive: time };
  if (value === null) return state; // Flask reads a `null` payload as an empty session
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return null;
  for (const key of Object.keys(value)) data.set(key, (value as Record<string, unknown>)[key]);
  if (data.has("_permanent")) {
    state.permanent = pythonTruthy(data.get("_permanent"));
    data.delete("_permanent");
  }
  const flashes = data.get("_flashes");
  if (Array.isArray(flashes) && flashes.every(isFlash)) {
    state.flashes = flashes.map(([category, message]: Flash): Flash => [category, message]);
    data.delete("_flashes");
  }
  return state;
}

// A (category, message) pair of strings: what flask.flash stores.
function isFlash(entry: unknown): entry is Flash {
  return Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string" && typeof entry[1] === "string";
}

// Python's bool(): what `session.permanent` returns for the stored `_permanent` value.
function pythonTruthy(v: unknown): boolean {
  if (v instanceof PyFloat) return v.value !== 0;
  if (v instanceof Markup) return v.html !== "";
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length > 0;
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return v !== null && v !== false && v !== 0 && v !== 0n && v !== "";
}
