// The demo as a Hono app (examples/node.ts serves it on Node): the session middleware from
// websession/hono, and the demo's one handler for every route.
import { Hono } from "hono";
import { session } from "../adapters/hono.ts";
import type { SessionEnv } from "../adapters/hono.ts";
import type { SessionsOptions } from "../src/options.ts";
import { createDemo } from "./app.ts";
import type { Data } from "./app.ts";
import type { Accounts } from "./devices.ts";

/** The demo behind the session middleware; with `accounts`, its "Your sessions" page too. */
export function createApp(options: SessionsOptions, accounts?: Accounts): Hono<SessionEnv<Data>> {
  const demo = createDemo(accounts);
  const app = new Hono<SessionEnv<Data>>();
  app.use(session<Data>(options));
  app.all("*", (c) => demo(c.req.raw, c.get("session")));
  return app;
}
