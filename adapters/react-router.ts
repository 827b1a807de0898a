// React Router 7 (framework mode): a server middleware that loads the session into the router
// context and commits it onto the response, and a drop-in for createCookieSessionStorage's
// { getSession, commitSession, destroySession } for apps migrating to websession.
// React Router is imported for types only: its context key is a plain object it compares by
// identity, so none of its code is needed here.

import type { MiddlewareFunction, RouterContext, Session as RouterSession, SessionStorage } from "react-router";
import type { RequestLike, Session, SessionData } from "../src/index.ts";
import { frameworkSessions } from "./framework.ts";
import type { FrameworkSessionsOptions } from "./framework.ts";

/** Options of {@link createSessionMiddleware} and {@link createSessionStorage}. */
export type ReactRouterSessionOptions = FrameworkSessionsOptions;

/** What {@link createSessionMiddleware} returns: the middleware and the context key it fills. */
export interface SessionMiddleware<Data extends object> {
  /** The key of the session in the router context: `context.get(sessionContext)`. */
  readonly sessionContext: RouterContext<Session<Data>>;
  /** A server middleware for `export const middleware = [sessionMiddleware]` in `root.tsx`. */
  readonly sessionMiddleware: MiddlewareFunction<Response>;
}

/**
 * React Router server middleware (enable `future.v8_middleware` in `react-router.config.ts`)
 * that puts the request's session in the router context and writes it onto the response,
 * redirects thrown by actions included. From `websession/react-router`.
 *
 * Options are validated when this runs (at start-up). A store outage answers 503
 * (the `onError` option changes that).
 *
 * @example
 * ```ts
 * // app/session.server.ts
 * import { createSessionMiddleware } from "websession/react-router";
 * export const { sessionContext, sessionMiddleware } = createSessionMiddleware<{ user?: string }>({ secret: process.env.SESSION_SECRET! });
 * // app/root.tsx: export const middleware = [sessionMiddleware];
 * // a loader: const session = context.get(sessionContext);
 * ```
 */
export function createSessionMiddleware<Data extends object = SessionData>(options: ReactRouterSessionOptions): SessionMiddleware<Data> {
  const { sessions, unavailable } = frameworkSessions<Data>(options, "react-router");
  // No default value: context.get() then throws when the middleware did not run, naming the cause.
  const sessionContext: RouterContext<Session<Data>> = {};
  async function sessionMiddleware({ request, context }: Parameters<MiddlewareFunction<Response>>[0], next: () => Promise<Response>): Promise<Response> {
    let session: Session<Data>;
    try {
      session = await sessions.load(request);
    } catch (error) {
      return unavailable(error, request);
    }
    context.set(sessionContext, session);
    const response = await next();
    try {
      return await sessions.commit(session, response);
    } catch (error) {
      return unavailable(error, request);
    }
  }
  return { sessionContext, sessionMiddleware };
}

const FLASH_PREFIX = "__flash_";

function flashKey(name: string): string {
  return `${FLASH_PREFIX}${name}__`;
}

// React Router's Session interface over websession's: get() of a flashed value removes it, as
// createCookieSessionStorage's sessions do.
function routerSession<Data extends object>(session: Session<Data>): RouterSession<Data> {
  const untyped = session as unknown as Session<Record<string, unknown>>;
  return {
    id: "",
    get data() {
      return untyped.toJSON() as RouterSession<Data>["data"];
    },
    has(name) {
      return untyped.has(name) || untyped.has(flashKey(name));
    },
    get(name) {
      const flashed = flashKey(name);
      if (untyped.has(flashed)) return untyped.pop(flashed) as never;
      return untyped.get(name) as never;
    },
    set(name, value) {
      untyped.set(name, value);
    },
    flash(name, value) {
      untyped.set(flashKey(name), value);
    },
    unset(name) {
      untyped.delete(name);
    },
  };
}

/**
 * A drop-in for React Router's `createCookieSessionStorage` (`{ getSession, commitSession,
 * destroySession }`), with websession's cookie, formats and stores behind it. From
 * `websession/react-router`.
 *
 * `commitSession` returns the one `Set-Cookie` value to send, or `""` when nothing needs
 * writing (browsers ignore an empty `Set-Cookie`); chunked sessions (`oversize: "chunk"`)
 * need the middleware instead, and are refused here. Without a request URL `cookie.secure:
 * "auto"` cannot see plain-http development: it stays on (set `secure: false` for that).
 *
 * @example
 * ```ts
 * import { createSessionStorage } from "websession/react-router";
 * export const { getSession, commitSession, destroySession } = createSessionStorage({ secret: process.env.SESSION_SECRET! });
 * ```
 */
export function createSessionStorage<Data extends object = SessionData>(options: ReactRouterSessionOptions): SessionStorage<Data> {
  if (options?.oversize === "chunk") {
    throw new TypeError(
      'websession/react-router: createSessionStorage writes one Set-Cookie value, so oversize: "chunk" cannot be used; use createSessionMiddleware, or a server-side store',
    );
  }
  const { sessions } = frameworkSessions<Data>(options, "react-router");
  const loaded = new WeakMap<RouterSession<Data>, Session<Data>>();

  function requestOf(cookieHeader: string | null | undefined): RequestLike {
    return { url: "", headers: { get: (name) => (name.toLowerCase() === "cookie" ? (cookieHeader ?? null) : null) } };
  }

  function inner(session: RouterSession<Data>, caller: string): Session<Data> {
    const found = loaded.get(session);
    if (found === undefined) throw new TypeError(`websession/react-router: ${caller}() needs a session from this storage's getSession()`);
    return found;
  }

  async function header(session: Session<Data>): Promise<string> {
    const { cookies } = await sessions.save(session);
    return cookies.map((c) => c.header).join(", ");
  }

  return {
    async getSession(cookieHeader) {
      const session = await sessions.load(requestOf(cookieHeader));
      const wrapped = routerSession(session);
      loaded.set(wrapped, session);
      return wrapped;
    },
    async commitSession(session) {
      return header(inner(session, "commitSession"));
    },
    async destroySession(session) {
      const own = inner(session, "destroySession");
      own.destroy();
      return header(own);
    },
  };
}
