// The demo app (login / logout / flash) as one fetch-style handler: the Deno, Bun and Workers
// examples serve it through their adapters, the Hono example reuses its pieces.

import { generateSecret } from "../src/secret.ts";
import type { Session } from "../src/session.ts";

/** What the demo keeps in the session. */
export type Data = { user?: string };

/** Handles `/`, `/me`, `POST /login` and `POST /logout`; anything else is a 404 that never touches the session. */
export async function app(request: Request, session: Session<Data>): Promise<Response> {
  const url = new URL(request.url);
  const route = `${request.method} ${url.pathname}`;
  if (route === "GET /") return page(session);
  if (route === "GET /me") return Response.json({ user: session.get("user") ?? null });
  if (route === "POST /login") {
    const form = await request.formData();
    logIn(session, String(form.get("user") ?? ""));
    return Response.redirect(new URL("/", url), 303);
  }
  if (route === "POST /logout") {
    logOut(session);
    return Response.redirect(new URL("/", url), 303);
  }
  return new Response("Not found\n", { status: 404 });
}

/** Logs `user` in: a new token against session fixation, and a message for the next page. */
export function logIn(session: Session<Data>, user: string): void {
  const name = user.trim();
  if (name === "") {
    session.flash("Enter a user name.", "error");
    return;
  }
  session.regenerate();
  session.set("user", name);
  session.flash(`Logged in as ${name}.`);
}

/** Logs out: the session is emptied, only the goodbye message is kept for the next page. */
export function logOut(session: Session<Data>): void {
  session.destroy();
  session.flash("Logged out.");
}

/** The one page: flashed messages, then a login or a logout form. */
export function page(session: Session<Data>): Response {
  const flashes = session.flashes({ withCategories: true }).map(([category, message]) => `<p class="${escape(category)}">${escape(message)}</p>`);
  const user = session.get("user");
  const body =
    user === undefined
      ? `<p>You are not logged in.</p><form method="post" action="/login"><input name="user" placeholder="name"> <button>Log in</button></form>`
      : `<p>Logged in as <b>${escape(user)}</b>.</p><form method="post" action="/logout"><button>Log out</button></form>`;
  const html = `<!doctype html><meta charset="utf-8"><title>websession demo</title>\n${flashes.join("\n")}\n${body}\n`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** `value` when set; otherwise a random secret for this process, with a warning (sessions end on restart). */
export function secretOrRandom(value: string | undefined): string {
  if (value !== undefined && value !== "") return value;
  console.warn("SESSION_SECRET is not set: using a random secret, so sessions end when the server restarts.");
  return generateSecret();
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
