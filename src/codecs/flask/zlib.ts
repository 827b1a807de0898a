// zlib (RFC 1950) for the flask format, synchronous, through pako (a port of vanilla zlib).
//
// pako is used both ways rather than CompressionStream: its deflate emits the very bytes
// Python's zlib 1.2.13 does (Node's and Chromium's zlib fork do not), and a synchronous
// inflate lets a Flask cookie verify and decode lazily, on the session's first use.
//
// Writing: Flask compresses only when that saves at least 2 bytes. One deflate state is kept
// and reset per cookie (pako's one-shot deflate allocates ~260 KB of window and hash tables
// each call, which cost more than everything else in writing a cookie), and its output room
// is exactly what a useful result may take, so an incompressible payload stops early. zlib's
// output does not depend on how much output room it is given, so the bytes are the one-shot
// bytes (test/codecs/flask.test.ts compares them with Python's for many payloads).

import { Inflate } from "pako";
// pako's zlib port itself (CommonJS; the package exports it as "./lib/zlib/*"). @types/pako
// covers only the bundled API, so the little used here is typed below.
// @ts-ignore: no declaration file for this module
import deflateModule from "pako/lib/zlib/deflate.js";
// @ts-ignore: no declaration file for this module
import ZStreamModule from "pako/lib/zlib/zstream.js";

/** zlib's z_stream: input and output buffers with their positions. */
interface ZStream {
  input: Uint8Array | null;
  next_in: number;
  avail_in: number;
  output: Uint8Array | null;
  next_out: number;
  avail_out: number;
  state: DeflateState | null;
}

/** The fields of zlib's deflate_state that deflateReset's lm_init sets, and the hash heads. */
interface DeflateState {
  head: Uint16Array;
  window_size: number;
  max_lazy_match: number;
  good_match: number;
  nice_match: number;
  max_chain_length: number;
  strstart: number;
  block_start: number;
  lookahead: number;
  insert: number;
  match_length: number;
  prev_length: number;
  match_available: number;
  ins_h: number;
}

const { deflate, deflateInit2, deflateResetKeep } = deflateModule as {
  /** `legacyHash: true` is classic zlib's hash, so the output equals zlib's byte for byte. */
  deflateInit2(strm: ZStream, level: number, method: number, windowBits: number, memLevel: number, strategy: number, legacyHash: boolean): number;
  /** deflateReset without lm_init: counters, status and the Huffman trees. */
  deflateResetKeep(strm: ZStream): number;
  deflate(strm: ZStream, flush: number): number;
};
const ZStream = ZStreamModule as new () => ZStream;

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_FINISH = 4;
const Z_DEFLATED = 8;
const Z_DEFAULT_STRATEGY = 0;

// The deflater: level 6, windowBits 15, memLevel 8 (Python's zlib.compress), created on first
// use. Every use is synchronous, so two cookies never share it at once.
let stream: ZStream | undefined;
// lm_init's state right after deflateInit2: what deflateReset restores besides the hash heads.
let initial: Record<string, number> = {};
const LM_FIELDS = [
  "window_size",
  "max_lazy_match",
  "good_match",
  "nice_match",
  "max_chain_length",
  "strstart",
  "block_start",
  "lookahead",
  "insert",
  "match_length",
  "prev_length",
  "match_available",
  "ins_h",
] as const;

/**
 * The deflater, reset: zlib's deflateReset (deflateResetKeep, then lm_init) with the 64 KiB
 * hash-head table cleared by one native `fill` (pako clears it element by element, which
 * costs more than compressing a session cookie). Same state, so the same bytes.
 */
function deflater(): ZStream {
  if (stream === undefined) {
    const created = new ZStream();
    if (deflateInit2(created, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY, true) !== Z_OK) throw new Error("zlib: deflateInit2 failed");
    const state = created.state!;
    initial = Object.fromEntries(LM_FIELDS.map((field) => [field, state[field]]));
    stream = created;
    return created;
  }
  if (deflateResetKeep(stream) !== Z_OK) throw new Error("zlib: deflateReset failed");
  const state: DeflateState = stream.state!;
  state.head.fill(0);
  for (const field of LM_FIELDS) state[field] = initial[field]!;
  return stream;
}

/**
 * `zlib.compress(bytes)` as Python writes it (level 6, windowBits 15, memLevel 8), when that
 * is at most `maxLength` bytes long; `null` when it would be longer.
 */
export function zlibCompressWithin(bytes: Uint8Array, maxLength: number): Uint8Array | null {
  if (maxLength <= 0) return null;
  const strm = deflater();
  const out = new Uint8Array(maxLength);
  strm.input = bytes;
  strm.next_in = 0;
  strm.avail_in = bytes.length;
  strm.output = out;
  strm.next_out = 0;
  strm.avail_out = maxLength;
  const status = deflate(strm, Z_FINISH);
  const written = strm.next_out;
  // Drop the references to this cookie's buffers (the window keeps its own copy until reset).
  strm.input = null;
  strm.output = null;
  return status === Z_STREAM_END ? out.subarray(0, written) : null;
}

const CHUNK = 16 * 1024;
// Thrown from pako's output callback to stop inflating at the cap.
const OVER_CAP = Object.freeze({ overCap: true });

/**
 * `zlib.decompress(bytes)`: the inflated bytes, or `null` when the stream is corrupt,
 * truncated, fails its Adler-32 check, or would inflate past `maxBytes` (a zip bomb stops
 * there: at most `maxBytes` plus one 16 KiB chunk is ever held). Bytes after the end of the
 * stream are ignored, as Python does. Never throws.
 */
export function zlibDecompress(bytes: Uint8Array, maxBytes: number): Uint8Array | null {
  // windowBits 15 explicitly: pako otherwise also accepts gzip, which Python's zlib refuses.
  const inflater = new Inflate({ chunkSize: CHUNK, windowBits: 15 });
  const chunks: Uint8Array[] = [];
  let total = 0;
  inflater.onData = (chunk: Uint8Array): void => {
    total += chunk.length;
    if (total > maxBytes) throw OVER_CAP;
    chunks.push(chunk);
  };
  try {
    if (!inflater.push(bytes, true) || inflater.err !== 0) return null;
  } catch {
    return null;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
