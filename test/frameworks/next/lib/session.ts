// lib/session.ts
import { cookies, headers } from "next/headers";
import { nextSessions } from "websession/next";

export type Data = { user?: string; loggedInAt?: number };

export const { getSession, saveSession, readSession, withSession, sessionMiddleware } = nextSessions<Data>({
  secret: process.env.SESSION_SECRET!,
  // `next start` adds X-Forwarded-* itself, so "auto" keeps Secure: say when the site is plain http.
  cookie: { secure: process.env.SESSION_COOKIE_SECURE !== "false" },
  next: { headers, cookies },
});
