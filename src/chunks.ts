// Chunked cookies: one token spread over `name.0`, `name.1`, ... when it is too big for one
// cookie. Pure functions on strings; sessions.ts calls them, the codec verifies the result.
//
// A chunk carries no header of its own: the reader concatenates `name.0`, `name.1`, ... in
// index order (never header order) up to the first missing index, and the codec verifies the
// whole token as one. So a missing, extra, reordered or foreign chunk changes the token and
// fails its MAC or tag: there is nothing to trust in a chunk except through the whole.

import { MAX_COOKIE_SIZE, readCookie } from "./cookie.ts";
import { SessionError } from "./errors.ts";

/**
 * The most cookies a chunked session may use (`name.0` to `name.2`), about 12 KB. Chunk
 * cookies count against request header limits on every request: Cloudflare and Vercel refuse a
 * header over 16 KB, Node.js refuses 16 KiB of headers in total, nginx by default refuses any
 * header line over 8 KB (so even two chunks need `large_client_header_buffers` raised). Three
 * chunks leave room for the other headers under the 16 KB limits; beyond that, a browser could
 * hold cookies that make every later request fail, so a bigger session is an error instead.
 */
export const MAX_CHUNKS = 3;

/** One cookie to write: a chunk name and its part of the token. */
export interface ChunkCookie {
  readonly name: string;
  readonly value: string;
}

/** What a request's Cookie header holds under a session cookie's name and its chunk names. */
export interface SentCookies {
  /**
   * The candidate tokens, for the codec to verify: every value sent under `name` itself, in
   * header order, then the token reassembled from the chunks when `name.0` was sent. `null`
   * when a chunk name was sent with two different values (a tossed or stale duplicate): no
   * chunk can be trusted to belong to the others, so the session is ambiguous.
   */
  readonly tokens: string[] | null;
  /** Whether the browser holds a cookie under `name` itself. */
  readonly plain: boolean;
  /** The chunk names the browser holds (any index below the limit), in index order. */
  readonly chunkNames: string[];
}

/** The cookie name of chunk `index` of cookie `name`: `name.0`, `name.1`, ... */
export function chunkName(name: string, index: number): string {
  return `${name}.${index}`;
}

/** The longest token that fits in `maxChunks` chunk cookies of `name`. */
export function maxChunkedLength(name: string, maxChunks: number = MAX_CHUNKS): number {
  let total = 0;
  for (let i = 0; i < maxChunks; i++) total += MAX_COOKIE_SIZE - chunkName(name, i).length;
  return total;
}

/**
 * Splits `value` over the chunk cookies `name.0`, `name.1`, ..., filling each to exactly
 * 4096 bytes of name + value (the last takes the rest). Throws `SessionError`
 * (`cookie_too_large`) naming the size and the limit when it would need more than
 * `maxChunks` cookies.
 */
export function splitIntoChunks(name: string, value: string, maxChunks: number = MAX_CHUNKS): ChunkCookie[] {
  const limit = maxChunkedLength(name, maxChunks);
  if (value.length > limit) {
    throw new SessionError(
      "cookie_too_large",
      `the session needs ${value.length} bytes of cookie value, over the ${limit} bytes that ${maxChunks} chunk cookies (${chunkName(name, 0)} to ${chunkName(name, maxChunks - 1)}, 4096 bytes of name + value each) can carry; store less in the session or use a server-side store. Nothing was written; the previous cookies stay.`,
    );
  }
  const chunks: ChunkCookie[] = [];
  for (let start = 0, i = 0; start < value.length; i++) {
    const chunk = chunkName(name, i);
    const end = start + MAX_COOKIE_SIZE - chunk.length;
    chunks.push({ name: chunk, value: value.slice(start, end) });
    start = end;
  }
  return chunks;
}

/**
 * Reads `name` and its chunk cookies `name.0` ... `name.{maxChunks-1}` from a Cookie header
 * (with `readCookie`, so names match byte for byte). Chunks are joined in index order from
 * `name.0` up to the first missing index; a chunk name sent twice with the same value counts
 * once. Linear in the header length per name, never throws.
 */
export function collectChunks(header: string | null, name: string, maxChunks: number = MAX_CHUNKS): SentCookies {
  const plainValues = readCookie(header, name);
  const chunkNames: string[] = [];
  const parts: Array<string | undefined> = [];
  let ambiguous = false;
  for (let i = 0; i < maxChunks; i++) {
    const chunk = chunkName(name, i);
    const values = readCookie(header, chunk);
    if (values.length === 0) {
      parts.push(undefined);
      continue;
    }
    chunkNames.push(chunk);
    if (values.some((v) => v !== values[0])) ambiguous = true;
    parts.push(values[0]);
  }
  let tokens: string[] | null = plainValues;
  if (ambiguous) {
    tokens = null;
  } else if (parts[0] !== undefined) {
    let joined = "";
    for (const part of parts) {
      if (part === undefined) break;
      joined += part;
    }
    tokens = [...plainValues, joined];
  }
  return { tokens, plain: plainValues.length > 0, chunkNames };
}

/**
 * The cookie names to delete after a response writes `written`: whatever the browser sent
 * (`name` itself and any chunk) that this response does not overwrite. Deleting them keeps
 * the browser's jar equal to what was written, so a session that shrinks, or switches
 * between one cookie and chunks, leaves nothing behind.
 */
export function staleCookieNames(sent: SentCookies, name: string, written: readonly string[]): string[] {
  const stale: string[] = [];
  if (sent.plain && !written.includes(name)) stale.push(name);
  for (const chunk of sent.chunkNames) if (!written.includes(chunk)) stale.push(chunk);
  return stale;
}
