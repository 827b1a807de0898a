// The session's headers on a response: Set-Cookie (one per name), Vary: Cookie and
// Cache-Control: private. `withSessionHeaders` does it on a Web `Response`; the pure helpers
// let an adapter do the same on any other response object (Node's ServerResponse, a
// framework's headers), so every adapter follows one rule.

import type { CookieWrite } from "./cookie.ts";

/** What a committed session needs on the response; see `Sessions.save`. */
export interface SessionWrites {
  /** The cookies to write, in order (empty when nothing is to be written). */
  readonly cookies: readonly CookieWrite[];
  /** Whether the session was read, so the response must carry `Vary: Cookie`. */
  readonly vary: boolean;
  /**
   * Response headers that carry the session token instead of `Set-Cookie` (option `token`,
   * for a request that presented its token in a header); absent otherwise.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The `Vary` value that adds `Cookie` to `existing`, or `undefined` when it already covers it
 * (`Cookie` or `*` listed, compared case-insensitively).
 */
export function mergeVary(existing: string | null | undefined): string | undefined {
  if (existing === null || existing === undefined || existing.trim() === "") return "Cookie";
  return /(^|,)\s*(\*|cookie)\s*(,|$)/i.test(existing) ? undefined : `${existing}, Cookie`;
}

/**
 * The `Set-Cookie` values to keep from `existing` when the session writes `writes`: every one
 * except those for the same cookie names (one `Set-Cookie` per name). `existing` itself when
 * none is replaced, so a caller can skip rewriting the header.
 */
export function otherSetCookies(existing: readonly string[], writes: readonly CookieWrite[]): readonly string[] {
  if (existing.length === 0 || writes.length === 0) return existing;
  const prefixes = writes.map((c) => `${c.name}=`);
  const ours = (line: string): boolean => prefixes.some((p) => line.startsWith(p));
  return existing.some(ours) ? existing.filter((line) => !ours(line)) : existing;
}

/** The `Set-Cookie` values a response ends with: the app's own (see {@link otherSetCookies}), then the session's. */
export function mergeSetCookies(existing: readonly string[], writes: readonly CookieWrite[]): string[] {
  return [...otherSetCookies(existing, writes), ...writes.map((c) => c.header)];
}

/**
 * Whether to add `Cache-Control: private`: when the response sets a session cookie and the app
 * chose no caching policy, it must stay out of shared caches.
 */
export function needsPrivateCache(writes: readonly CookieWrite[], hasCacheControl: boolean): boolean {
  return writes.length > 0 && !hasCacheControl;
}

/**
 * `response` carrying `writes`: the headers are set on the response itself when they can be
 * (copying its body costs more than the whole session); a response with immutable headers (a
 * fetch() result, Response.redirect) gets a copy, which is what must then be returned.
 */
export function withSessionHeaders(response: Response, writes: SessionWrites): Response {
  if (!writes.vary) return response;
  // Immutable headers throw on the first change, before anything changed.
  try {
    applySessionHeaders(response.headers, writes.cookies);
    return response;
  } catch {
    // 1xx (WebSocket upgrades) cannot be rebuilt with the Response constructor: not written.
    if (response.status < 200) return response;
  }
  const headers = new Headers(response.headers);
  applySessionHeaders(headers, writes.cookies);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function applySessionHeaders(headers: Headers, cookies: readonly CookieWrite[]): void {
  const vary = mergeVary(headers.get("Vary"));
  if (vary !== undefined) headers.set("Vary", vary);
  if (cookies.length === 0) return;
  const existing = headers.getSetCookie();
  const kept = otherSetCookies(existing, cookies);
  if (kept !== existing) {
    headers.delete("Set-Cookie");
    for (const line of kept) headers.append("Set-Cookie", line);
  }
  for (const c of cookies) headers.append("Set-Cookie", c.header);
  if (needsPrivateCache(cookies, headers.has("Cache-Control"))) headers.set("Cache-Control", "private");
}

/** Whether `value` is a Response: structural, since @hono/node-server swaps the global class. */
export function isResponse(value: unknown): value is Response {
  return typeof value === "object" && value !== null && typeof (value as Response).status === "number" && (value as Response).headers instanceof Headers;
}

/** Bytes of `name=value` the response's cookies add to every later request (deletions add none). */
export function cookieHeaderBytes(setCookies: readonly string[]): number {
  let bytes = 0;
  for (const line of setCookies) {
    const end = line.indexOf(";");
    const pair = end === -1 ? line : line.slice(0, end);
    if (!pair.endsWith("=")) bytes += pair.length;
  }
  return bytes;
}
