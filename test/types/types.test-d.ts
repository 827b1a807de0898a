// Type tests: checked by `tsc -p test/types` (part of `npm run typecheck`), never executed.
import { Hono } from "hono";
import { expectTypeOf } from "vitest";
import { session } from "../../adapters/hono.ts";
import { withSession as workerSession } from "../../adapters/workers.ts";
import { createSessions } from "../../src/index.ts";
import type { Session } from "../../src/index.ts";

interface Cart {
  user?: string;
  items: string[];
  visits?: number;
}

// The data type flows from createSessions<Data>() into load() and handle().
const sessions = createSessions<Cart>({ secret: "x".repeat(40) });
declare const request: Request;
const s = await sessions.load(request);
expectTypeOf(s).toEqualTypeOf<Session<Cart>>();
expectTypeOf(s.get("user")).toEqualTypeOf<string | undefined>();
expectTypeOf(s.get("items")).toEqualTypeOf<string[] | undefined>();
expectTypeOf(s.get("visits", 0)).toEqualTypeOf<number>();
expectTypeOf(s.pop("user", "anonymous")).toEqualTypeOf<string>();
expectTypeOf(s.setDefault("items", [])).toEqualTypeOf<string[]>();
expectTypeOf(s.keys()).toEqualTypeOf<Array<"user" | "items" | "visits">>();
expectTypeOf(s.flashes()).toEqualTypeOf<string[]>();
expectTypeOf(s.flashes({ withCategories: true })).toEqualTypeOf<Array<[category: string, message: string]>>();
s.set("visits", 1);
// @ts-expect-error: a key the data type does not have
s.set("admin", true);
// @ts-expect-error: a value of the wrong type
s.set("visits", "many");
// @ts-expect-error: an unknown key is not readable either
s.get("admin");

sessions.handle((_request, session) => {
  expectTypeOf(session).toEqualTypeOf<Session<Cart>>();
  return new Response("ok");
});

// An interface works as the data type (no index signature needed).
const untyped = createSessions({ secret: "x".repeat(40) });
expectTypeOf(untyped.load).returns.resolves.toEqualTypeOf<Session<Record<string, unknown>>>();

// Hono: the type is carried through Variables.
const app = new Hono().use(session<Cart>({ secret: "x".repeat(40) }));
app.get("/", (c) => {
  expectTypeOf(c.get("session")).toEqualTypeOf<Session<Cart>>();
  expectTypeOf(c.get("session").get("items")).toEqualTypeOf<string[] | undefined>();
  return c.text("ok");
});

// Workers: options from env, extra arguments typed.
interface Env {
  SESSION_SECRET: string;
}
workerSession<Cart, Env>(
  (env) => {
    expectTypeOf(env).toEqualTypeOf<Env>();
    return { secret: env.SESSION_SECRET };
  },
  (_request, session, env) => {
    expectTypeOf(session).toEqualTypeOf<Session<Cart>>();
    expectTypeOf(env).toEqualTypeOf<Env>();
    return new Response("ok");
  },
);
