// The demo's "Your sessions" page (issue #16): with a server-side store (memory, Redis) every
// login is listed with its device and last visit, each with "sign out", plus "sign out
// everywhere else"; with signed cookies and stateless revocation only "sign out everywhere"
// (a cookie session cannot be listed). websession never decides who a user is: the demo's
// `owner` is the user name it stored at login.

import { createSessions } from "../src/sessions.ts";
import type { OwnerApi } from "../src/owners.ts";
import type { SessionsOptions } from "../src/options.ts";
import type { Session } from "../src/session.ts";
import { memoryStore } from "../src/stores/memory.ts";
import type { SessionStore } from "../src/stores/store.ts";
import type { Data } from "./app.ts";

/** Seconds between two checks of a revocable cookie: how long a signed-out cookie keeps working. */
export const CHECK_EVERY = 30;

/** The owner operations the page uses, and which kind of sessions they act on. */
export interface Accounts {
  readonly api: OwnerApi;
  /** "store": list and revoke one; "cookie": stateless revocation, revokeAll only. */
  readonly kind: "store" | "cookie";
}

/**
 * The demo's session options: `owner` (the user name), and `track` (device) with a store that
 * has an owner index, or `revocation` with cookies (generations in this process's memory:
 * a restart forgets them, which is fine for a demo; use redisStore().owners in production).
 * Without an owner index (Workers KV) the options are left as they are.
 */
export function demoOptions(secret: string, store: SessionStore | undefined): { options: SessionsOptions; accounts: Accounts | undefined } {
  const owner = (data: Data): string | undefined => data.user;
  let options: SessionsOptions;
  if (store === undefined) {
    options = { secret, owner, revocation: { store: memoryStore().owners, checkEvery: CHECK_EVERY } };
  } else if (store.owners !== undefined) {
    options = { secret, store, owner, track: { userAgent: true } };
  } else {
    return { options: { secret, store }, accounts: undefined };
  }
  // A second manager over the same store and generations: the owner API acts on the store,
  // so it reaches every session the adapter's own manager loads.
  return { options, accounts: { api: createSessions<Data>(options), kind: store === undefined ? "cookie" : "store" } };
}

/** The body of the "Your sessions" page for `session`'s user. */
export async function sessionsPage(accounts: Accounts | undefined, session: Session<Data>): Promise<string> {
  const user = session.get("user");
  if (user === undefined) return `<p id="status">You are not logged in.</p><p><a href="/login">Log in</a></p>`;
  if (accounts === undefined)
    return `<p>This server runs without an index of sessions by user (its store has none), so they cannot be listed here.</p><p><a href="/">Home</a></p>`;
  if (accounts.kind === "cookie") {
    return `<p>Your session lives in a signed cookie, in each browser that holds one: websession cannot list them.
Signing out everywhere ends every one of them within ${CHECK_EVERY} seconds (this one at once).</p>
${button("/sessions/everywhere", "Sign out everywhere")}<p><a href="/">Home</a></p>`;
  }
  const flashes = session
    .flashes()
    .map((message) => `<p class="flash" role="status">${escape(message)}</p>`)
    .join("");
  const current = accounts.api.handleOf(session);
  const rows = (await accounts.api.list(user)).map((s) => {
    const here = s.handle === current;
    return `<tr${here ? ' class="current"' : ""}><td>${escape(s.userAgent ?? "unknown device")}${here ? " <b>(this device)</b>" : ""}</td><td>${new Date(s.lastActive * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC</td>
<td>${here ? "" : button("/sessions/revoke", "Sign out", s.handle)}</td></tr>`;
  });
  return `${flashes}<table id="sessions"><tr><th>device</th><th>last seen</th><th></th></tr>${rows.join("\n")}</table>
${button("/sessions/others", "Sign out everywhere else")}<p><a href="/">Home</a></p>`;
}

/** Carries out one of the page's forms (`/sessions/revoke`, `/sessions/others`, `/sessions/everywhere`); false for another path. */
export async function sessionsAction(accounts: Accounts | undefined, session: Session<Data>, path: string, form: URLSearchParams): Promise<boolean> {
  const user = session.get("user");
  if (accounts === undefined || user === undefined) return path.startsWith("/sessions/");
  switch (path) {
    case "/sessions/revoke":
      if (accounts.kind === "store") await accounts.api.revoke(user, form.get("handle") ?? "");
      session.flash("That device was signed out.");
      return true;
    case "/sessions/others":
      if (accounts.kind === "store") {
        const ended = await accounts.api.revokeAll(user, { except: session });
        session.flash(`Signed out ${ended} other session${ended === 1 ? "" : "s"}.`);
      }
      return true;
    case "/sessions/everywhere":
      await accounts.api.revokeAll(user);
      session.destroy();
      session.flash("You were signed out everywhere.");
      return true;
    default:
      return false;
  }
}

function button(action: string, label: string, handle?: string): string {
  const hidden = handle === undefined ? "" : `<input type="hidden" name="handle" value="${escape(handle)}">`;
  return `<form method="post" action="${action}" style="display:inline">${hidden}<button type="submit">${escape(label)}</button></form>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
