// Node: a session for node:http request listeners (withSession) and Connect/Express
// middleware (session), through the same core as every other runtime.

import { createSessions } from "../src/sessions.ts";
import type { Session, SessionData } from "../src/index.ts";
import type { StorableOptions } from "../src/schema.ts";
import { answer, holdUntilSaved, isThenable, requestView, splitOptions, statusFor, withStatus } from "./node-common.ts";
import type { NodeRequest, NodeResponse, NodeSessionOptions } from "./node-common.ts";

export type { NodeErrorHook, NodeRequest, NodeResponse, NodeSessionOptions } from "./node-common.ts";

/** A `node:http` handler that receives the request's session. */
export type NodeSessionHandler<Data extends object, Req, Res> = (req: Req, res: Res, session: Session<Data>) => unknown;

/**
 * Wraps a `node:http` request listener: `handler(req, res, session)`. From `websession/node`.
 *
 * The session is loaded before the handler (a store is read now; its outage answers 503) and
 * saved at the last moment headers can change, however the handler answers. A change after
 * that throws `SessionError` (`already_committed`). An error the handler throws (or a
 * promise it returns rejects with) goes to `options.onError`, and a 500 goes out when nothing
 * was sent, with no session changes. Options are validated now, at start-up.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { withSession } from "websession/node";
 *
 * createServer(
 *   withSession<{ visits?: number }>({ secret: process.env.SESSION_SECRET! }, (req, res, session) => {
 *     session.set("visits", (session.get("visits") ?? 0) + 1);
 *     res.end(`visit ${session.get("visits")}\n`);
 *   }),
 * ).listen(3000);
 * ```
 */
export function withSession<Data extends object = SessionData, Req extends NodeRequest = NodeRequest, Res extends NodeResponse = NodeResponse>(
  options: NodeSessionOptions,
  handler: NodeSessionHandler<Data, Req, Res>,
): (req: Req, res: Res) => void {
  const { core, onError } = splitOptions(options, "withSession");
  if (typeof handler !== "function") throw new TypeError("withSession(options, handler): handler must be a function (req, res, session) => void");
  const sessions = createSessions<Data>(core as StorableOptions<Data>);
  return function listener(req, res) {
    sessions.load(requestView(req)).then(
      function loaded(session) {
        const hold = holdUntilSaved(sessions, session, req, res, onError);
        function fail(error: unknown): void {
          report(error);
          if (!hold.started()) answer(res, 500);
          else if (!hold.ended()) res.destroy();
        }
        let result: unknown;
        try {
          result = handler(req, res, session);
        } catch (error) {
          fail(error);
          return;
        }
        if (isThenable(result)) result.then(undefined, fail);
      },
      function unavailable(error: unknown) {
        report(error);
        if (!res.headersSent) answer(res, statusFor(error));
      },
    );
    function report(error: unknown): void {
      try {
        onError(error, req, res);
      } catch (hookError) {
        console.error(hookError);
      }
    }
  };
}

/** What {@link session} needs from a Connect/Express request: Node's, plus `session`. */
export interface SessionRequest<Data extends object = SessionData> extends NodeRequest {
  session?: Session<Data>;
}

/**
 * Connect/Express middleware that sets `req.session` (typed through {@link Register}). From
 * `websession/node`.
 *
 * Works with `res.send`, `json`, `redirect`, `render`, `sendFile`, `pipe()` and `res.write()`
 * streaming: the session is saved when the response starts. A store outage on load calls
 * `next(err)` with the `SessionError` (`store_unavailable`, with `statusCode` 503, which
 * Express's default error handler answers); an error response (5xx, from Express's error
 * handler too) writes no session changes. A change after the response started throws
 * `SessionError` (`already_committed`).
 *
 * @example
 * ```ts
 * import express from "express";
 * import { session } from "websession/node";
 *
 * const app = express();
 * app.use(session({ secret: process.env.SESSION_SECRET! }));
 * app.get("/", (req, res) => {
 *   res.send(`Hello ${String(req.session.get("user") ?? "stranger")}`);
 * });
 * ```
 */
export function session<Data extends object = RegisteredData>(
  options: NodeSessionOptions,
): (req: SessionRequest<Data>, res: NodeResponse, next: (error?: unknown) => void) => void {
  const { core, onError } = splitOptions(options, "session");
  const sessions = createSessions<Data>(core as StorableOptions<Data>);
  return function websession(req, res, next) {
    // Mounted twice (an app and a router): one session per request.
    if (req.session !== undefined) return next();
    sessions.load(requestView(req)).then(
      function loaded(current) {
        req.session = current;
        holdUntilSaved(sessions, current, req, res, onError);
        next();
      },
      function unavailable(error: unknown) {
        next(withStatus(error));
      },
    );
  };
}

/**
 * Declares the data type of `req.session` (Express) for the whole app, by declaration merging:
 *
 * ```ts
 * declare module "websession/node" {
 *   interface Register { data: { user?: string; visits?: number } }
 * }
 * ```
 * Without it, `req.session` is a `Session<Record<string, unknown>>`.
 */
// biome-ignore lint: an empty interface is the point (users add `data` to it).
export interface Register {}

/** The data type registered through {@link Register}, or `SessionData`. */
export type RegisteredData = Register extends { data: infer D extends object } ? D : SessionData;

// Express's Request extends the global Express.Request (as express-session's types do), so this
// needs no Express types installed to compile.
declare global {
  // biome-ignore lint: Express's own merging point is a namespace.
  namespace Express {
    interface Request {
      /** The request's session, from `websession/node`'s `session()` middleware. */
      session: Session<RegisteredData>;
    }
  }
}
