// The session envelope shared by the `signed` and `sealed` formats: the JSON both carry,
//
//   envelope = {"c":created,"a":lastActive[,"p":1][,"n":nonce][,"f":flashes],"d":data}
//
// and its strict reader. Both formats accept a timestamp up to CLOCK_SKEW seconds ahead.

import { utf8Decoder } from "../encoding.ts";
import { assertLosslessJson, isLosslessJson } from "../json.ts";
import type { Flash, SessionState } from "../session.ts";

/** Seconds a timestamp may be ahead of this server's clock. */
export const CLOCK_SKEW = 60;

/** The envelope JSON for `state`: what `signed` signs and `sealed` encrypts. */
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
  // Only what serializeEnvelope could have written (security bar JSN-06): deeper nesting,
  // 1e999 or a lone surrogate escape would make the next commit of this session throw.
  if (!isTimestamp(c) || !isTimestamp(a) || !isRecord(d) || !isLosslessJson(d)) return null;
  if (p !== undefined && p !== 1) return null;
  if (n !== undefined && typeof n !== "string") return null;
  let flashes: Flash[] = [];
  if (f !== undefined) {
    if (!Array.isArray(f) || !f.every(isFlash) || !isLosslessJson(f)) return null;
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
