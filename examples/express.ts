// The demo on Express with websession/node's session() middleware: the same pages as app.ts.
import express from "express";
import type { Express } from "express";
import { session } from "../adapters/node.ts";
import type { NodeSessionOptions } from "../adapters/node.ts";
import { logIn, logOut, me, pages } from "./app.ts";
import type { Data } from "./app.ts";
import { sessionsAction } from "./devices.ts";
import type { Accounts } from "./devices.ts";

declare module "../adapters/node.ts" {
  interface Register {
    data: Data;
  }
}

/** The demo as an Express app. */
export function createExpressApp(options: NodeSessionOptions, accounts?: Accounts): Express {
  const app = express();
  app.use(session(options));
  app.get("/", (req, res) => {
    res.type("html").send(pages.home(req.session));
  });
  app.get("/login", (_req, res) => {
    res.type("html").send(pages.login());
  });
  app.post("/login", express.urlencoded({ extended: false, limit: "16kb" }), (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    logIn(req.session, String(form.user ?? ""), form.remember === "1");
    res.redirect(303, "/");
  });
  app.all("/logout", (req, res) => {
    logOut(req.session);
    res.redirect(303, "/");
  });
  app.get("/session", (req, res) => {
    res.type("html").send(pages.session(req.session));
  });
  app.get("/sessions", async (req, res) => {
    res.type("html").send(await pages.sessions(accounts, req.session));
  });
  app.post("/sessions/:action", express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    const form = new URLSearchParams((req.body ?? {}) as Record<string, string>);
    if (!(await sessionsAction(accounts, req.session, req.path, form))) return void res.sendStatus(404);
    res.redirect(303, req.path === "/sessions/everywhere" ? "/" : "/sessions");
  });
  app.get("/me", (req, res) => {
    res.json(me(req.session));
  });
  return app;
}
