// createSessions: the one file that touches Request and Response.
//
//   load:   Cookie header -> codec.decode -> time rules -> Session
//   commit: Session -> decide (modified? refresh due? emptied?) -> codec.encode -> Set-Cookie, Vary

import { collectChunks, maxChunkedLength, splitIntoChunks, staleCookieNames } from "./chunks.ts";
import type { SentCookies } from "./chunks.ts";
import type { InvalidReason } from "./errors.ts";
import type { Codec, Decoded } from "./codecs/codec.ts";
import { flaskCodec } from "./codecs/flask/codec.ts";
import { sealedCodec } from "./codecs/sealed.ts";
import { signedCodec } from "./codecs/signed.ts";
import { cookieWrite, deleteCookieWrite, readCookie } from "./cookie.ts";
import type { CookieWrite, ResolvedCookieOptions, SetCookieParts } from "./cookie.ts";
import { base64urlEncode, randomBytes } from "./encoding.ts";
import { SessionError } from "./errors.ts";
import { expiryOf, invalidReporter, remainingSeconds } from "./lifetime.ts";
import { resolveOptions } from "./options.ts";
import type { ResolvedOptions, SessionsOptions } from "./options.ts";
import { Session, isEmpty, sessionInternals, wasChanged } from "./session.ts";
import type { SessionData, SessionInternals, SessionState } from "./session.ts";
import { storeBackend } from "./stores/backend.ts";

/** 6265bis 5.6/5.7: browsers ignore a cookie whose name plus value exceeds 4096 octets. */
export const MAX_COOKIE_SIZE = 4096;
/**
 * More distinct values under the session cookie's name than this are ambiguous without
 * verifying any (as a store's ids are): a browser sends one per Path/Domain it holds, so a
 * longer list is tossed or forged, and verifying each would let one request buy hundreds of
 * HMACs or AES-GCM decryptions.
 */
const MAX_CANDIDATES = 4;
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

/** Options of {@link Sessions.commit}. */
export interface CommitOptions {
  /**
   * Keeps the runtime alive for work that may finish after the response (Workers'
   * `ctx.waitUntil`). Only a server-side store's refresh-only write (no data changed) uses it;
   * every write that changes data is awaited before the response, so a redirect never races it.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/**
 * The parts of a request the core reads: the `Cookie` header, and the URL and proxy headers
 * for `Secure` auto-detection. A `Request` is one; a Node adapter passes a light view instead.
 */
export interface RequestLike {
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

/** What a committed session needs on the response; see {@link Sessions.save}. */
export interface SessionWrites {
  /** The cookies to write, in order (empty when nothing is to be written). */
  readonly cookies: readonly CookieWrite[];
  /** Whether the session was read, so the response must carry `Vary: Cookie`. */
  readonly vary: boolean;
}

const UNTOUCHED: SessionWrites = Object.freeze({ cookies: Object.freeze([]) as readonly CookieWrite[], vary: false });

/** What {@link createSessions} returns. */
export interface Sessions<Data extends object = SessionData> {
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
   * the headers set, or a copy when its headers are immutable (Response.redirect, fetch()). Throws `SessionError` (`cookie_too_large`,
   * `unserializable`, `store_unavailable`) before writing anything when the session cannot be stored.
   */
  commit(session: Session<Data>, response: Response, options?: CommitOptions): Promise<Response>;
  /** Wraps a handler: load, call, commit. Extra arguments (env, ctx, info) are passed through. */
  handle<Args extends unknown[] = []>(handler: SessionHandler<Data, Args>): (request: Request, ...args: Args) => Promise<Response>;
}

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
export function createSessions<Data extends object = SessionData>(options: SessionsOptions): Sessions<Data> {
  const config = resolveOptions(options);
  const codec = createCodec(config);
  const backend = config.store === undefined ? undefined : storeBackend(config, config.store);
  const { cookie, now, onInvalid } = config;
  const chunking = config.oversize === "chunk";
  const maxToken = maxTokenLength(config);
  let keysReady = false;
  const warned = new Set<string>();
  let warnedLarge = false;
  const settled = codec.ready.then(() => {
    keysReady = true;
  });
  // Keep an early failure (there should be none) from surfacing as an unhandled rejection.
  settled.catch(() => {});
  // With chunking: which of name, name.0, name.1, ... each session's browser holds.
  const sentCookies = new WeakMap<Session<Data>, SentCookies>();

  const reject = invalidReporter(onInvalid);
  // Only called when codec.synchronous says decode never returns a Promise.
  const decodeSync = codec.decode as (token: string) => Decoded;

  // Applies the time rules to a decoded state; null (and the hook) when it has expired.
  function checkTimes(state: SessionState): SessionState | null {
    return expiryOf(state, Math.floor(now() / 1000), config, codec.clockSkew) === undefined ? state : reject("expired");
  }

  // All values sent under the cookie name; two different valid ones are ambiguous (a tossed
  // cookie), and then no session is used at all. `null`: a chunk name came with two values.
  function pick(values: string[] | null, decode: (token: string) => SessionState | InvalidReason): SessionState | null {
    if (values === null) return reject("ambiguous");
    if (values.length === 0) return null;
    // Work is bounded by distinct values, never by repetitions: a header of 2,000 copies of one
    // bad token costs one verification.
    const distinct = new Set(values);
    if (distinct.size > MAX_CANDIDATES) return reject("ambiguous");
    let found: SessionState | null = null;
    let firstReason: InvalidReason | undefined;
    for (const token of distinct) {
      const result = token.length > maxToken ? "malformed" : decode(token);
      if (typeof result === "string") {
        firstReason ??= result;
        continue;
      }
      if (found !== null) return reject("ambiguous");
      found = result;
    }
    if (found === null) return reject(firstReason!);
    return checkTimes(found);
  }

  function load(request: RequestLike): Promise<Session<Data>> {
    if (keysReady && backend === undefined && !chunking && codec.synchronous) {
      // The common case: nothing to wait for, and the Cookie header is not read until the
      // session is used.
      const session = new Session<Data>(() => pick(readCookie(request.headers.get("cookie"), cookie.name), decodeSync));
      sessionInternals(session).request = request;
      return Promise.resolve(session);
    }
    return loadAsync(request);
  }

  async function loadAsync(request: RequestLike): Promise<Session<Data>> {
    if (!keysReady) await settled;
    const header = request.headers.get("cookie");
    if (backend !== undefined) {
      // Server-side: the store is read now, since a Session's methods are synchronous.
      const stored = new Session<Data>(await backend.load(header));
      sessionInternals(stored).request = request;
      return stored;
    }
    const sent = chunking ? collectChunks(header, cookie.name) : undefined;
    let session: Session<Data>;
    if (codec.synchronous) {
      session = new Session<Data>(() => pick(sent !== undefined ? sent.tokens : readCookie(header, cookie.name), decodeSync));
    } else {
      const values = sent !== undefined ? sent.tokens : readCookie(header, cookie.name);
      const results = new Map<string, SessionState | InvalidReason>();
      const distinct = new Set(values ?? []);
      for (const token of distinct.size <= MAX_CANDIDATES ? distinct : []) {
        results.set(token, token.length > maxToken ? "malformed" : await codec.decode(token));
      }
      const state = pick(values, (token) => results.get(token)!);
      session = new Session<Data>(() => state);
    }
    sessionInternals(session).request = request;
    if (sent !== undefined) sentCookies.set(session, sent);
    return session;
  }

  // Secure "auto": on, except for plain http to a loopback host with no sign of a proxy in
  // front. A proxy that forwards `Host: 127.0.0.1` (nginx's default) would otherwise turn
  // Secure off in production, so dropping it is always said once.
  function isSecure(request: RequestLike | undefined): boolean {
    if (cookie.secure !== "auto") return cookie.secure;
    const decision = autoSecure(request);
    if (decision.warn !== undefined && !warned.has(decision.warn)) {
      warned.add(decision.warn);
      console.warn(decision.message);
    }
    return decision.secure;
  }

  // The options for cookie `name`: the session cookie's own, or the same attributes for a chunk.
  function named(name: string): ResolvedCookieOptions {
    return name === cookie.name ? cookie : { ...cookie, name };
  }

  // Deletions of whatever the browser holds under the session's names (with chunking) that
  // this response does not write, so its jar ends up holding exactly what was written.
  function deleteStale(session: Session<Data>, written: string[], secure: boolean): CookieWrite[] {
    const sent = sentCookies.get(session);
    if (sent === undefined) return [];
    return staleCookieNames(sent, cookie.name, written).map((name) => deleteCookieWrite(named(name), secure));
  }

  // The Set-Cookie values that write `value`: one cookie when it fits, else chunks (when
  // chunking; splitIntoChunks throws past MAX_CHUNKS, before any header exists).
  function setCookies(session: Session<Data>, value: string, parts: SetCookieParts): CookieWrite[] {
    const cookies = cookie.name.length + value.length <= MAX_COOKIE_SIZE ? [{ name: cookie.name, value }] : splitIntoChunks(cookie.name, value);
    const lines = cookies.map((c) => cookieWrite(named(c.name), c.value, parts));
    return [...lines, ...deleteStale(session, cookies.map((c) => c.name), parts.secure)];
  }

  // Decides what the session needs on the wire: the Set-Cookie values (or null) and whether to Vary.
  async function decide(session: Session<Data>, i: SessionInternals, options: CommitOptions | undefined): Promise<CookieWrite[]> {
    const state = i.state;
    const secure = isSecure(i.request);
    if (backend !== undefined) {
      const write = await backend.commit(i, secure, options?.waitUntil);
      return write === null ? [] : [write];
    }
    const modified = wasChanged(i);
    if (isEmpty(state)) return modified || i.destroyed ? [deleteCookieWrite(cookie, secure), ...deleteStale(session, [cookie.name], secure)] : [];

    const nowS = Math.floor(now() / 1000);
    const refreshDue =
      state.permanent &&
      !i.isNew &&
      (config.refresh === true || (config.refresh !== false && nowS - state.lastActive >= config.refresh));
    if (!modified && !refreshDue && !state.stale) return [];

    // A new absolute lifetime only for a new session, one emptied in this request before
    // being filled again, or regenerate({ fresh: true }); regenerate() alone keeps it.
    const fresh = i.isNew || i.cleared || i.fresh || state.created === 0;
    const written: SessionState = {
      ...state,
      created: fresh ? nowS : state.created,
      lastActive: nowS,
      nonce: i.regenerated ? base64urlEncode(randomBytes(9)) : state.nonce,
    };
    const value = await codec.encode(written);
    if (!chunking && cookie.name.length + value.length > MAX_COOKIE_SIZE) {
      throw new SessionError(
        "cookie_too_large",
        `the session cookie would be ${cookie.name.length + value.length} bytes (name + value), over the ${MAX_COOKIE_SIZE}-byte limit browsers enforce; store less in the session or use a server-side store. Nothing was written; the previous cookie stays.`,
      );
    }
    if (!state.permanent) return setCookies(session, value, { secure });
    const maxAge = remainingSeconds(written.created, nowS, config);
    return setCookies(session, value, { maxAge, expires: (nowS + maxAge) * 1000, secure });
  }


  async function save(session: Session<Data>, options?: CommitOptions): Promise<SessionWrites> {
    const i = sessionInternals(session);
    if (i.decision !== undefined) return i.decision;
    // From here on a change to the session throws (already_committed): it could not be written.
    i.committed = true;
    if (!i.accessed) return (i.decision = UNTOUCHED);
    try {
      i.decision = { cookies: await decide(session, i, options), vary: true };
    } catch (error) {
      // Nothing was written: the app may catch the error, change the session and try again.
      i.committed = false;
      throw error;
    }
    return i.decision;
  }

  async function commit(session: Session<Data>, response: Response, options?: CommitOptions): Promise<Response> {
    // Structural, not instanceof: @hono/node-server swaps the global Response class, so a
    // Response.redirect() made before it is not an instance of the current global.
    if (!isResponse(response)) throw new TypeError("commit(session, response) needs a Response");
    const writes = await save(session, options);
    if (!writes.vary) return response;
    const committed = withSessionHeaders(response, writes.cookies);
    if (writes.cookies.length > 0 && !warnedLarge) warnIfLarge(committed);
    return committed;
  }

  // Said once per createSessions, with sizes only (never a cookie's value).
  function warnIfLarge(response: Response): void {
    let bytes = 0;
    for (const line of response.headers.getSetCookie()) {
      const pair = line.indexOf(";") === -1 ? line : line.slice(0, line.indexOf(";"));
      if (!pair.endsWith("=")) bytes += pair.length; // a deletion comes back as nothing
    }
    if (bytes <= COOKIE_HEADER_BUDGET) return;
    warnedLarge = true;
    console.warn(
      `websession: a response sets ${bytes} bytes of cookies (name=value), over ${COOKIE_HEADER_BUDGET}: browsers send them all back in every request's Cookie header, which many servers and proxies refuse above 8 KB (nginx's default). Keep the session smaller, or use a server-side store.`,
    );
  }

  function handle<Args extends unknown[] = []>(handler: SessionHandler<Data, Args>): (request: Request, ...args: Args) => Promise<Response> {
    return async (request, ...args) => {
      const session = await load(request);
      const response = await handler(request, session, ...args);
      return commit(session, response);
    };
  }

  return { load, save, commit, handle };
}

function createCodec(config: ResolvedOptions): Codec {
  switch (config.format) {
    case "signed":
      return signedCodec(config.secrets, config.cookie.name, { maxTokenLength: maxTokenLength(config) });
    case "sealed":
      return sealedCodec(config.secrets, config.cookie.name, { maxTokenLength: maxTokenLength(config) });
    case "flask":
      return flaskCodec(config.secrets);
  }
}

// The longest token read from a request: one cookie's worth, or all that chunks can carry.
function maxTokenLength(config: ResolvedOptions): number {
  return config.oversize === "chunk" ? maxChunkedLength(config.cookie.name) : MAX_COOKIE_SIZE;
}

function isResponse(value: unknown): value is Response {
  return typeof value === "object" && value !== null && typeof (value as Response).status === "number" && (value as Response).headers instanceof Headers;
}

// Headers a reverse proxy or CDN adds: any of them means the client may not be on loopback.
const PROXY_HEADERS = ["forwarded", "x-forwarded-proto", "x-forwarded-for", "x-forwarded-host", "x-forwarded-ssl", "x-real-ip", "via", "cf-visitor"];

/** What `secure: "auto"` decides for a request, and what to say once when it is surprising. */
export function autoSecure(request: RequestLike | undefined): { secure: boolean; warn?: string; message?: string } {
  const url = request?.url ?? "";
  if (!url.startsWith("http:")) return { secure: true };
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return { secure: true };
  }
  const headers = request!.headers;
  const proxy = PROXY_HEADERS.find((name) => headers.get(name) !== null);
  if (isLoopback(host) && proxy === undefined) {
    return {
      secure: false,
      warn: "dropped",
      message: `websession: sending the session cookie without Secure, because the request is plain http to the loopback host ${host} (local development). Behind a reverse proxy this is wrong: forward the original Host (nginx: proxy_set_header Host $host; proxy_set_header X-Forwarded-Proto $scheme), or set cookie.secure: true.`,
    };
  }
  return {
    secure: true,
    warn: "kept",
    message: `websession: sending a Secure cookie in reply to a plain-http request for ${host}${proxy === undefined ? "" : ` (through a proxy: ${proxy})`}; browsers drop it unless the client really uses https (behind a TLS proxy this is fine). Set cookie.secure to silence this.`,
  };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `response` with `Vary: Cookie` merged in and, when given, the session's `Set-Cookie` values
 * (replacing any the handler set for the same names: one per name). The headers are set on
 * the response itself when they can be (copying its body costs more than the whole session);
 * a response with immutable headers (a fetch() result, Response.redirect) gets a copy.
 */
function withSessionHeaders(response: Response, setCookies: readonly CookieWrite[]): Response {
  // Headers the handler built are mutable: set ours on them, without copying the body stream
  // (which costs more than the whole signed codec on Node and Deno). Immutable headers (fetch()
  // results, Response.redirect/error) throw on the first change, before anything changed.
  try {
    applySessionHeaders(response.headers, setCookies);
    return response;
  } catch {
    // 1xx (WebSocket upgrades) cannot be rebuilt with the Response constructor: not written.
    if (response.status < 200) return response;
  }
  const headers = new Headers(response.headers);
  applySessionHeaders(headers, setCookies);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function applySessionHeaders(headers: Headers, setCookies: readonly CookieWrite[]): void {
  const vary = headers.get("Vary");
  if (vary === null) headers.set("Vary", "Cookie");
  else if (!/(^|,)\s*(\*|cookie)\s*(,|$)/i.test(vary)) headers.set("Vary", `${vary}, Cookie`);
  if (setCookies.length > 0) {
    const prefixes = setCookies.map((c) => `${c.name}=`);
    const ours = (c: string): boolean => prefixes.some((p) => c.startsWith(p));
    const others = headers.getSetCookie();
    if (others.some(ours)) {
      headers.delete("Set-Cookie");
      for (const c of others) if (!ours(c)) headers.append("Set-Cookie", c);
    }
    for (const c of setCookies) headers.append("Set-Cookie", c.header);
    // Keep responses that set the session cookie out of shared caches, unless the app chose.
    if (!headers.has("Cache-Control")) headers.set("Cache-Control", "private");
  }
}
