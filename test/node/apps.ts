// The servers of the Node adapter tests: the same routes on node:http (withSession), Express
// (session()) and Fastify (sessionPlugin), listening on 127.0.0.1 with a free port (port 0).
//
//   GET /count      increments `n` (a changed session on every request)
//   GET /stream     res.write() streaming, over two event-loop turns
//   GET /pipe       a Readable piped into the response
//   GET /file       a file from disk (Express: res.sendFile; elsewhere a read stream)
//   GET /render     Express only: res.render through a trivial view engine
//   GET /redirect   a 302 after a change
//   GET /json       JSON after a change
//   GET /cookies    the app sets its own "session" and "theme" cookies and Cache-Control
//   GET /error      a change, then the handler throws
//   GET /late       answers, then changes the session (caught at the call, recorded)
//   GET /too-large  a session over 4096 bytes, with an app header

import { createReadStream, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import express from "express";
import Fastify from "fastify";
import { sessionPlugin } from "../../adapters/fastify.ts";
import { session, withSession } from "../../adapters/node.ts";
import type { NodeSessionOptions } from "../../adapters/node.ts";
import type { Session } from "../../src/index.ts";
import { createExpressApp } from "../../examples/express.ts";
import { createFastifyApp } from "../../examples/fastify.ts";
import { createListener } from "../../examples/node-http.ts";

export const KINDS = ["node", "express", "fastify"] as const;
export type Kind = (typeof KINDS)[number];

export const VIEWS = fileURLToPath(new URL("./views/", import.meta.url));
export const FILE = `${VIEWS}page.txt`;
export const FILE_TEXT = readFileSync(FILE, "utf8");

/** A running server: its base URL and how to stop it. */
export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** What the apps saw: errors given to onError, and errors a late change threw at the call. */
export interface Record {
  readonly hooked: unknown[];
  readonly thrown: unknown[];
}

async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The demo (examples/) on `kind`. */
export async function startDemo(kind: Kind, options: NodeSessionOptions): Promise<Running> {
  if (kind === "fastify") return startFastify(await createFastifyApp(options));
  return listen(createServer(kind === "node" ? createListener(options) : createExpressApp(options)));
}

async function startFastify(app: import("fastify").FastifyInstance): Promise<Running> {
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url: address, close: () => app.close() };
}

type Data = { n?: number; big?: string; late?: boolean; x?: number };

function late(s: Session<Data>, record: Record): void {
  setImmediate(() => {
    try {
      s.set("late", true);
    } catch (error) {
      record.thrown.push(error);
    }
  });
}

/** The test routes on `kind`. */
export async function startFeatures(kind: Kind, options: NodeSessionOptions, record: Record): Promise<Running> {
  const hooked = { ...options, onError: (error: unknown) => void record.hooked.push(error) };
  if (kind === "node") {
    return listen(
      createServer(
        withSession<Data, IncomingMessage, ServerResponse>(hooked, async (req, res, s) => {
          switch (req.url) {
            case "/count":
              s.set("n", (s.get("n") ?? 0) + 1);
              return void res.end(String(s.get("n")));
            case "/stream":
              s.set("n", 1);
              res.write("a");
              await new Promise((r) => setTimeout(r, 20));
              res.write("b");
              return void res.end("c");
            case "/pipe":
              s.set("n", 2);
              return void Readable.from(["x", "y", "z"]).pipe(res);
            case "/file":
              s.set("n", 3);
              res.setHeader("content-type", "text/plain");
              return void createReadStream(FILE).pipe(res);
            case "/redirect":
              s.set("n", 4);
              return void res.writeHead(302, { location: "/count" }).end();
            case "/json":
              s.set("n", 5);
              return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
            case "/cookies":
              s.set("n", 6);
              res.setHeader("cache-control", "no-store");
              return void res.writeHead(200, { "set-cookie": ["session=app; Path=/", "theme=dark; Path=/"] }).end("ok");
            case "/raw-headers":
              s.set("n", 6);
              return void res.writeHead(200, "Fine", ["Set-Cookie", "session=app; Path=/", "X-App", "1"]).end("ok");
            case "/error":
              s.set("x", 1);
              throw new Error("handler failed");
            case "/late":
              res.end("ok");
              await new Promise((r) => setImmediate(r));
              // Rejects this handler's promise: reported through onError, never unhandled.
              s.set("late", true);
              return;
            case "/late-sync":
              res.end("ok");
              return late(s, record);
            case "/too-large":
              res.setHeader("x-app", "1");
              s.set("big", "x".repeat(5000));
              return void res.end("never sent");
            default:
              res.statusCode = 404;
              return void res.end("Not found");
          }
        }),
      ),
    );
  }
  if (kind === "express") {
    const app = express();
    app.engine("txt", (path: string, locals: object, done: (e: unknown, html?: string) => void) => {
      done(null, readFileSync(path, "utf8").replace("{{name}}", String((locals as { name?: string }).name)));
    });
    app.set("views", VIEWS);
    app.use(session(hooked));
    const s = (req: express.Request): Session<Data> => req.session as unknown as Session<Data>;
    app.get("/count", (req, res) => {
      s(req).set("n", (s(req).get("n") ?? 0) + 1);
      res.send(String(s(req).get("n")));
    });
    app.get("/stream", async (req, res) => {
      s(req).set("n", 1);
      res.write("a");
      await new Promise((r) => setTimeout(r, 20));
      res.write("b");
      res.end("c");
    });
    app.get("/pipe", (req, res) => {
      s(req).set("n", 2);
      Readable.from(["x", "y", "z"]).pipe(res);
    });
    app.get("/file", (req, res) => {
      s(req).set("n", 3);
      res.sendFile(FILE);
    });
    app.get("/render", (req, res) => {
      s(req).set("n", 7);
      res.render("page.txt", { name: "ada" });
    });
    app.get("/redirect", (req, res) => {
      s(req).set("n", 4);
      res.redirect("/count");
    });
    app.get("/json", (req, res) => {
      s(req).set("n", 5);
      res.json({ ok: true });
    });
    app.get("/cookies", (req, res) => {
      s(req).set("n", 6);
      res.cookie("session", "app").cookie("theme", "dark").set("cache-control", "no-store").send("ok");
    });
    app.get("/error", (req) => {
      s(req).set("x", 1);
      throw new Error("handler failed");
    });
    app.get("/late", async (req, res) => {
      res.send("ok");
      await new Promise((r) => setImmediate(r));
      // Express 5 passes the rejection to next(err): the error handler below records it.
      s(req).set("late", true);
    });
    app.get("/late-sync", (req, res) => {
      res.send("ok");
      late(s(req), record);
    });
    app.get("/too-large", (req, res) => {
      res.set("x-app", "1");
      s(req).set("big", "x".repeat(5000));
      res.send("never sent");
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, next: (e: unknown) => void) => {
      if ((error as { code?: string }).code === "already_committed") record.thrown.push(error);
      if (res.headersSent) return next(error);
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      res.status(status).send(status === 503 ? "Service Unavailable" : "Internal Server Error");
    });
    return listen(createServer(app));
  }
  const app = Fastify();
  await app.register(sessionPlugin, hooked as Parameters<typeof sessionPlugin>[1]);
  const s = (request: import("fastify").FastifyRequest): Session<Data> => request.session as unknown as Session<Data>;
  app.get("/count", async (request) => {
    s(request).set("n", (s(request).get("n") ?? 0) + 1);
    return String(s(request).get("n"));
  });
  app.get("/stream", async (request, reply) => {
    s(request).set("n", 1);
    const stream = new Readable({ read() {} });
    stream.push("a");
    setTimeout(() => {
      stream.push("b");
      stream.push("c");
      stream.push(null);
    }, 20);
    return reply.send(stream);
  });
  app.get("/pipe", async (request, reply) => {
    s(request).set("n", 2);
    return reply.send(Readable.from(["x", "y", "z"]));
  });
  app.get("/file", async (request, reply) => {
    s(request).set("n", 3);
    return reply.type("text/plain").send(createReadStream(FILE));
  });
  app.get("/redirect", async (request, reply) => {
    s(request).set("n", 4);
    return reply.redirect("/count");
  });
  app.get("/json", async (request) => {
    s(request).set("n", 5);
    return { ok: true };
  });
  app.get("/cookies", async (request, reply) => {
    s(request).set("n", 6);
    return reply.header("set-cookie", ["session=app; Path=/", "theme=dark; Path=/"]).header("cache-control", "no-store").send("ok");
  });
  app.get("/error", async (request) => {
    s(request).set("x", 1);
    throw new Error("handler failed");
  });
  app.get("/late-sync", async (request, reply) => {
    await reply.send("ok");
    late(s(request), record);
  });
  app.get("/too-large", async (request, reply) => {
    s(request).set("big", "x".repeat(5000));
    return reply.header("x-app", "1").send("never sent");
  });
  return startFastify(app);
}
