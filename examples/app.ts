// The demo: Flask's classic login example, grown a little (flashed messages, "remember me",
// a page showing what the session holds and when it expires). Written once as a session-aware
// fetch handler; each runtime serves it through its own adapter (examples/node.ts through Hono,
// deno.ts, bun.ts, worker.ts; node-http.ts, express.ts and fastify.ts serve its pages), so the
// same pages and cookies come out everywhere.

import { generateSecret } from "../src/secret.ts";
import type { Session } from "../src/session.ts";
import { sessionsAction, sessionsPage } from "./devices.ts";
import type { Accounts } from "./devices.ts";

/** What the demo keeps in the session. */
export type Data = { user?: string; loggedInAt?: number };

/** The session lifetime the demo uses (websession's default: 31 days, Flask's too). */
export const LIFETIME = 31 * 24 * 3600;

/**
 * Routes: `GET /`, `GET|POST /login`, `GET|POST /logout`, `GET /session` (what the session
 * holds), `GET /me` (JSON, for scripts and tests). Anything else is a 404 that never touches
 * the session, so it costs no cryptography and sends no cookie.
 */
export async function app(request: Request, session: Session<Data>): Promise<Response> {
  return route(request, session, undefined);
}

/** The demo with the "Your sessions" page (`GET /sessions` and its forms) over `accounts` (examples/devices.ts). */
export function createDemo(accounts: Accounts | undefined): (request: Request, session: Session<Data>) => Promise<Response> {
  return function demo(request, session) {
    return route(request, session, accounts);
  };
}

async function route(request: Request, session: Session<Data>, accounts: Accounts | undefined): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname.startsWith("/sessions/")) {
    const form = new URLSearchParams(await request.text());
    if (!(await sessionsAction(accounts, session, url.pathname, form))) return new Response("Not found\n", { status: 404 });
    return Response.redirect(new URL(url.pathname === "/sessions/everywhere" ? "/" : "/sessions", url), 303);
  }
  switch (`${request.method} ${url.pathname}`) {
    case "GET /":
      return html(pages.home(session));
    case "GET /login":
      return html(pages.login());
    case "POST /login": {
      const form = await request.formData();
      logIn(session, String(form.get("user") ?? ""), form.get("remember") === "1");
      return Response.redirect(new URL("/", url), 303);
    }
    case "GET /logout":
    case "POST /logout":
      logOut(session);
      return Response.redirect(new URL("/", url), 303);
    case "GET /session":
      return html(pages.session(session));
    case "GET /sessions":
      return html(await pages.sessions(accounts, session));
    case "GET /me":
      return Response.json(me(session));
    default:
      return new Response("Not found\n", { status: 404 });
  }
}

/**
 * The demo's HTML pages as strings, for servers that answer with strings (websession/node's
 * withSession, Express, Fastify): the same pages `app` serves.
 */
export const pages = {
  home: (session: Session<Data>): string => page("websession demo", home(session)),
  login: (): string => page("Log in", loginForm()),
  session: (session: Session<Data>): string => page("Your session", sessionTable(session)),
  sessions: async (accounts: Accounts | undefined, session: Session<Data>): Promise<string> => page("Your sessions", await sessionsPage(accounts, session)),
};

/** `GET /me`'s JSON body. */
export function me(session: Session<Data>): { user: string | null; permanent: boolean } {
  return { user: session.get("user") ?? null, permanent: session.permanent };
}

/** Logs `user` in: a new token (against session fixation), "remember me", a message for the next page. */
export function logIn(session: Session<Data>, user: string, remember = false): void {
  const name = user.trim().slice(0, 64);
  if (name === "") {
    session.flash("Enter a user name.", "error");
    return;
  }
  session.regenerate();
  session.set("user", name);
  session.set("loggedInAt", Math.floor(Date.now() / 1000));
  session.permanent = remember;
  session.flash(`You were logged in as ${name}.`);
}

/** Logs out: the whole session is destroyed; only the goodbye message goes to the next page. */
export function logOut(session: Session<Data>): void {
  session.destroy();
  session.flash("You were logged out.");
}

function home(session: Session<Data>): string {
  const flashes = session
    .flashes({ withCategories: true })
    .map(([category, message]) => `<p class="flash ${escape(category)}" role="status">${escape(message)}</p>`);
  const user = session.get("user");
  const body =
    user === undefined
      ? `<p id="status">You are not logged in.</p><p><a href="/login">Log in</a></p>`
      : `<p id="status">Logged in as <b>${escape(user)}</b>.</p><p><a href="/session">What the session holds</a> · <a href="/sessions">Your sessions</a> · <a href="/logout">Log out</a></p>`;
  return flashes.join("\n") + body;
}

function loginForm(): string {
  return `<form method="post" action="/login">
<p><label>User name <input name="user" required maxlength="64" autofocus></label></p>
<p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
<p><button type="submit">Log in</button></p>
</form>`;
}

function sessionTable(session: Session<Data>): string {
  const rows = session.entries().map(([key, value]) => `<tr><td>${escape(key)}</td><td><code>${escape(JSON.stringify(value))}</code></td></tr>`);
  const expiry = session.permanent
    ? `permanent ("remember me"): the cookie lives ${LIFETIME / 86400} days after your last visit and is renewed on every visit`
    : "a browser-session cookie: it ends when the browser closes (and after 31 idle days in any case)";
  return `<table id="data"><tr><th>key</th><th>value</th></tr>${rows.join("")}</table>
<p id="expiry">Expiry: ${expiry}.</p><p><a href="/">Home</a></p>`;
}

function html(document: string): Response {
  return new Response(document, { headers: { "content-type": "text/html; charset=utf-8" } });
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}.flash{background:#e8f4ea;border-left:4px solid #3a7d44;padding:.4rem 1rem}.flash.error{background:#fbeaea;border-color:#a33}td,th{padding:.2rem .8rem;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body><h1>${escape(title)}</h1>
${body}
</body></html>`;
}

/** `value` when set; otherwise a random secret for this process, with a warning (sessions end on restart). */
export function secretOrRandom(value: string | undefined): string {
  if (value !== undefined && value !== "") return value;
  console.warn("SESSION_SECRET is not set: using a random secret, so sessions end when the server stops.");
  return generateSecret();
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
