// Runs on the edge runtime (middleware.ts's runtime in Next 16): logs in (POST /login) and takes
// the flashed messages for the home page, which reads them from a request header (a Server
// Component cannot change the session).
import { NextResponse } from "next/server";
import type { NextRequest } from "next/server";
import { sessionMiddleware } from "./lib/session.ts";

export const middleware = sessionMiddleware(async (request, session) => {
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname === "/login") {
    const form = await request.formData();
    const user = String(form.get("user") ?? "").trim().slice(0, 64);
    if (user === "") {
      session.flash("Enter a user name.", "error");
      return NextResponse.redirect(new URL("/login", url), 303);
    }
    session.regenerate();
    session.set("user", user);
    session.set("loggedInAt", Math.floor(Date.now() / 1000));
    session.permanent = form.get("remember") === "1";
    session.flash(`You were logged in as ${user}.`);
    return NextResponse.redirect(new URL("/", url), 303);
  }
  const headers = new Headers((request as NextRequest).headers);
  headers.set("x-flashes", encodeURIComponent(JSON.stringify(session.flashes({ withCategories: true }))));
  return NextResponse.next({ request: { headers } });
});

export const config = { matcher: ["/", "/login"] };
