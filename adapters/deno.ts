// Deno: a session around a `Deno.serve` handler.

import type { StorableOptions } from "../src/schema.ts";
import type { SessionData } from "../src/session.ts";
import { createSessions } from "../src/sessions.ts";
import type { SessionHandler } from "../src/sessions.ts";

/** What `Deno.serve` passes a handler over TCP (`Deno.ServeHandlerInfo<Deno.NetAddr>`, declared structurally). */
export interface ServeHandlerInfo {
  /** The peer's address. */
  readonly remoteAddr: { readonly transport: string; readonly hostname: string; readonly port: number };
  /** Settles once the response has been sent (rejects if the client went away). */
  readonly completed: Promise<void>;
}

/**
 * Wraps a `Deno.serve` handler: `handler(request, session, info)`. From `websession/deno`.
 *
 * @example
 * ```ts
 * import { withSession } from "websession/deno";
 *
 * Deno.serve(withSession({ secret: Deno.env.get("SESSION_SECRET")! }, (request, session) => {
 *   return new Response(`Hello ${session.get("user") ?? "stranger"}`);
 * }));
 * ```
 */
export function withSession<Data extends object = SessionData, Info = ServeHandlerInfo>(
  options: StorableOptions<Data>,
  handler: SessionHandler<Data, [info: Info]>,
): (request: Request, info: Info) => Promise<Response> {
  return createSessions<Data>(options).handle(handler);
}
