// Types for the two CommonJS modules of pako's zlib port that zlib.ts uses directly (pako's
// package exports them as "./lib/zlib/*"; @types/pako covers only the bundled API).

declare module "pako/lib/zlib/zstream.js" {
  /** zlib's z_stream: input and output buffers with their positions. */
  class ZStream {
    input: Uint8Array | null;
    next_in: number;
    avail_in: number;
    output: Uint8Array | null;
    next_out: number;
    avail_out: number;
    /** The deflate state (deflate.js's DeflateState) while a stream is open. */
    state: import("pako/lib/zlib/deflate.js").DeflateState | null;
  }
  export = ZStream;
}

declare module "pako/lib/zlib/deflate.js" {
  import type ZStream from "pako/lib/zlib/zstream.js";
  /** `legacyHash: true` is classic zlib's hash, so the output equals zlib's byte for byte. */
  export function deflateInit2(strm: ZStream, level: number, method: number, windowBits: number, memLevel: number, strategy: number, legacyHash: boolean): number;
  /** The fields of zlib's deflate_state that zlib.ts resets (lm_init's) plus the hash heads. */
  export interface DeflateState {
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
  /** deflateReset without lm_init: counters, status and the Huffman trees. */
  export function deflateResetKeep(strm: ZStream): number;
  export function deflate(strm: ZStream, flush: number): number;
}
