// The demo app as a Hono app; runs wherever Hono runs (examples/node.ts serves it on Node).
import { Hono } from "hono";
import { session } from "../adapters/hono.ts";
import type { SessionEnv } from "../adapters/hono.ts";
import { logIn, logOut, page } from "./app.ts";
import type { Data } from "./app.ts";

/** The demo's routes behind the session middleware. */
export function createApp(secret: string): Hono<SessionEnv<Data>> {
  const app = new Hono<SessionEnv<Data>>();
  app.use(session<Data>({ secret }));
  app.get("/", (c) => page(c.get("session")));
  app.get("/me", (c) => c.json({ user: c.get("session").get("user") ?? null }));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    logIn(c.get("session"), String(form["user"] ?? ""));
    return c.redirect("/", 303);
  });
  app.post("/logout", (c) => {
    logOut(c.get("session"));
    return c.redirect("/", 303);
  });
  return app;
}
