// The response-header rules a committed session brings, as pure functions over header values,
// so every adapter (Headers in sessions.ts, Node's res.setHeader, Fastify's reply.header)
// applies the same rules without a copy of them.

import type { CookieWrite } from "./cookie.ts";

/**
 * The `Vary` value a response reading the session must carry, given the one it has (`null` or
 * `undefined` when none): `undefined` when it already varies on `Cookie` (or on everything).
 */
export function mergeVary(existing: string | null | undefined): string | undefined {
  if (existing === null || existing === undefined || existing === "") return "Cookie";
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

/**
 * Whether to add `Cache-Control: private`: when the response sets a session cookie and the app
 * chose no caching policy, it must stay out of shared caches.
 */
export function needsPrivateCache(writes: readonly CookieWrite[], hasCacheControl: boolean): boolean {
  return writes.length > 0 && !hasCacheControl;
}
