// What the full-stack framework adapters (next, sveltekit, astro, react-router) share: the
// session manager, built (and its options validated) at start-up, and the answer to a
// SessionError met while loading or saving — the same one `handle()` gives: 503 for a store
// outage, 500 (one log line) otherwise, or the `onError` option's.

import { refuseToken } from "./node-common.ts";
import { answerSessionErrorOf, createSessions } from "../src/sessions.ts";
import type { Sessions } from "../src/sessions.ts";
import type { SessionsOptions } from "../src/options.ts";
import type { StorableOptions } from "../src/schema.ts";
import type { SessionData } from "../src/session.ts";

/** The options of every framework adapter: those of `createSessions` (`onError` included). */
export type FrameworkSessionsOptions = SessionsOptions;

/** A session manager and the error answer of a framework adapter. */
export interface FrameworkSessions<Data extends object> {
  readonly sessions: Sessions<Data>;
  /** The response for a `SessionError` (503 for `store_unavailable`); any other error is rethrown. */
  unavailable(error: unknown, request: Request): Promise<Response>;
}

/** Validates `options` (throwing at start-up with what to change) and builds the session manager. */
export function frameworkSessions<Data extends object = SessionData>(options: FrameworkSessionsOptions, adapter: string): FrameworkSessions<Data> {
  if (typeof options !== "object" || options === null) throw new TypeError(`websession/${adapter}: options must be an object with at least a secret`);
  // The framework adapters take untyped options: Data is checked where the app reads it.
  refuseToken(options, `websession/${adapter}`);
  const sessions = createSessions<Data>(options as StorableOptions<Data>);
  return { sessions, unavailable: answerSessionErrorOf(sessions) };
}
