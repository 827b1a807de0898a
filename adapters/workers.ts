// Cloudflare Workers: a session around `export default { fetch(request, env, ctx) }`.

import type { StorableOptions } from "../src/schema.ts";
import { perEnv } from "./per-env.ts";
import type { SessionData } from "../src/session.ts";
import { createSessions } from "../src/sessions.ts";
import type { SessionHandler, Sessions } from "../src/sessions.ts";

/** The part of the Workers `ExecutionContext` this adapter relies on (declared structurally). */
export interface ExecutionContext {
  /** Keeps the invocation alive until `promise` settles, after the response has been sent. */
  waitUntil(promise: Promise<unknown>): void;
}

/** A Workers fetch handler: `export default { fetch }`. */
export type WorkerFetch<Env, Ctx> = (request: Request, env: Env, ctx: Ctx) => Promise<Response>;

/**
 * Wraps a Workers fetch handler: `handler(request, session, env, ctx)`. From `websession/workers`.
 *
 * `options` may be a function of `env`, so the secret comes from a secret binding. It runs
 * once per `env` object (once per isolate), so keys are derived once, not on every request.
 *
 * @example
 * ```ts
 * import { withSession } from "websession/workers";
 *
 * interface Env { SESSION_SECRET: string }
 * export default {
 *   fetch: withSession(
 *     (env: Env) => ({ secret: env.SESSION_SECRET }),
 *     (request, session) => new Response(`Hello ${session.get("user") ?? "stranger"}`),
 *   ),
 * };
 * ```
 */
export function withSession<Data extends object = SessionData, Env = unknown, Ctx extends ExecutionContext = ExecutionContext>(
  options: StorableOptions<Data> | ((env: Env) => StorableOptions<Data>),
  handler: SessionHandler<Data, [env: Env, ctx: Ctx]>,
): WorkerFetch<Env, Ctx> {
  const wrapped = perEnv<Env, WorkerFetch<Env, Ctx>, StorableOptions<Data>>(
    options,
    (resolved) => around(createSessions<Data>(resolved), handler),
    "withSession",
  );
  return async function fetch(request, env, ctx) {
    return wrapped(env)(request, env, ctx);
  };
}

// handle(), with a server-side store's refresh-only write left to ctx.waitUntil (data writes
// are awaited before the response, so a redirect never outruns them).
function around<Data extends object, Env, Ctx extends ExecutionContext>(
  sessions: Sessions<Data>,
  handler: SessionHandler<Data, [env: Env, ctx: Ctx]>,
): WorkerFetch<Env, Ctx> {
  return sessions.handle(handler, { commitOptions: (_env, ctx) => ({ waitUntil: (promise) => ctx.waitUntil(promise) }) });
}
