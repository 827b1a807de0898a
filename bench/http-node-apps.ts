// The apps of the Node-native HTTP benchmark (`npm run bench:http -- --runtimes node-native`):
// node:http and Express, each with websession/node, express-session (its MemoryStore) or
// cookie-session, and with no session. Same contract as http-apps.ts:
//   GET /login  -> starts a session holding the small benchmark data (used once, for the cookie)
//   GET /       -> reads the session, increments `visits`, saves it, answers the count

import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import cookieSession from "cookie-session";
import express from "express";
import expressSession from "express-session";
import { session, withSession } from "../adapters/node.ts";
import { SECRET, dataOf } from "./fixtures.ts";
import type { BenchData } from "./fixtures.ts";

export const NODE_APPS = ["node-none", "node-websession", "node-express-session", "node-cookie-session", "express-none", "express-websession", "express-express-session"] as const;
export type NodeAppName = (typeof NODE_APPS)[number];

export const NODE_APP_LABELS: Record<NodeAppName, string> = {
  "node-none": "node:http, no session (baseline)",
  "node-websession": "node:http + websession signed (websession/node withSession)",
  "node-express-session": "node:http + express-session (MemoryStore)",
  "node-cookie-session": "node:http + cookie-session",
  "express-none": "Express 5, no session (baseline)",
  "express-websession": "Express 5 + websession signed (websession/node session())",
  "express-express-session": "Express 5 + express-session (MemoryStore)",
};

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
type Bag = Record<string, unknown>;

const WEBSESSION = { secret: SECRET, cookie: { secure: false } };
const EXPRESS_SESSION = { secret: SECRET, resave: false, saveUninitialized: false, cookie: { secure: false } };

function visit(req: IncomingMessage, res: ServerResponse, bag: Bag): void {
  if (req.url === "/login") Object.assign(bag, dataOf("small"));
  else bag.visits = (Number(bag.visits) || 0) + 1;
  res.end(String(bag.visits ?? 0));
}

// node:http around a Connect-style session middleware (req.session is an object).
function withMiddleware(middleware: Middleware): RequestListener {
  return (req, res) =>
    middleware(req, res, () => {
      visit(req, res, (req as unknown as { session: Bag }).session);
    });
}

/** The request listener (node:http) or Express app of `name`. */
export function createNodeApp(name: NodeAppName): RequestListener {
  const data = dataOf("small");
  switch (name) {
    case "node-none":
      return (_req, res) => void res.end("ok");
    case "node-websession":
      return withSession<BenchData>(WEBSESSION, (req, res, s) => {
        if (req.url === "/login") s.update(data);
        else s.set("visits", (s.get("visits") ?? 0) + 1);
        res.end(String(s.get("visits") ?? 0));
      });
    case "node-express-session":
      return withMiddleware(expressSession(EXPRESS_SESSION) as unknown as Middleware);
    case "node-cookie-session":
      return withMiddleware(cookieSession({ name: "session", secret: SECRET, secure: false, httpOnly: true, sameSite: "lax" }) as unknown as Middleware);
    case "express-none": {
      const app = express();
      app.get(["/", "/login"], (_req, res) => void res.send("ok"));
      return app;
    }
    case "express-websession": {
      const app = express();
      app.use(session<BenchData>(WEBSESSION) as unknown as express.RequestHandler);
      app.get(["/", "/login"], (req, res) => {
        const s = req.session as unknown as import("../src/index.ts").Session<BenchData>;
        if (req.url === "/login") s.update(data);
        else s.set("visits", (s.get("visits") ?? 0) + 1);
        res.send(String(s.get("visits") ?? 0));
      });
      return app;
    }
    case "express-express-session": {
      const app = express();
      app.use(expressSession(EXPRESS_SESSION) as unknown as express.RequestHandler);
      app.get(["/", "/login"], (req, res) => {
        visit(req, res, (req as unknown as { session: Bag }).session);
      });
      return app;
    }
  }
}
