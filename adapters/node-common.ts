// What websession/node and websession/fastify share: a light RequestLike view over Node's
// request (no Request is built, no body is read), the hold that writes the session at the
// last moment headers can change, and the one error path. Structural types only, so the
// adapters need neither @types/node nor a framework at run time.

import { SessionError, safeText } from "../src/errors.ts";
import { safePath } from "../src/request.ts";
import { mergeVary, needsPrivateCache, otherSetCookies } from "../src/headers.ts";
import type { CookieWrite, RequestLike, Session, Sessions, SessionsOptions, SessionWrites } from "../src/index.ts";

/** The parts of Node's `http.IncomingMessage` (an Express request, Fastify's `request.raw`) the adapters read. */
export interface NodeRequest {
  url?: string | undefined;
  readonly headers: { readonly [name: string]: string | string[] | undefined };
  readonly socket?: unknown;
}

/** The parts of Node's `http.ServerResponse` (an Express response) the adapters use. */
export interface NodeResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  appendHeader(name: string, value: string | readonly string[]): unknown;
  hasHeader(name: string): boolean;
  removeHeader(name: string): void;
  getHeaderNames(): string[];
  writeHead(statusCode: number, ...rest: any[]): unknown;
  write(chunk: any, ...rest: any[]): boolean;
  end(...args: any[]): unknown;
  flushHeaders(): void;
  destroy(error?: Error): unknown;
}

/**
 * Reports an error the adapter caught, so none is lost and none becomes an unhandled
 * rejection: the store failing on load (`store_unavailable`), the session failing to save as
 * the response starts (`cookie_too_large`, `unserializable`, `store_unavailable`), or a
 * handler's error (a late change is `already_committed`). It may write its own response;
 * when it does not, the adapter answers 503 (store outage on load) or 500, with none of the
 * handler's headers or body. Default: one `console.error` line.
 */
export type NodeErrorHook = (error: unknown, req: NodeRequest, res: NodeResponse) => void;

/** Options of the Node adapters: {@link SessionsOptions}, with `onError` in Node's shape (it writes to `res`). */
export interface NodeSessionOptions extends Omit<SessionsOptions, "onError"> {
  /** See {@link NodeErrorHook}. Default: one `console.error` line per error. */
  onError?: NodeErrorHook;
}

/** Splits the adapter's own options from the core's. */
export function splitOptions(options: NodeSessionOptions, caller: string): { core: SessionsOptions; onError: NodeErrorHook } {
  if (options === null || typeof options !== "object")
    throw new TypeError(`${caller}: options must be an object with at least a secret, got ${String(options)}`);
  const { onError = logError, ...core } = options;
  if (typeof onError !== "function") throw new TypeError(`${caller}: option onError must be a function (error, req, res) => void`);
  refuseToken(core, caller);
  return { core, onError };
}

/** The default {@link NodeErrorHook}: one line, with the error's code when it is a SessionError. */
export function logError(error: unknown, req: NodeRequest): void {
  const what =
    error instanceof SessionError
      ? `SessionError(${error.code}): ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  console.error(`websession: ${safePath(`http://localhost${req.url ?? "/"}`)}: ${safeText(what)}`);
}

/**
 * The request as the core reads it: `headers.get` straight from Node's lower-cased header
 * object (repeated Cookie headers joined with "; "), and the absolute URL `secure: "auto"`
 * needs, built only when asked for.
 */
export function requestView(req: NodeRequest): RequestLike {
  return new NodeRequestView(req);
}

// A class, not an object literal with a getter: it is made on every request, and a literal's
// accessor costs a property definition each time.
class NodeRequestView implements RequestLike {
  readonly headers: { get(name: string): string | null };
  readonly #req: NodeRequest;

  constructor(req: NodeRequest) {
    this.#req = req;
    this.headers = new NodeHeadersView(req.headers);
  }

  get url(): string {
    const req = this.#req;
    const socket = req.socket as { encrypted?: boolean } | null | undefined;
    const host = req.headers.host ?? req.headers[":authority"];
    // No Host (HTTP/1.0): a name that is never loopback, so Secure stays on.
    const authority = typeof host === "string" && host !== "" ? host : "unknown.invalid";
    return `${socket?.encrypted === true ? "https" : "http"}://${authority}${(req as { originalUrl?: string }).originalUrl ?? req.url ?? "/"}`;
  }
}

class NodeHeadersView {
  readonly #headers: NodeRequest["headers"];

  constructor(headers: NodeRequest["headers"]) {
    this.#headers = headers;
  }

  get(name: string): string | null {
    const lower = name.toLowerCase();
    const value = this.#headers[lower];
    if (value === undefined) return null;
    return typeof value === "string" ? value : value.join(lower === "cookie" ? "; " : ", ");
  }
}

/** Sets what `writes` needs on a Node response: `Set-Cookie` (one per name), `Vary`, `Cache-Control`. */
export function applyNodeHeaders(res: NodeResponse, writes: SessionWrites): void {
  if (!writes.vary) return;
  const current = res.getHeader("vary");
  const vary = mergeVary(current === undefined ? undefined : Array.isArray(current) ? current.join(", ") : String(current));
  if (vary !== undefined) res.setHeader("Vary", vary);
  const cookies: readonly CookieWrite[] = writes.cookies;
  if (cookies.length > 0) {
    const set = res.getHeader("set-cookie");
    const existing = set === undefined ? [] : Array.isArray(set) ? set : [String(set)];
    res.setHeader("Set-Cookie", [...otherSetCookies(existing, cookies), ...cookies.map((c) => c.header)]);
  }
  if (needsPrivateCache(cookies, res.hasHeader("cache-control"))) res.setHeader("Cache-Control", "private");
}

/** Answers `status` with a plain-text body and none of the handler's headers, unless something was sent. */
export function answer(res: NodeResponse, status: number): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end(status === 503 ? "Service Unavailable\n" : "Internal Server Error\n");
}

/** The status for an error the adapter answers: 503 for a store outage, else 500. */
export function statusFor(error: unknown): number {
  return error instanceof SessionError && error.code === "store_unavailable" ? 503 : 500;
}

/**
 * `error` with the `statusCode` a framework's default error handler answers with (Express's
 * finalhandler and Fastify both read it): 503 for a store outage, so that is the default.
 */
export function withStatus(error: unknown): unknown {
  if (error instanceof SessionError && error.code === "store_unavailable" && !("statusCode" in error)) Object.assign(error, { statusCode: 503 });
  return error;
}

/** What {@link holdUntilSaved} tells its caller about the response. */
export interface Hold {
  /** Whether the handler began answering (headers or body), so an error can no longer replace the response. */
  started(): boolean;
  /** Whether the handler called `end()`: the response is complete, even if still held. */
  ended(): boolean;
}

type Method = (...args: any[]) => unknown;

/**
 * Saves `session` at the last moment headers can change: the first `writeHead`, `write`,
 * `end` or `flushHeaders` on `res` (so `res.send`, `json`, `redirect`, `render`, `sendFile`,
 * `pipe()` and streaming all carry the cookie). Saving is asynchronous and those calls are not,
 * so they are held, in order, until the session is saved, then replayed; only this response
 * object is patched. A 5xx response (a failed request) writes no session changes. When saving
 * fails, nothing of the handler's response is sent: `onError`, then a 500.
 */
export function holdUntilSaved<Data extends object>(
  sessions: Sessions<Data>,
  session: Session<Data>,
  req: NodeRequest,
  res: NodeResponse,
  onError: NodeErrorHook,
): Hold {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end, flushHeaders: res.flushHeaders };
  let phase: "open" | "saving" | "done" = "open";
  let queue: Array<[Method, unknown[]]> = [];
  let ended = false;

  // Whether a call may go through now; the first one starts saving.
  function pass(status: number): boolean {
    if (phase === "done") return true;
    if (phase === "saving") return false;
    if (status >= 500 || !session.accessed) {
      phase = "done";
      // An untouched session saves synchronously (nothing to write); it is now committed, so
      // a change from work the handler left running throws instead of being lost.
      if (status < 500) sessions.save(session).then(undefined, report);
      return true;
    }
    phase = "saving";
    sessions.save(session).then(saved, failed);
    return false;
  }

  function saved(writes: SessionWrites): void {
    const held = queue;
    queue = [];
    try {
      const first = held[0];
      // Headers given to writeHead would override ours: set them first, then the session's.
      if (first !== undefined && first[0] === original.writeHead) first[1] = absorbHeaders(res, first[1]);
      applyNodeHeaders(res, writes);
    } catch (error) {
      failed(error);
      return;
    }
    phase = "done";
    for (const [method, args] of held) method.apply(res, args);
  }

  function failed(error: unknown): void {
    phase = "done";
    queue = [];
    report(error);
    answer(res, 500);
  }

  function report(error: unknown): void {
    try {
      onError(error, req, res);
    } catch (hookError) {
      logError(hookError, req);
    }
  }

  res.writeHead = function writeHead(this: NodeResponse, statusCode: number, ...rest: unknown[]) {
    if (pass(statusCode)) return original.writeHead.call(res, statusCode, ...rest);
    queue.push([original.writeHead, [statusCode, ...rest]]);
    return res;
  };
  res.write = function write(...args: unknown[]): boolean {
    if (pass(res.statusCode)) return original.write.apply(res, args as [unknown]);
    queue.push([original.write, args]);
    return true;
  };
  res.end = function end(...args: unknown[]) {
    ended = true;
    if (pass(res.statusCode)) return original.end.apply(res, args);
    queue.push([original.end, args]);
    return res;
  };
  res.flushHeaders = function flushHeaders(): void {
    if (pass(res.statusCode)) return original.flushHeaders.call(res);
    queue.push([original.flushHeaders, []]);
  };

  return {
    started: () => phase !== "open" || res.headersSent,
    ended: () => ended,
  };
}

// writeHead(status, [message], [headers]): applies `headers` with setHeader/appendHeader (as
// Node would) and returns the arguments without them.
function absorbHeaders(res: NodeResponse, args: unknown[]): unknown[] {
  const at = typeof args[1] === "string" ? 2 : 1;
  const headers = args[at];
  if (headers === undefined || headers === null) return args;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) for (const [name, value] of headers as [string, string][]) res.appendHeader(name, value);
    else for (let i = 0; i + 1 < headers.length; i += 2) res.appendHeader(String(headers[i]), headers[i + 1] as string);
  } else {
    for (const [name, value] of Object.entries(headers as Record<string, number | string | string[] | undefined>)) {
      if (value !== undefined) res.setHeader(name, value);
    }
  }
  return args.slice(0, at);
}

/** `value` is a promise (a handler's result), so its rejection can be caught. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * Header tokens (option `token`) are carried by `handle()` and the Hono, Workers, Deno and Bun
 * adapters; an adapter that writes cookies itself refuses the option at start-up rather than
 * answer a header client with nothing (and without `Vary` on its header).
 */
export function refuseToken(options: { token?: unknown }, caller: string): void {
  if (options.token !== undefined) {
    throw new TypeError(
      `${caller}: option token (header tokens) is not supported by this adapter yet; use handle() or the Hono adapter for API clients, or remove token`,
    );
  }
}
