// Fastify: a plugin that loads the session in onRequest and saves it in onSend, the last hook
// before the headers go out (for streams too).

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mergeVary, needsPrivateCache, otherSetCookies } from "../src/headers.ts";
import { createSessions } from "../src/sessions.ts";
import { SessionError } from "../src/errors.ts";
import type { Session, SessionData, SessionsOptions } from "../src/index.ts";
import { logError as logNodeError, refuseToken, requestView } from "./node-common.ts";

/**
 * Options of {@link sessionPlugin}: the core's {@link SessionsOptions}, and a hook for the
 * session failing to save as the reply goes out.
 */
export interface FastifySessionOptions extends Omit<SessionsOptions, "onError"> {
  /**
   * Called when the session cannot be saved in `onSend` (`cookie_too_large`, `unserializable`,
   * `store_unavailable`); the reply then becomes a 500 with none of the handler's headers or
   * body. Also called for a store outage on load (answered 503). Default: one `console.error`
   * line (Fastify's own logger is off by default).
   */
  onError?: (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;
}

/**
 * The Fastify plugin: `app.register(sessionPlugin, { secret })` gives every route
 * `request.session` (typed through {@link Register}). From `websession/fastify`.
 *
 * It applies to the whole app, not only to its own encapsulation context (it is registered
 * like `fastify-plugin` plugins are). A store outage on load fails the request with the
 * plain 503 (`Retry-After: 5`) and the error goes to `onError`; a 5xx reply
 * writes no session changes; a change after the reply was sent throws `SessionError`
 * (`already_committed`). A hijacked reply (`reply.hijack()`) is not given a cookie.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { sessionPlugin } from "websession/fastify";
 *
 * const app = Fastify();
 * await app.register(sessionPlugin, { secret: process.env.SESSION_SECRET! });
 * app.get("/", async (request) => `Hello ${String(request.session.get("user") ?? "stranger")}`);
 * ```
 */
export async function sessionPlugin(fastify: FastifyInstance, options: FastifySessionOptions): Promise<void> {
  if (options === null || typeof options !== "object")
    throw new TypeError(`sessionPlugin: options must be an object with at least a secret, got ${String(options)}`);
  const { onError = logError, ...core } = options;
  refuseToken(core, "sessionPlugin");
  if (typeof onError !== "function") throw new TypeError("sessionPlugin: option onError must be a function (error, request, reply) => void");
  const sessions = createSessions<RegisteredData>(core);
  fastify.decorateRequest("session", null as unknown as Session<RegisteredData>);

  fastify.addHook("onRequest", async function loadSession(request, reply) {
    try {
      request.session = await sessions.load(requestView(request.raw));
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      // A store outage: 503 with a plain body (the store's own error text, which may name
      // internal hosts, goes to the log only), and the route never runs.
      reportError(onError, error, request, reply);
      return reply.code(503).header("content-type", "text/plain; charset=utf-8").header("retry-after", "5").send("Service Unavailable\n");
    }
  });

  fastify.addHook("onSend", async function saveSession(request, reply, payload) {
    const current = request.session as Session<RegisteredData> | null;
    if (current === null || reply.statusCode >= 500) return payload;
    try {
      const writes = await sessions.save(current);
      if (!writes.vary) return payload;
      const vary = mergeVary(headerText(reply.getHeader("vary")));
      if (vary !== undefined) reply.header("vary", vary);
      if (writes.cookies.length > 0) {
        const set = reply.getHeader("set-cookie");
        const existing = set === undefined ? [] : Array.isArray(set) ? set : [String(set)];
        reply.removeHeader("set-cookie");
        reply.header("set-cookie", [...otherSetCookies(existing, writes.cookies), ...writes.cookies.map((c) => c.header)]);
      }
      if (needsPrivateCache(writes.cookies, reply.hasHeader("cache-control"))) reply.header("cache-control", "private");
      return payload;
    } catch (error) {
      reportError(onError, error, request, reply);
      // Nothing of the handler's reply goes out: its headers could carry what the session
      // was meant to replace, and its body may assume the session was saved.
      for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
      reply.code(500).header("content-type", "text/plain; charset=utf-8");
      return "Internal Server Error\n";
    }
  });
}

// Registered in the parent context, as fastify-plugin does: every route sees request.session.
Object.assign(sessionPlugin, { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "websession" });

// Fastify's logger is off by default: the default hook logs one line through console.error
// (as the Node adapters do), so a failure is never silent.
function logError(error: unknown, request: FastifyRequest): void {
  logNodeError(error, request.raw);
}

function reportError(onError: NonNullable<FastifySessionOptions["onError"]>, error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  try {
    onError(error, request, reply);
  } catch (hookError) {
    logNodeError(hookError, request.raw);
  }
}

function headerText(value: number | string | string[] | undefined): string | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value.join(", ") : String(value);
}

/**
 * Declares the data type of `request.session` for the whole app, by declaration merging:
 *
 * ```ts
 * declare module "websession/fastify" {
 *   interface Register { data: { user?: string } }
 * }
 * ```
 * Without it, `request.session` is a `Session<Record<string, unknown>>`.
 */
export interface Register {}

/** The data type registered through {@link Register}, or `SessionData`. */
export type RegisteredData = Register extends { data: infer D extends object } ? D : SessionData;

declare module "fastify" {
  interface FastifyRequest {
    /** The request's session, from `websession/fastify`'s `sessionPlugin`. */
    session: Session<RegisteredData>;
  }
}
