// zlib (RFC 1950) for the flask format, synchronous, through pako (a port of vanilla zlib).
//
// pako is used both ways rather than CompressionStream: its deflate emits the very bytes
// Python's zlib 1.2.13 does (Node's and Chromium's zlib fork do not), and a synchronous
// inflate lets a Flask cookie verify and decode lazily, on the session's first use.

import { Inflate, deflate } from "pako";

/** `zlib.compress(bytes)` as Python writes it: level 6, windowBits 15, memLevel 8. */
export function zlibCompress(bytes: Uint8Array): Uint8Array {
  return deflate(bytes, { level: 6 });
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
