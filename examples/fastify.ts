// The demo on Fastify with websession/fastify's plugin: the same pages as app.ts.
import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import { sessionPlugin } from "../adapters/fastify.ts";
import type { FastifySessionOptions } from "../adapters/fastify.ts";
import { logIn, logOut, me, pages } from "./app.ts";
import type { Data } from "./app.ts";
import { sessionsAction } from "./devices.ts";
import type { Accounts } from "./devices.ts";

declare module "../adapters/fastify.ts" {
  interface Register {
    data: Data;
  }
}

/** The demo as a Fastify app (not yet listening). */
export async function createFastifyApp(options: FastifySessionOptions, accounts?: Accounts): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 16_384 });
  // The login form: Fastify parses JSON only out of the box.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, text, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(text))));
  });
  await app.register(sessionPlugin, options);
  app.get("/", async (request, reply) => reply.type("text/html; charset=utf-8").send(pages.home(request.session)));
  app.get("/login", async (_request, reply) => reply.type("text/html; charset=utf-8").send(pages.login()));
  app.post("/login", async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    logIn(request.session, form.user ?? "", form.remember === "1");
    return reply.redirect("/", 303);
  });
  for (const method of ["GET", "POST"] as const) {
    app.route({
      method,
      url: "/logout",
      handler: async (request, reply) => {
        logOut(request.session);
        return reply.redirect("/", 303);
      },
    });
  }
  app.get("/session", async (request, reply) => reply.type("text/html; charset=utf-8").send(pages.session(request.session)));
  app.get("/sessions", async (request, reply) => reply.type("text/html; charset=utf-8").send(await pages.sessions(accounts, request.session)));
  app.post("/sessions/:action", async (request, reply) => {
    const path = request.url.split("?")[0]!;
    const form = new URLSearchParams((request.body ?? {}) as Record<string, string>);
    if (!(await sessionsAction(accounts, request.session, path, form))) return reply.code(404).send("Not found");
    return reply.redirect(path === "/sessions/everywhere" ? "/" : "/sessions", 303);
  });
  app.get("/me", async (request) => me(request.session));
  return app;
}
