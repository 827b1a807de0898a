// SvelteKit: a `handle` hook that loads the session into event.locals.session and commits it
// onto the response that resolve() returns. SvelteKit's own types are not imported: the hook
// is typed structurally, and is assignable to its `Handle`.

import type { Session, SessionData } from "../src/index.ts";
import { frameworkSessions } from "./framework.ts";
import type { FrameworkSessionsOptions } from "./framework.ts";

/** Options of {@link handleSession}: `createSessions` options. */
export type SvelteKitSessionOptions = FrameworkSessionsOptions;

/** The parts of SvelteKit's `RequestEvent` the hook uses. */
export interface SvelteKitEvent {
  readonly request: Request;
  locals: object;
}

/** The hook: assignable to SvelteKit's `Handle`, so it goes straight into `sequence()`. */
export type SessionHandle = <Event extends SvelteKitEvent>(input: {
  event: Event;
  resolve: (event: Event) => Response | Promise<Response>;
}) => Promise<Response>;

/**
 * A SvelteKit `handle` hook that puts the request's session in `event.locals.session` and
 * writes it back onto the response. From `websession/sveltekit`.
 *
 * Options are validated when `handleSession()` runs (at start-up). The session cookie is read
 * from the raw `Cookie` header, never through `event.cookies`. A store outage answers 503
 * (the `onError` option changes that). Type `locals` in `src/app.d.ts`:
 * `declare global { namespace App { interface Locals { session: Session<Data> } } }`.
 *
 * @example
 * ```ts
 * // src/hooks.server.ts
 * import { handleSession } from "websession/sveltekit";
 * export const handle = handleSession({ secret: process.env.SESSION_SECRET! });
 * ```
 */
export function handleSession<Data extends object = SessionData>(options: SvelteKitSessionOptions): SessionHandle {
  const { sessions, unavailable } = frameworkSessions<Data>(options, "sveltekit");
  return async function handle({ event, resolve }) {
    let session: Session<Data>;
    try {
      session = await sessions.load(event.request);
    } catch (error) {
      return unavailable(error, event.request);
    }
    (event.locals as { session: Session<Data> }).session = session;
    const response = await resolve(event);
    try {
      return await sessions.commit(session, response);
    } catch (error) {
      return unavailable(error, event.request);
    }
  };
}
