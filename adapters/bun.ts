// Bun: a session around the `fetch` of `Bun.serve`.

import type { SessionsOptions } from "../src/options.ts";
import type { SessionData } from "../src/session.ts";
import { createSessions } from "../src/sessions.ts";
import type { SessionHandler } from "../src/sessions.ts";

/** The part of Bun's `Server` a handler usually needs (declared structurally). */
export interface Server {
  /** The client's address, or `null` (a closed request, a Unix socket). */
  requestIP(request: Request): { readonly address: string; readonly port: number; readonly family: string } | null;
}

/**
 * Wraps the `fetch` of `Bun.serve`: `handler(request, session, server)`. From `websession/bun`.
 *
 * @example
 * ```ts
 * import { withSession } from "websession/bun";
 *
 * Bun.serve({
 *   fetch: withSession({ secret: Bun.env.SESSION_SECRET! }, (request, session) => {
 *     return new Response(`Hello ${session.get("user") ?? "stranger"}`);
 *   }),
 * });
 * ```
 */
export function withSession<Data extends SessionData = SessionData, S = Server>(
  options: SessionsOptions,
  handler: SessionHandler<Data, [server: S]>,
): (request: Request, server: S) => Promise<Response> {
  return createSessions<Data>(options).handle(handler);
}
