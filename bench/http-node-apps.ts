// The apps of the Node-native HTTP benchmark (`npm run bench:http -- --runtimes node-native`):
// node:http and Express, each with websession/node, express-session (its MemoryStore) or
// cookie-session, and with no session. Every contender does the same work per request, each
// configured as its docs recommend for that behaviour: a persistent session (a 31-day cookie)
// whose cookie is sent only when the session changed (no rolling expiry):
//   GET /login  -> starts a session holding the small benchmark data (used once, for the cookie)
//   GET /read   -> read-only visit: reads the session, answers `visits`; nothing is saved or sent
//   GET /       -> write visit: reads the session, increments `visits`, saves it (new cookie /
//                  store write + cookie with a renewed expiry), answers the count

import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import cookieSession from "cookie-session";
import express from "express";
import expressSession from "express-session";
import { session, withSession } from "../adapters/node.ts";
import { SECRET, dataOf } from "./fixtures.ts";
import type { BenchData } from "./fixtures.ts";
import type { Session } from "../src/index.ts";

export const NODE_APPS = [
  "node-none",
  "node-websession",
  "node-express-session",
  "node-cookie-session",
  "express-none",
  "express-websession",
  "express-express-session",
] as const;
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

/** The cookie's lifetime for every contender: 31 days (Flask's and websession's default). */
const LIFETIME_S = 31 * 24 * 3600;
// websession: a permanent session (Max-Age cookie) re-issued only when it changes (`refresh:
// false`, express-session's `rolling: false`), so a read-only visit sends nothing.
const WEBSESSION = { secret: SECRET, lifetime: LIFETIME_S, refresh: false, cookie: { secure: false } };
// express-session's recommended setup: no resave, no empty sessions, a maxAge cookie.
const EXPRESS_SESSION = { secret: SECRET, resave: false, saveUninitialized: false, cookie: { secure: false, maxAge: LIFETIME_S * 1000 } };
const COOKIE_SESSION = { name: "session", secret: SECRET, secure: false, httpOnly: true, sameSite: "lax" as const, maxAge: LIFETIME_S * 1000 };

function visit(req: IncomingMessage, res: ServerResponse, bag: Bag): void {
  if (req.url === "/login") Object.assign(bag, dataOf("small"));
  else if (req.url !== "/read") bag.visits = (Number(bag.visits) || 0) + 1;
  res.end(String(bag.visits ?? 0));
}

function websessionVisit(url: string | undefined, s: Session<BenchData>, data: BenchData): string {
  if (url === "/login") {
    s.update(data);
    s.permanent = true;
  } else if (url !== "/read") s.set("visits", (s.get("visits") ?? 0) + 1);
  return String(s.get("visits") ?? 0);
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
      return withSession<BenchData>(WEBSESSION, (req, res, s) => void res.end(websessionVisit(req.url, s, data)));
    case "node-express-session":
      return withMiddleware(expressSession(EXPRESS_SESSION) as unknown as Middleware);
    case "node-cookie-session":
      return withMiddleware(cookieSession(COOKIE_SESSION) as unknown as Middleware);
    case "express-none": {
      const app = express();
      app.get(["/", "/read", "/login"], (_req, res) => void res.send("ok"));
      return app;
    }
    case "express-websession": {
      const app = express();
      app.use(session<BenchData>(WEBSESSION) as unknown as express.RequestHandler);
      app.get(["/", "/read", "/login"], (req, res) => void res.send(websessionVisit(req.url, req.session as unknown as Session<BenchData>, data)));
      return app;
    }
    case "express-express-session": {
      const app = express();
      app.use(expressSession(EXPRESS_SESSION) as unknown as express.RequestHandler);
      app.get(["/", "/read", "/login"], (req, res) => {
        visit(req, res, (req as unknown as { session: Bag }).session);
      });
      return app;
    }
  }
}
