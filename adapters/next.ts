// Next.js App Router: the session in Route Handlers (withSession), middleware/proxy
// (sessionMiddleware, edge runtime included), Server Actions (getSession + saveSession, written
// through cookies().set) and Server Components (readSession: read-only). Next's modules are not
// imported: the app passes its `headers` and `cookies` from next/headers, so this file runs on
// every runtime Next uses and needs no Next types.

import { SessionError } from "../src/index.ts";
import type { CookieWrite, Session, SessionData } from "../src/index.ts";
import { frameworkSessions } from "./framework.ts";
import type { FrameworkSessionsOptions } from "./framework.ts";

/** The cookie jar `cookies()` from next/headers resolves to (the part used here). */
export interface NextCookieJar {
  set(cookie: {
    name: string;
    value: string;
    path?: string;
    domain?: string;
    maxAge?: number;
    expires?: Date;
    secure?: boolean;
    httpOnly?: boolean;
    sameSite?: "strict" | "lax" | "none";
    partitioned?: boolean;
  }): unknown;
}

/** Options of {@link nextSessions}: `createSessions` options and Next's request APIs. */
export interface NextSessionOptions extends FrameworkSessionsOptions {
  /**
   * `headers` and `cookies` from `next/headers`, for {@link NextSessions.getSession},
   * {@link NextSessions.readSession} and {@link NextSessions.saveSession}. Not needed for
   * Route Handlers and middleware (and not importable in middleware on the edge runtime).
   */
  next?: {
    headers: () => Promise<{ get(name: string): string | null }>;
    cookies: () => Promise<NextCookieJar>;
  };
}

/** What {@link nextSessions} returns. */
export interface NextSessions<Data extends object> {
  /** Wraps a Route Handler: `export const POST = withSession(async (request, session) => Response)`. */
  withSession<Context = unknown>(
    handler: (request: Request, session: Session<Data>, context: Context) => Response | Promise<Response>,
  ): (request: Request, context: Context) => Promise<Response>;
  /**
   * Wraps middleware (`middleware.ts`, `proxy.ts`; the edge runtime included): the handler gets
   * the session and returns its response (`NextResponse.next()`, a redirect, ...), onto which
   * the session is written.
   */
  sessionMiddleware(handler: (request: Request, session: Session<Data>) => Response | Promise<Response>): (request: Request) => Promise<Response>;
  /** The request's session in a Server Action or Route Handler; write it back with {@link saveSession}. */
  getSession(): Promise<Session<Data>>;
  /** Writes `session` through `cookies().set` (Server Actions and Route Handlers only). */
  saveSession(session: Session<Data>): Promise<void>;
  /** The request's session in a Server Component: reading works; any change throws, naming where writes are allowed. */
  readSession(): Promise<Session<Data>>;
}

const WHERE = "Next.js lets a request change cookies only in a Server Action, a Route Handler or middleware/proxy";

// Every Session member that changes it: in a Server Component each throws READ_ONLY.
const CHANGES = new Set(["set", "delete", "pop", "setDefault", "update", "clear", "flash", "flashes", "regenerate", "destroy"]);

function readOnly(change: string): SessionError {
  return new SessionError(
    "already_committed",
    `websession/next: session.${change} in a Server Component cannot be written: ${WHERE}. Change the session there (getSession() + saveSession(), withSession or sessionMiddleware); in Server Components use readSession() to read it.`,
  );
}

// The session of a Server Component: a view whose changes throw before anything changed.
function readOnlyView<Data extends object>(session: Session<Data>): Session<Data> {
  return new Proxy(session, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && CHANGES.has(property))
        return () => {
          throw readOnly(`${property}()`);
        };
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
    set(_target, property) {
      throw readOnly(`${String(property)} = ...`);
    },
  });
}

function jarCookie(write: CookieWrite): Parameters<NextCookieJar["set"]>[0] {
  return {
    name: write.name,
    value: write.value,
    path: write.path,
    ...(write.domain === undefined ? {} : { domain: write.domain }),
    ...(write.maxAge === undefined ? {} : { maxAge: write.maxAge }),
    ...(write.expires === undefined ? {} : { expires: write.expires }),
    secure: write.secure,
    httpOnly: write.httpOnly,
    ...(write.sameSite === undefined ? {} : { sameSite: write.sameSite.toLowerCase() as "strict" | "lax" | "none" }),
    partitioned: write.partitioned,
  };
}

/**
 * Sessions for a Next.js App Router app. From `websession/next`. Options are validated when
 * this runs (at start-up, in the module that calls it). The session cookie is read from the
 * raw `Cookie` header. A store outage answers 503 in Route Handlers and middleware
 * (the `onError` option changes that) and throws `SessionError` (`store_unavailable`) elsewhere.
 *
 * @example
 * ```ts
 * // lib/session.ts
 * import { cookies, headers } from "next/headers";
 * import { nextSessions } from "websession/next";
 * export const { getSession, saveSession, readSession, withSession } = nextSessions<{ user?: string }>({
 *   secret: process.env.SESSION_SECRET!,
 *   next: { headers, cookies },
 * });
 * ```
 */
export function nextSessions<Data extends object = SessionData>(options: NextSessionOptions): NextSessions<Data> {
  const { next, ...rest } = options ?? ({} as NextSessionOptions);
  if (next !== undefined && (typeof next?.headers !== "function" || typeof next?.cookies !== "function")) {
    throw new TypeError('websession/next: option next must be { headers, cookies } from "next/headers"');
  }
  const { sessions, unavailable } = frameworkSessions<Data>(rest, "next");

  async function around(request: Request, work: (session: Session<Data>) => Response | Promise<Response>): Promise<Response> {
    let session: Session<Data>;
    try {
      session = await sessions.load(request);
    } catch (error) {
      return unavailable(error, request);
    }
    const response = await work(session);
    try {
      return await sessions.commit(session, response);
    } catch (error) {
      return unavailable(error, request);
    }
  }

  function requestApis(caller: string): NonNullable<NextSessionOptions["next"]> {
    if (next === undefined)
      throw new TypeError(`websession/next: ${caller}() needs nextSessions({ ..., next: { headers, cookies } }) with both imported from "next/headers"`);
    return next;
  }

  async function loadFromHeaders(caller: string): Promise<Session<Data>> {
    const headers = await requestApis(caller).headers();
    // The URL only feeds `secure: "auto"`: Next forwards the original scheme and host.
    const proto = headers.get("x-forwarded-proto") ?? "https";
    const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost";
    return sessions.load({ url: `${proto}://${host}/`, headers });
  }

  return {
    withSession(handler) {
      return (request, context) => around(request, (session) => handler(request, session, context));
    },
    sessionMiddleware(handler) {
      return (request) => around(request, (session) => handler(request, session));
    },
    getSession() {
      return loadFromHeaders("getSession");
    },
    async saveSession(session) {
      const jar = await requestApis("saveSession").cookies();
      const { cookies } = await sessions.save(session);
      try {
        for (const write of cookies) jar.set(jarCookie(write));
      } catch (error) {
        throw new SessionError(
          "already_committed",
          `websession/next: saveSession() could not set the cookie: ${WHERE} (Server Components are read-only: use readSession() there).`,
          { cause: error },
        );
      }
    },
    async readSession() {
      return readOnlyView(await loadFromHeaders("readSession"));
    },
  };
}
