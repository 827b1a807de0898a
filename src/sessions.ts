// createSessions: resolve the options, pick where sessions live (a mode), and join the steps:
//
//   load:   request -> mode.open -> Session                      (never rejects for a bad cookie)
//   save:   Session -> mode.save (policy.decide, encode or store) -> cookie writes
//   commit: save -> Set-Cookie, Vary, Cache-Control on a Response (headers.ts)
//   handle: load -> handler -> commit, with store outages answered 503

import { MAX_COOKIE_SIZE } from "./cookie.ts";
import type { CookieWrite } from "./cookie.ts";
import { SessionError, safeText } from "./errors.ts";
import { cookieHeaderBytes, isResponse, withSessionHeaders } from "./headers.ts";
import type { SessionWrites } from "./headers.ts";
import { invalidReporter } from "./lifetime.ts";
import { cookieMode } from "./modes/cookie.ts";
import type { Mode, SaveContext } from "./modes/mode.ts";
import { storeMode } from "./modes/store.ts";
import { ownerApiUnavailable } from "./owners.ts";
import type { OwnerApi } from "./owners.ts";
import { resolveOptions } from "./options.ts";
import type { ResolvedOptions, SessionsOptions } from "./options.ts";
import { autoSecure, safePath } from "./request.ts";
import type { RequestLike } from "./request.ts";
import { Session, sessionInternals } from "./session.ts";
import type { SessionData } from "./session.ts";
import { tokenTransport, withTokenHeaders } from "./tokens.ts";
import { verifyCsrf } from "./csrf.ts";
import { expiryOf } from "./expiry.ts";
import { hooksFor, notify, resolveHooks, runValidate } from "./hooks.ts";
import type { Decision } from "./policy.ts";
import { beforeSave, prepareData, resolveSchema } from "./schema.ts";
import type { CarriedBy } from "./schema.ts";
import type { SessionFormat } from "./options.ts";

export { MAX_COOKIE_SIZE };
export type { RequestLike, SessionWrites };

/**
 * Cookies this response sets beyond this many bytes of name=value all come back in every
 * request's Cookie header, which servers and proxies commonly cap at 8 KB (6265bis 6.1).
 */
const COOKIE_HEADER_BUDGET = 8192;

/** A fetch-style handler that receives the request's session. */
export type SessionHandler<Data extends object, Args extends unknown[] = []> = (
  request: Request,
  session: Session<Data>,
  ...args: Args
) => Response | Promise<Response>;

/** Options of {@link Sessions.commit} and {@link Sessions.save}. */
export interface CommitOptions {
  /**
   * Keeps the runtime alive for work that may finish after the response (Workers'
   * `ctx.waitUntil`). Only a server-side store's refresh-only write (no data changed) uses it;
   * every write that changes data is awaited before the response, so a redirect never races it.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** Options of {@link Sessions.handle}: how an adapter fits its runtime's handler shape. */
export interface HandleOptions<Args extends unknown[]> {
  /** The commit options for a request, from the handler's extra arguments (Workers: `ctx.waitUntil`). */
  commitOptions?: (...args: Args) => CommitOptions | undefined;
}

/** What {@link createSessions} returns. */
export interface Sessions<Data extends object = SessionData> extends OwnerApi {
  /**
   * The session of `request`. Never throws for anything in the request: a bad cookie is a fresh
   * session. With a store, rejects with `SessionError` (`store_unavailable`) when the store
   * fails or times out (answer 503; the client's cookie stays as it is).
   */
  load(request: RequestLike): Promise<Session<Data>>;
  /**
   * Decides what `session` needs and carries it out (a server-side store is written now),
   * returning the cookie writes for the adapter to put on its response: `Set-Cookie` header
   * values, or structured attributes for a framework's cookie jar. When `vary` is true the
   * response must also carry `Vary: Cookie`, and when any cookie is written `Cache-Control:
   * private` unless the app set one ({@link commit} does all this on a `Response`). From
   * here on, changing the session throws `SessionError` (`already_committed`). Calling it
   * again returns the same writes. Throws like {@link commit}, writing nothing.
   */
  save(session: Session<Data>, options?: CommitOptions): Promise<SessionWrites>;
  /**
   * A Response carrying the `Set-Cookie` and `Vary` the session needs: `response` itself with
   * the headers set, or a copy when its headers are immutable (Response.redirect, fetch()),
   * so always return what commit returns. Throws `SessionError` (`cookie_too_large`,
   * `unserializable`, `store_unavailable`) before writing anything when the session cannot be
   * stored. From here on, changing the session throws `SessionError` (`already_committed`).
   */
  commit(session: Session<Data>, response: Response, options?: CommitOptions): Promise<Response>;
  /**
   * Wraps a handler: load, call, commit. Extra arguments (env, ctx, info) are passed through.
   * A store outage answers 503 and a session that cannot be written answers 500, each with one
   * log line (the `onError` option decides otherwise); errors of the handler itself propagate.
   */
  handle<Args extends unknown[] = []>(
    handler: SessionHandler<Data, Args>,
    options?: HandleOptions<Args>,
  ): (request: Request, ...args: Args) => Promise<Response>;
  /**
   * Checks the CSRF token of `request` (form field `csrf_token` or header `X-CSRF-Token`)
   * against `session`'s, in constant time. Resolves to `null` when it matches, or to a `403
   * Forbidden` Response saying why (return it). See `Session.csrfToken()`.
   */
  verifyCsrf(request: Request, session: Session<Data>): Promise<Response | null>;
}

// What the manager remembers about a loaded session until it is saved.
interface Pending {
  readonly request: RequestLike;
  readonly ticket: unknown;
  writes: SessionWrites | undefined;
  /** The token came (or is to go) in a header (option token), not in a cookie. */
  readonly viaHeader?: boolean;
}

const UNTOUCHED: SessionWrites = Object.freeze({ cookies: Object.freeze([]) as readonly CookieWrite[], vary: false });

/**
 * Creates a session manager. Validates every option now, so a bad configuration fails at
 * start-up with a message that says what to change.
 *
 * @example
 * ```ts
 * import { createSessions } from "websession";
 *
 * const sessions = createSessions<{ user?: string }>({ secret: env.SESSION_SECRET });
 * export default {
 *   fetch: sessions.handle((request, session) => {
 *     const user = session.get("user");
 *     return new Response(user ? `Logged in as ${user}` : "You are not logged in");
 *   }),
 * };
 * ```
 */
export function createSessions<Data extends object = SessionData, Format extends SessionFormat = SessionFormat>(
  options: SessionsOptions<Data> & { format?: Format } & CarriedBy<Data, Format>,
): Sessions<Data> {
  const config = resolveOptions(options);
  const reject = invalidReporter(config.onInvalid);
  const mode: Mode<unknown> & { owners?: OwnerApi } = config.store !== undefined ? storeMode(config, config.store, reject) : cookieMode(config, reject);
  const owners =
    mode.owners ??
    ownerApiUnavailable(
      "sessions.list, revoke and revokeAll need option owner: (data) => data.userId, and a server-side store with an owner index (memoryStore(), redisStore(), postgresStore()), or with cookie sessions option revocation (revokeAll only)",
    );
  // Option token (tokens.ts): header requests are opened through a view of the request.
  const tokens = tokenTransport(options.token, { cookieName: config.cookie.name, chunked: config.oversize === "chunk", reject });
  const pending = new WeakMap<Session<Data>, Pending>();
  const warned = new Set<string>();
  // Hook points of schema.ts, hooks.ts and expiry.ts: each undefined when its options are unset.
  const schema = resolveSchema(options);
  const hooks = resolveHooks(options);
  const expiry = expiryOf(config);
  const prepare = schema !== undefined || hooks?.validate !== undefined ? prepareSession : undefined;

  async function prepareSession(session: Session<Data>, request: RequestLike): Promise<Session<Data>> {
    if (schema !== undefined) await prepareData(session, schema, reject);
    if (hooks !== undefined) await runValidate(session, request, hooks, reject);
    return session;
  }

  // Said once per createSessions and kind (never with a cookie's value).
  function warnOnce(kind: string, message: string): void {
    if (warned.has(kind)) return;
    warned.add(kind);
    console.warn(message);
  }

  function load(request: RequestLike): Promise<Session<Data>> {
    const via = tokens?.open(request);
    const viaHeader = via?.viaHeader === true;
    const opened = mode.open(via?.request ?? request);
    if (!(opened instanceof Promise)) {
      pending.set(opened.session, { request, ticket: opened.ticket, writes: undefined, viaHeader });
      sessionInternals(opened.session).expiry = expiry;
      if (prepare !== undefined) return prepare(opened.session, request);
      return Promise.resolve(opened.session);
    }
    return opened.then((o) => {
      pending.set(o.session, { request, ticket: o.ticket, writes: undefined, viaHeader });
      sessionInternals(o.session).expiry = expiry;
      return prepare !== undefined ? prepare(o.session, request) : o.session;
    });
  }

  // Secure "auto": see request.ts; dropping Secure, or sending it over plain http, is said once.
  function isSecure(request: RequestLike): boolean {
    const { secure } = config.cookie;
    if (secure !== "auto") return secure;
    const decision = autoSecure(request);
    if (decision.warn !== undefined) warnOnce(decision.warn, decision.message!);
    return decision.secure;
  }

  async function save(session: Session<Data>, options?: CommitOptions): Promise<SessionWrites> {
    const p = pending.get(session);
    if (p === undefined) throw new TypeError("save(session) and commit(session, response) need a session that this createSessions() loaded");
    if (p.writes !== undefined) return p.writes;
    const i = sessionInternals(session);
    // From here on a change to the session throws (already_committed): it could not be written.
    i.committed = true;
    if (!i.accessed) return (p.writes = UNTOUCHED);
    let decision: Decision | undefined;
    const wasNew = i.isNew;
    const context: SaveContext = {
      secure: isSecure(p.request),
      waitUntil: options?.waitUntil,
      decided: hooks?.notifies === true ? (d) => (decision = d) : undefined,
    };
    let undo: (() => void) | undefined;
    try {
      if (schema !== undefined) undo = await beforeSave(session, schema);
      const cookies = await mode.save(session, p.ticket, context);
      p.writes = p.viaHeader === true ? { cookies: [], vary: true, headers: tokens!.headersFor(cookies) } : { cookies, vary: true };
    } catch (error) {
      // Nothing was written: the app may catch the error, change the session and try again.
      i.committed = false;
      throw error;
    } finally {
      undo?.();
    }
    if (decision !== undefined && (p.writes.cookies.length > 0 || p.writes.headers !== undefined))
      await notify(session, p.request, hooks!, hooksFor(session, decision, wasNew));
    return p.writes;
  }

  // The response's cookies all come back in every request, the app's own included.
  function warnIfLarge(setCookies: readonly string[]): void {
    const bytes = cookieHeaderBytes(setCookies);
    if (bytes <= COOKIE_HEADER_BUDGET) return;
    warnOnce(
      "large",
      `websession: a response sets ${bytes} bytes of cookies (name=value), over ${COOKIE_HEADER_BUDGET}: browsers send them all back in every request's Cookie header, which many servers and proxies refuse above 8 KB (nginx's default). Keep the session smaller, or use a server-side store.`,
    );
  }

  async function commit(session: Session<Data>, response: Response, options?: CommitOptions): Promise<Response> {
    // Structural, not instanceof: @hono/node-server swaps the global Response class, so a
    // Response.redirect() made before it is not an instance of the current global.
    if (!isResponse(response)) throw new TypeError("commit(session, response) needs a Response");
    const writes = await save(session, options);
    let committed = withSessionHeaders(response, writes);
    // With option token every answer that read the session depends on the token header too.
    if (tokens !== undefined && writes.vary) committed = withTokenHeaders(committed, writes.headers ?? {}, tokens.header);
    if (writes.cookies.length > 0 && !warned.has("large")) warnIfLarge(committed.headers.getSetCookie());
    return committed;
  }

  function handle<Args extends unknown[] = []>(
    handler: SessionHandler<Data, Args>,
    handleOptions?: HandleOptions<Args>,
  ): (request: Request, ...args: Args) => Promise<Response> {
    const commitOptions = handleOptions?.commitOptions;
    return async (request, ...args) => {
      let session: Session<Data>;
      try {
        session = await load(request);
      } catch (error) {
        return answerError(error, request);
      }
      const response = await handler(request, session, ...args);
      // Bun hands the socket over after server.upgrade() and wants undefined back: a 101
      // cannot carry Set-Cookie. The session is still saved (a later change throws) and a
      // change that needed a new cookie is said, not silently dropped.
      if ((response as Response | undefined) === undefined) return upgraded(session) as unknown as Response;
      try {
        return await commit(session, response, commitOptions?.(...args));
      } catch (error) {
        if (error instanceof TypeError) throw error;
        return answerError(error, request);
      }
    };
  }

  async function upgraded(session: Session<Data>): Promise<undefined> {
    const writes = await save(session);
    if (writes.cookies.length > 0) {
      warnOnce(
        "upgrade",
        "websession: the session changed while answering a WebSocket upgrade; the 101 response cannot carry Set-Cookie, so the browser's cookie was not updated. Change the session in an ordinary request.",
      );
    }
    return undefined;
  }

  // A SessionError met by handle() or an adapter: the onError option's answer, or 503 for a
  // store outage and 500 otherwise, each with one log line. Anything else propagates.
  async function answerError(error: unknown, request: Request): Promise<Response> {
    if (!(error instanceof SessionError)) throw error;
    return answerSessionError(error, request, config);
  }

  const sessions: Sessions<Data> = {
    load,
    save,
    commit,
    handle,
    verifyCsrf,
    list: owners.list,
    revoke: owners.revoke,
    revokeAll: owners.revokeAll,
    handleOf: owners.handleOf,
  };
  errorAnswers.set(sessions, answerError);
  return sessions;
}

const errorAnswers = new WeakMap<object, (error: unknown, request: Request) => Promise<Response>>();

/**
 * For adapters that cannot use `handle()` (middleware): the answer to an error met while
 * loading or saving, as `handle()` gives it. Rethrows anything that is not a `SessionError`.
 */
export function answerSessionErrorOf(sessions: Sessions<any>): (error: unknown, request: Request) => Promise<Response> {
  const answer = errorAnswers.get(sessions);
  if (answer === undefined) throw new TypeError("not a createSessions() manager");
  return answer;
}

/**
 * The answer to a `SessionError` an adapter met while loading or saving: the `onError`
 * option's, or `503 Service Unavailable` for `store_unavailable` and `500` otherwise, with one
 * log line naming the code (never a cookie's value).
 */
export async function answerSessionError(error: SessionError, request: Request, config: Pick<ResolvedOptions, "onError">): Promise<Response> {
  if (config.onError !== undefined) return config.onError(error, request);
  const status = error.code === "store_unavailable" ? 503 : 500;
  console.error(`websession: ${safeText(request.method)} ${safePath(request.url)} answered ${status}: SessionError ${error.code}: ${safeText(error.message)}`);
  const headers: Record<string, string> = { "Content-Type": "text/plain; charset=utf-8" };
  if (status === 503) headers["Retry-After"] = "5";
  return new Response(status === 503 ? "Service Unavailable" : "Internal Server Error", { status, headers });
}
