// The demo: Flask's classic login example, grown a little (flash messages, "remember me",
// a page showing what the session holds). Written once with Hono; the entry points in this
// folder run it on Node, Deno, Bun and Cloudflare Workers.

import { Hono } from "hono";
import { session } from "../adapters/hono.ts";
import type { SessionsOptions } from "../src/index.ts";

/** What the demo keeps in the session. */
export interface DemoData {
  username?: string;
  loggedInAt?: number;
  [key: string]: unknown;
}

/** The demo app for the given session options (a secret at least). */
export function createDemoApp(options: SessionsOptions): Hono<{ Variables: { session: import("../src/index.ts").Session<DemoData> } }> {
  const app = new Hono<{ Variables: { session: import("../src/index.ts").Session<DemoData> } }>();
  app.use(session<DemoData>(options));

  app.get("/", (c) => {
    const s = c.get("session");
    const username = s.get("username");
    const body = username
      ? `<p>Logged in as <strong>${escape(username)}</strong>.</p><p><a href="/session">What the session holds</a> · <a href="/logout">Log out</a></p>`
      : `<p>You are not logged in.</p><p><a href="/login">Log in</a></p>`;
    return c.html(page("websession demo", flashes(s.flashes({ withCategories: true })) + body));
  });

  app.get("/login", (c) =>
    c.html(
      page(
        "Log in",
        `<form method="post" action="/login">
          <p><label>Username <input name="username" required maxlength="64" autofocus></label></p>
          <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
          <p><button type="submit">Log in</button></p>
        </form>`,
      ),
    ),
  );

  app.post("/login", async (c) => {
    const form = await c.req.formData();
    const username = String(form.get("username") ?? "").trim().slice(0, 64);
    if (username === "") return c.redirect("/login");
    const s = c.get("session");
    s.regenerate(); // a new token on every login, against session fixation
    s.set("username", username);
    s.set("loggedInAt", Date.now());
    s.permanent = form.get("remember") === "1";
    s.flash(`You were logged in as ${username}.`);
    return c.redirect("/");
  });

  app.get("/logout", (c) => {
    const s = c.get("session");
    s.pop("username");
    s.pop("loggedInAt");
    s.permanent = false;
    s.flash("You were logged out.");
    return c.redirect("/");
  });

  app.get("/session", (c) => {
    const s = c.get("session");
    const rows = s.entries().map(([k, v]) => `<tr><td>${escape(k)}</td><td><code>${escape(JSON.stringify(v))}</code></td></tr>`).join("");
    const lifetime = options.lifetime ?? 31 * 24 * 3600;
    const expiry = s.permanent
      ? `permanent: the cookie lives ${Math.round(lifetime / 86400)} days from the last visit (refreshed on each visit)`
      : "a browser-session cookie: it ends when the browser closes";
    return c.html(
      page(
        "Your session",
        `<table><tr><th>key</th><th>value</th></tr>${rows}</table><p>Expiry: ${expiry}.</p><p><a href="/">Home</a></p>`,
      ),
    );
  });

  return app;
}

function flashes(messages: Array<[string, string]>): string {
  return messages.map(([category, text]) => `<p class="flash ${escape(category)}" role="status">${escape(text)}</p>`).join("");
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}.flash{background:#e8f4ea;border-left:4px solid #3a7d44;padding:.5rem 1rem}td,th{padding:.2rem .8rem;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
