// Hono middleware: load before next(), commit after it onto c.res.

import type { MiddlewareHandler } from "hono";
import { verifyCsrf } from "../src/csrf.ts";
import { describe } from "../src/errors.ts";
import type { StorableOptions } from "../src/schema.ts";
import type { Session, SessionData } from "../src/session.ts";
import { answerSessionErrorOf, createSessions } from "../src/sessions.ts";
import { perEnv } from "./per-env.ts";

/**
 * The Hono `Env` the middleware adds: `c.get("session")` is a `Session<Data>` (or
 * `c.get(key)`, with the `key` of {@link SessionMiddlewareOptions}).
 */
export interface SessionEnv<Data extends object = SessionData, Key extends string = "session"> {
  Variables: { [K in Key]: Session<Data> };
}

/** Options of the middleware itself (the second argument of {@link session}). */
export interface SessionMiddlewareOptions<Key extends string = "session"> {
  /**
   * The context variable the session goes under (default `"session"`). Give each manager its
   * own when one app uses several sessions, each with its own cookie name:
   * `session(deviceOptions, { key: "device" })` puts that one in `c.get("device")`.
   */
  key?: Key;
}

/**
 * Hono middleware that puts the request's session in `c.get("session")` and writes it back
 * onto `c.res` after the handler. From `websession/hono`.
 *
 * Options are validated when `session()` runs, so a bad configuration fails at start-up. On
 * Cloudflare Workers, where secrets arrive as bindings, pass a function of `env` instead
 * (`session((env) => ({ secret: env.SESSION_SECRET }))`): it runs once per `env` object (once
 * per isolate). On Node, Deno and Bun pass the options directly (`c.env` is not one object there).
 * A route that never uses the session gets no `Set-Cookie` or `Vary` (and, with the default
 * `signed` format, no cryptography). When a handler throws, the response from the app's
 * error handler is sent as is: changes made before the error are not written.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { session } from "websession/hono";
 *
 * const app = new Hono().use(session<{ user?: string }>({ secret: process.env.SESSION_SECRET! }));
 * app.get("/", (c) => c.text(`Hello ${c.get("session").get("user") ?? "stranger"}`));
 * ```
 */
export function session<Data extends object = SessionData, Key extends string = "session", Bindings = any>(
  options: StorableOptions<Data> | ((env: Bindings) => StorableOptions<Data>),
  middlewareOptions?: SessionMiddlewareOptions<Key>,
): MiddlewareHandler<SessionEnv<Data, Key>> {
  const key = middlewareOptions?.key ?? "session";
  if (typeof key !== "string" || key === "")
    throw new TypeError(`session(options, { key }): key must be a non-empty string (the name for c.get), got ${describe(key)}`);
  const sessionsFor = perEnv<Bindings, ReturnType<typeof createSessions<Data>>, StorableOptions<Data>>(
    options,
    (resolved) => createSessions<Data>(resolved),
    "session",
  );
  // Hono's c.executionCtx throws where there is none (Node, Deno, Bun), and an exception costs
  // more than a whole signed session; after one such answer, stop asking.
  let hasExecutionCtx = true;
  return async function websession(c, next) {
    const sessions = sessionsFor(c.env as Bindings);
    let current: Session<Data>;
    try {
      current = await sessions.load(c.req.raw);
    } catch (error) {
      // A store outage: 503 (or the onError option's answer), the route never runs.
      c.res = await answerSessionErrorOf(sessions)(error, c.req.raw);
      return;
    }
    // Typed by Key; Hono's c.set cannot see that the mapped variable is this one.
    (c.set as (name: string, value: Session<Data>) => void)(key, current);
    await next();
    // Hono turns a thrown error into c.res through onError and records it in c.error.
    if (c.error !== undefined) return;
    // Commit even an unused session (it hands c.res back as it is): a change made after the
    // response, from work the handler left running, then throws instead of being lost.
    const waitUntil = hasExecutionCtx ? waitUntilOf(c) : undefined;
    if (waitUntil === undefined) hasExecutionCtx = false;
    let response: Response;
    try {
      response = await sessions.commit(current, c.res, { waitUntil });
    } catch (error) {
      // Nothing was written: the route's answer is replaced by the error's (503, or 500 logged).
      response = await answerSessionErrorOf(sessions)(error, c.req.raw);
    }
    if (response === c.res) return;
    // Assigning over an existing c.res merges the old headers back in (replacing Set-Cookie
    // and Vary with the old ones), so clear it first: the committed response is complete.
    c.res = undefined;
    c.res = response;
  };
}

// On Workers (and other runtimes with an execution context) a store's refresh-only write may
// finish after the response; elsewhere Hono's c.executionCtx throws, and commit awaits it.
function waitUntilOf(c: { readonly executionCtx: { waitUntil(promise: Promise<unknown>): void } }): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return undefined;
  }
}

// CSRF protection (src/csrf.ts) for routes behind session(): tokens from c.get("session").csrfToken().

/** Options of {@link csrf}. */
export interface CsrfOptions {
  /** The methods whose requests must carry a valid token. Default the unsafe ones: POST, PUT, PATCH, DELETE. */
  methods?: readonly string[];
}

/**
 * Hono middleware, after `session()`: a request with an unsafe method must carry the session's
 * CSRF token (form field `csrf_token` or header `X-CSRF-Token`), else it is answered `403
 * Forbidden` with Flask-WTF's message and the route never runs.
 *
 * @example
 * ```ts
 * app.use(session({ secret }), csrf());
 * app.get("/", (c) => c.html(`<form method="post"><input type="hidden" name="csrf_token" value="${c.get("session").csrfToken()}">...</form>`));
 * ```
 */
export function csrf<Data extends object = SessionData>(options: CsrfOptions = {}): MiddlewareHandler<SessionEnv<Data>> {
  const methods = new Set((options.methods ?? ["POST", "PUT", "PATCH", "DELETE"]).map((m) => m.toUpperCase()));
  return async function websessionCsrf(c, next) {
    if (methods.has(c.req.method.toUpperCase())) {
      const current = c.get("session") as Session<Data> | undefined;
      if (current === undefined) throw new TypeError("websession/hono: csrf() needs session() registered before it: app.use(session(options), csrf())");
      const refused = await verifyCsrf(c.req.raw, current);
      if (refused !== null) return refused;
    }
    await next();
  };
}
