// Astro (server output): a middleware that loads the session into context.locals.session and
// commits it onto the response. Astro's types are not imported: the middleware is typed
// structurally, and is assignable to its `MiddlewareHandler` (so it goes into `sequence()`).

import type { Session, SessionData } from "../src/index.ts";
import { frameworkSessions } from "./framework.ts";
import type { FrameworkSessionsOptions } from "./framework.ts";

/** Options of {@link sessionMiddleware}: `createSessions` options. */
export type AstroSessionOptions = FrameworkSessionsOptions;

/** The parts of Astro's `APIContext` the middleware uses. */
export interface AstroContext {
  readonly request: Request;
  locals: object;
}

/** The middleware: assignable to Astro's `MiddlewareHandler`. */
export type SessionMiddlewareHandler = (context: AstroContext, next: () => Promise<Response>) => Promise<Response>;

/**
 * Astro middleware that puts the request's session in `context.locals.session` (`Astro.locals.session`
 * in pages) and writes it back onto the response. From `websession/astro`. Needs on-demand
 * rendering (`output: "server"`, or `prerender = false` on the page): a prerendered page has no request.
 *
 * Options are validated when this runs (at start-up). The session cookie is read from the raw
 * `Cookie` header, never through `Astro.cookies`. A store outage answers 503 (the `onError` option
 * changes that). Type `locals` in `src/env.d.ts`:
 * `declare namespace App { interface Locals { session: import("websession").Session<Data> } }`.
 *
 * @example
 * ```ts
 * // src/middleware.ts
 * import { sessionMiddleware } from "websession/astro";
 * export const onRequest = sessionMiddleware({ secret: process.env.SESSION_SECRET! });
 * ```
 */
export function sessionMiddleware<Data extends object = SessionData>(options: AstroSessionOptions): SessionMiddlewareHandler {
  const { sessions, unavailable } = frameworkSessions<Data>(options, "astro");
  return async function websession(context, next) {
    let session: Session<Data>;
    try {
      session = await sessions.load(context.request);
    } catch (error) {
      return unavailable(error, context.request);
    }
    (context.locals as { session: Session<Data> }).session = session;
    const response = await next();
    try {
      return await sessions.commit(session, response);
    } catch (error) {
      return unavailable(error, context.request);
    }
  };
}
