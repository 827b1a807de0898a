// Bun: a session around the `fetch` of `Bun.serve`.

import type { StorableOptions } from "../src/schema.ts";
import type { Session, SessionData } from "../src/session.ts";
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
export function withSession<Data extends object = SessionData, S = Server>(
  options: StorableOptions<Data>,
  handler: (request: Request, session: Session<Data>, server: S) => Response | Promise<Response>,
): (request: Request, server: S) => Promise<Response>;
/**
 * The same, for a handler that may return `undefined` after `server.upgrade(request)`: the
 * wrapped `fetch` may then return `undefined` too, which Bun's types accept when `Bun.serve` has
 * a `websocket` handler (and only then: without one, the handler must always return a Response).
 */
export function withSession<Data extends object = SessionData, S = Server>(
  options: StorableOptions<Data>,
  handler: BunSessionHandler<Data, S>,
): (request: Request, server: S) => Promise<Response | undefined>;
export function withSession<Data extends object = SessionData, S = Server>(
  options: StorableOptions<Data>,
  handler: BunSessionHandler<Data, S>,
): (request: Request, server: S) => Promise<Response | undefined> {
  // handle() passes Bun's undefined (after server.upgrade()) through: a 101 carries no Set-Cookie.
  return createSessions<Data>(options).handle(handler as SessionHandler<Data, [server: S]>) as (request: Request, server: S) => Promise<Response | undefined>;
}

/** A Bun fetch handler with its session; it returns nothing after `server.upgrade(request)`. */
export type BunSessionHandler<Data extends object, S = Server> = (
  request: Request,
  session: Session<Data>,
  server: S,
) => Response | undefined | Promise<Response | undefined>;
