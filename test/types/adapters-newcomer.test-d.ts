// Type tests for the adapter signatures the README's snippets rely on (issue #20): checked by
// `tsc -p test/types`, never executed.
import { expectTypeOf } from "vitest";
import { withSession as bunSession } from "../../adapters/bun.ts";
import type { Server } from "../../adapters/bun.ts";
import { withSession as workerSession } from "../../adapters/workers.ts";
import type { ExecutionContext } from "../../adapters/workers.ts";

// Bun: a handler that always answers gives a fetch that always answers, as Bun.serve's types
// require without a websocket handler; one that may return undefined (after server.upgrade) says so.
const always = bunSession({ secret: "x".repeat(40) }, () => new Response("ok"));
expectTypeOf(always).toEqualTypeOf<(request: Request, server: Server) => Promise<Response>>();
const asyncAlways = bunSession<{ user?: string }>({ secret: "x".repeat(40) }, async (_request, session) => new Response(session.get("user") ?? ""));
expectTypeOf(asyncAlways).toEqualTypeOf<(request: Request, server: Server) => Promise<Response>>();
const upgrading = bunSession({ secret: "x".repeat(40) }, (request) => (request.headers.get("upgrade") === "websocket" ? undefined : new Response("ok")));
expectTypeOf(upgrading).toEqualTypeOf<(request: Request, server: Server) => Promise<Response | undefined>>();

// Workers: naming the data type means naming Env too; then env is typed without an annotation.
interface Env {
  SESSION_SECRET: string;
}
const worker = workerSession<{ visits?: number }, Env>(
  (env) => ({ secret: env.SESSION_SECRET }),
  (_request, session, env) => {
    expectTypeOf(env).toEqualTypeOf<Env>();
    expectTypeOf(session.get("visits")).toEqualTypeOf<number | undefined>();
    return new Response("ok");
  },
);
expectTypeOf(worker).parameters.toEqualTypeOf<[Request, Env, ExecutionContext]>();
// prettier-ignore
// @ts-expect-error TypeScript infers all type arguments or none: Data alone leaves Env unknown.
workerSession<{ visits?: number }>((env: Env) => ({ secret: env.SESSION_SECRET }), () => new Response("ok"));
