// The default format: a readable payload signed with HMAC-SHA-256.
//
//   token    = body "." kid "." signature
//   body     = base64url(UTF-8 JSON {"c":created,"a":lastActive[,"p":1][,"n":nonce][,"f":flashes],"d":data})
//   kid      = 6 base64url chars naming the secret (see keys.ts)
//   signature= base64url(HMAC-SHA-256(signKey, cookieName NUL body "." kid))   ; 43 chars
//
// The MAC covers the exact received text and the cookie name, and is checked (in constant
// time) before anything is decoded. The HMAC is synchronous (@noble/hashes) with each key's
// inner/outer state and the cookie-name prefix prepared once, so a session verifies lazily.

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { base64urlDecode, base64urlEncode, timingSafeEqual, utf8Decoder, utf8Encoder } from "../encoding.ts";
import { assertLosslessJson } from "../json.ts";
import { deriveKeys } from "../keys.ts";
import type { Secret } from "../secret.ts";
import type { Flash, SessionState } from "../session.ts";
import type { Codec, InvalidReason } from "./codec.ts";

const LABEL = "websession/sign/v1";
const SIGNATURE_LENGTH = 43;
const KID_LENGTH = 6;
/** Seconds a timestamp may be ahead of this server's clock. */
export const CLOCK_SKEW = 60;

type PreparedMac = ReturnType<typeof hmac.create>;

interface SignedKey {
  readonly kid: string;
  readonly mac: PreparedMac;
}

/** Options of {@link signedCodec}. */
export interface SignedCodecOptions {
  /** The longest token accepted: 4096 for one cookie (the default), more when chunking. */
  maxTokenLength?: number;
}

/** The `signed` codec for one cookie name and list of secrets (current first). */
export function signedCodec(secrets: readonly Secret[], cookieName: string, options: SignedCodecOptions = {}): Codec {
  const maxTokenLength = options.maxTokenLength ?? 4096;
  let keys: SignedKey[] = [];
  const prefix = utf8Encoder.encode(`${cookieName}\u0000`);
  const ready = deriveKeys(secrets, LABEL).then((derived) => {
    keys = derived.map(({ kid, bytes }) => ({ kid, mac: hmac.create(sha256, bytes).update(prefix) }));
  });

  function sign(mac: PreparedMac, text: string): Uint8Array {
    return mac.clone().update(utf8Encoder.encode(text)).digest();
  }

  return {
    ready,
    clockSkew: CLOCK_SKEW,

    decodeSync(token: string): SessionState | InvalidReason {
      const sigStart = token.length - SIGNATURE_LENGTH;
      const kidStart = sigStart - 1 - KID_LENGTH;
      if (kidStart < 2 || token.length > maxTokenLength || token.charCodeAt(sigStart - 1) !== 46 || token.charCodeAt(kidStart - 1) !== 46) {
        return "malformed";
      }
      const signature = base64urlDecode(token.slice(sigStart));
      if (signature === null) return "malformed";
      const kid = token.slice(kidStart, sigStart - 1);
      const index = keys.findIndex((k) => k.kid === kid);
      if (index === -1) return "bad_signature";
      const signedText = token.slice(0, sigStart - 1);
      if (!timingSafeEqual(sign(keys[index]!.mac, signedText), signature)) return "bad_signature";
      // Verified: only now decode the body.
      const body = base64urlDecode(token.slice(0, kidStart - 1));
      if (body === null) return "malformed";
      const state = parseEnvelope(body);
      if (state === null) return "malformed";
      if (index > 0) state.stale = true;
      return state;
    },

    encode(state: SessionState): string {
      const envelope = serializeEnvelope(state);
      const key = keys[0]!;
      const signedText = `${base64urlEncode(utf8Encoder.encode(envelope))}.${key.kid}`;
      return `${signedText}.${base64urlEncode(sign(key.mac, signedText))}`;
    },
  };
}

/** The envelope JSON for `state` (exported for the `sealed` codec, which shares it). */
export function serializeEnvelope(state: SessionState): string {
  const data = Object.fromEntries(state.data);
  assertLosslessJson(data, "session");
  let head = `{"c":${state.created},"a":${state.lastActive}`;
  if (state.permanent) head += `,"p":1`;
  if (state.nonce !== undefined) head += `,"n":${JSON.stringify(state.nonce)}`;
  if (state.flashes.length > 0) {
    assertLosslessJson(state.flashes, "flashes");
    head += `,"f":${JSON.stringify(state.flashes)}`;
  }
  return `${head},"d":${JSON.stringify(data)}}`;
}

/** Parses envelope bytes (fatal UTF-8, strict shape); `null` for anything unexpected. */
export function parseEnvelope(bytes: Uint8Array): SessionState | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { c, a, p, n, f, d } = value;
  if (!isTimestamp(c) || !isTimestamp(a) || !isRecord(d)) return null;
  if (p !== undefined && p !== 1) return null;
  if (n !== undefined && typeof n !== "string") return null;
  let flashes: Flash[] = [];
  if (f !== undefined) {
    if (!Array.isArray(f) || !f.every(isFlash)) return null;
    flashes = f as Flash[];
  }
  const data = new Map<string, unknown>();
  for (const key of Object.keys(d)) data.set(key, d[key]);
  return { data, flashes, permanent: p === 1, created: c, lastActive: a, nonce: n };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isTimestamp(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isFlash(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";
}
