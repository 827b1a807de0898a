// The demo on plain node:http with websession/node's withSession: the same pages as app.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { withSession } from "../adapters/node.ts";
import type { NodeSessionOptions } from "../adapters/node.ts";
import { logIn, logOut, me, pages } from "./app.ts";
import type { Data } from "./app.ts";
import { sessionsAction } from "./devices.ts";
import type { Accounts } from "./devices.ts";

/** The demo as a node:http request listener. */
export function createListener(options: NodeSessionOptions, accounts?: Accounts): (req: IncomingMessage, res: ServerResponse) => void {
  return withSession<Data, IncomingMessage, ServerResponse>(options, async (req, res, session) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "POST" && path.startsWith("/sessions/")) {
      if (!(await sessionsAction(accounts, session, path, new URLSearchParams(await body(req))))) return send(res, 404, "Not found");
      return redirect(res, path === "/sessions/everywhere" ? "/" : "/sessions");
    }
    switch (`${req.method} ${path}`) {
      case "GET /":
        return send(res, 200, pages.home(session));
      case "GET /login":
        return send(res, 200, pages.login());
      case "POST /login": {
        const form = new URLSearchParams(await body(req));
        logIn(session, form.get("user") ?? "", form.get("remember") === "1");
        return redirect(res, "/");
      }
      case "GET /logout":
      case "POST /logout":
        logOut(session);
        return redirect(res, "/");
      case "GET /session":
        return send(res, 200, pages.session(session));
      case "GET /sessions":
        return send(res, 200, await pages.sessions(accounts, session));
      case "GET /me": {
        // Read the session before writeHead: that is when it is saved.
        const body = JSON.stringify(me(session));
        res.writeHead(200, { "content-type": "application/json" }).end(body);
        return;
      }
      default:
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
    }
  });
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" }).end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location }).end();
}

// A login form is tiny; anything over 16 KiB is not one.
async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 16_384) throw new Error("request body too large");
  }
  return text;
}
