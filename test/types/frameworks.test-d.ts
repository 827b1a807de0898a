// Type tests of the framework adapters: checked by `tsc -p test/types`, never executed. React
// Router's own types are a root devDependency; SvelteKit's Handle and Astro's MiddlewareHandler
// are restated here in their published shapes (the test apps' own tsc runs check them against the
// real packages: test/frameworks/{sveltekit,astro,next}).
import { RouterContextProvider } from "react-router";
import type { MiddlewareFunction, SessionStorage } from "react-router";
import { expectTypeOf } from "vitest";
import { sessionMiddleware as astroMiddleware } from "../../adapters/astro.ts";
import { nextSessions } from "../../adapters/next.ts";
import { createSessionMiddleware, createSessionStorage } from "../../adapters/react-router.ts";
import { handleSession } from "../../adapters/sveltekit.ts";
import type { Session } from "../../src/index.ts";

interface Cart {
  user?: string;
  items: string[];
}
const secret = "x".repeat(40);

// React Router: the middleware is a MiddlewareFunction; context.get() gives Session<Cart>.
const { sessionContext, sessionMiddleware } = createSessionMiddleware<Cart>({ secret });
const middleware: MiddlewareFunction<Response>[] = [sessionMiddleware];
void middleware;
const context = new RouterContextProvider();
expectTypeOf(context.get(sessionContext)).toEqualTypeOf<Session<Cart>>();
expectTypeOf(context.get(sessionContext).get("items")).toEqualTypeOf<string[] | undefined>();

// React Router: the createCookieSessionStorage drop-in has its exact type, keys checked.
const storage = createSessionStorage<Cart>({ secret, cookie: { secure: false } });
expectTypeOf(storage).toEqualTypeOf<SessionStorage<Cart>>();
const routerSession = await storage.getSession("session=abc");
expectTypeOf(routerSession.get("user")).toEqualTypeOf<string | undefined>();
routerSession.flash("user", "ada");
// @ts-expect-error: a key the data type does not have
routerSession.set("admin", true);
expectTypeOf(await storage.commitSession(routerSession)).toEqualTypeOf<string>();

// SvelteKit: the hook is assignable to Handle (as @sveltejs/kit 2 declares it), so sequence() takes it.
interface Locals {
  session: Session<Cart>;
}
interface RequestEvent {
  request: Request;
  url: URL;
  locals: Locals;
  params: Record<string, string>;
}
type MaybePromise<T> = T | Promise<T>;
type Handle = (input: {
  event: RequestEvent;
  resolve: (event: RequestEvent, opts?: { preload?: () => boolean }) => MaybePromise<Response>;
}) => MaybePromise<Response>;
const handle: Handle = handleSession<Cart>({ secret });
void handle;

// Astro: the middleware is assignable to MiddlewareHandler (as astro 5 declares it).
interface APIContext {
  request: Request;
  url: URL;
  locals: Locals;
  redirect(path: string, status?: number): Response;
}
type MiddlewareHandler = (
  context: APIContext,
  next: (rewritePayload?: string | URL | Request) => Promise<Response>,
) => MaybePromise<Response> | MaybePromise<void>;
const onRequest: MiddlewareHandler = astroMiddleware<Cart>({ secret });
void onRequest;

// Next.js: every helper carries Session<Cart>.
const next = nextSessions<Cart>({ secret, next: { headers: async () => new Headers(), cookies: async () => ({ set: () => undefined }) } });
expectTypeOf(await next.getSession()).toEqualTypeOf<Session<Cart>>();
expectTypeOf(await next.readSession()).toEqualTypeOf<Session<Cart>>();
const POST = next.withSession<{ params: Promise<{ id: string }> }>((request, session, { params }) => {
  expectTypeOf(session).toEqualTypeOf<Session<Cart>>();
  expectTypeOf(params).toEqualTypeOf<Promise<{ id: string }>>();
  return Response.json({ path: new URL(request.url).pathname });
});
expectTypeOf(POST).parameters.toEqualTypeOf<[Request, { params: Promise<{ id: string }> }]>();
const edge = next.sessionMiddleware((_request, session) => (session.set("items", []), new Response(null)));
expectTypeOf(edge).toEqualTypeOf<(request: Request) => Promise<Response>>();
// @ts-expect-error: the data type's values are checked in middleware too
next.sessionMiddleware((_request, session) => (session.set("items", "none"), new Response(null)));
