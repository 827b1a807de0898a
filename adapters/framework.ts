// What the full-stack framework adapters (next, sveltekit, astro, react-router) share: their
// extra option, validated with the rest at start-up, and the 503 a store outage answers.

import { SessionError, createSessions } from "../src/index.ts";
import type { SessionData, Sessions, SessionsOptions } from "../src/index.ts";

/** The options every framework adapter takes on top of {@link SessionsOptions}. */
export interface FrameworkSessionsOptions extends SessionsOptions {
  /**
   * The response when the server-side store fails or times out (`SessionError`
   * `store_unavailable`). Default: a plain `503 Service Unavailable` with `Retry-After: 5`;
   * nothing was written, so the browser keeps its cookie.
   */
  onUnavailable?: (error: SessionError, request: Request) => Response | Promise<Response>;
}

/** A session manager and the outage answer of a framework adapter. */
export interface FrameworkSessions<Data extends object> {
  readonly sessions: Sessions<Data>;
  /** The response for `error` when it is a store outage; any other error is rethrown. */
  unavailable(error: unknown, request: Request): Promise<Response>;
}

/**
 * Validates `options` (throwing at start-up with what to change) and builds the session manager.
 * Internal to the adapters.
 */
export function frameworkSessions<Data extends object = SessionData>(options: FrameworkSessionsOptions, adapter: string): FrameworkSessions<Data> {
  if (typeof options !== "object" || options === null) throw new TypeError(`websession/${adapter}: options must be an object with at least a secret`);
  const { onUnavailable, ...core } = options;
  if (onUnavailable !== undefined && typeof onUnavailable !== "function") {
    throw new TypeError(`websession/${adapter}: option onUnavailable must be a function (error, request) => Response`);
  }
  const sessions = createSessions<Data>(core);
  async function unavailable(error: unknown, request: Request): Promise<Response> {
    if (!(error instanceof SessionError) || error.code !== "store_unavailable") throw error;
    if (onUnavailable !== undefined) return onUnavailable(error, request);
    return new Response("Service Unavailable: the session store did not answer; try again shortly.\n", {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "5", "cache-control": "no-store" },
    });
  }
  return { sessions, unavailable };
}
