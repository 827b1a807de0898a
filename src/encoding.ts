// Bytes <-> text helpers shared by every layer. Tokens are base64url without padding.

export const utf8Encoder: TextEncoder = new TextEncoder();
/**
 * Fatal: invalid UTF-8 in a cookie is a bad cookie, never U+FFFD. A leading byte-order mark is
 * kept as U+FEFF (which JSON.parse refuses), not silently dropped: no writer here emits one.
 */
export const utf8Decoder: TextDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** ALPHABET as character codes (what a base64url digit is as an ASCII byte). */
const DIGITS = new Uint8Array(64);
/** Sextet of an ASCII byte, or -1 for any byte (ASCII or UTF-8 lead/continuation) outside the alphabet. */
const DECODE = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  DIGITS[i] = ALPHABET.charCodeAt(i);
  DECODE[DIGITS[i]!] = i;
}
const asciiDecoder = new TextDecoder();

// Text is built as ASCII bytes and decoded once, and parsed from bytes: one native call each,
// where concatenating or reading a string character by character costs ~10x more (measured).
// The scratch is reused because every use below is synchronous; it grows to the largest input
// up to SCRATCH_MAX and larger inputs get a buffer of their own.
const SCRATCH_MAX = 64 * 1024;

/** A reusable buffer for synchronous work (see {@link scratchOf}). */
export interface Scratch {
  bytes: Uint8Array;
}

/**
 * At least `n` bytes of `scratch`: its buffer, grown (doubling, up to 64 KiB) when too small;
 * a request over 64 KiB gets a buffer of its own. Only for work that finishes before the next
 * use of the same scratch (no `await` in between).
 */
export function scratchOf(scratch: Scratch, n: number): Uint8Array {
  if (n <= scratch.bytes.length) return scratch.bytes;
  if (n > SCRATCH_MAX) return new Uint8Array(n);
  return (scratch.bytes = new Uint8Array(Math.max(n, Math.min(SCRATCH_MAX, scratch.bytes.length * 2))));
}

const shared: Scratch = { bytes: new Uint8Array(1024) };

/** Encodes bytes as base64url without padding (RFC 4648 section 5). */
export function base64urlEncode(bytes: Uint8Array): string {
  const out = scratchOf(shared, Math.ceil(bytes.length / 3) * 4);
  return asciiText(out, base64urlEncodeInto(bytes, out, 0));
}

/**
 * Writes the base64url text of `bytes` into `out` from `offset` as ASCII bytes and returns the
 * offset after it. `out` needs `ceil(bytes.length / 3) * 4` bytes of room.
 */
export function base64urlEncodeInto(bytes: Uint8Array, out: Uint8Array, offset: number): number {
  const n = bytes.length;
  let o = offset;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o] = DIGITS[v >> 18]!;
    out[o + 1] = DIGITS[(v >> 12) & 63]!;
    out[o + 2] = DIGITS[(v >> 6) & 63]!;
    out[o + 3] = DIGITS[v & 63]!;
    o += 4;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out[o++] = DIGITS[v >> 18]!;
    out[o++] = DIGITS[(v >> 12) & 63]!;
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = DIGITS[v >> 18]!;
    out[o++] = DIGITS[(v >> 12) & 63]!;
    out[o++] = DIGITS[(v >> 6) & 63]!;
  }
  return o;
}

/** The text of the ASCII bytes `bytes[0, end)`. */
export function asciiText(bytes: Uint8Array, end: number): string {
  return asciiDecoder.decode(bytes.subarray(0, end));
}

/**
 * Strict base64url decoding: only the url-safe alphabet, no padding, no length of 1 mod 4,
 * and the unused low bits of the last character must be zero, so every byte string has
 * exactly one accepted text. Returns `null` for anything else, never throws.
 */
export function base64urlDecode(text: string): Uint8Array | null {
  const len = text.length;
  if ((len & 3) === 1) return null;
  const bytes = scratchOf(shared, len);
  const { read, written } = utf8Encoder.encodeInto(text, bytes);
  // Anything but ASCII is outside the alphabet.
  if (read !== len || written !== len) return null;
  return base64urlDecodeBytes(bytes, 0, len);
}

/**
 * {@link base64urlDecode} of the ASCII bytes `src[start, end)` (a token already in bytes),
 * into a new array. Bytes outside the alphabet (including any non-ASCII) give `null`.
 */
export function base64urlDecodeBytes(src: Uint8Array, start: number, end: number): Uint8Array | null {
  const len = end - start;
  const rem = len & 3;
  if (len < 0 || rem === 1) return null;
  const out = new Uint8Array((len * 3) >> 2);
  let o = 0;
  let i = start;
  const full = end - rem;
  for (; i < full; i += 4) {
    const a = DECODE[src[i]!]!,
      b = DECODE[src[i + 1]!]!,
      c = DECODE[src[i + 2]!]!,
      d = DECODE[src[i + 3]!]!;
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >> 16;
    out[o + 1] = (v >> 8) & 255;
    out[o + 2] = v & 255;
    o += 3;
  }
  if (rem === 2) {
    const a = DECODE[src[i]!]!,
      b = DECODE[src[i + 1]!]!;
    if ((a | b) < 0 || (b & 15) !== 0) return null;
    out[o] = (a << 2) | (b >> 4);
  } else if (rem === 3) {
    const a = DECODE[src[i]!]!,
      b = DECODE[src[i + 1]!]!,
      c = DECODE[src[i + 2]!]!;
    if ((a | b | c) < 0 || (c & 3) !== 0) return null;
    out[o] = (a << 2) | (b >> 4);
    out[o + 1] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths, never on where
 * they differ. Every signature comparison in websession goes through this function.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** `n` bytes from the platform's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
