// The apps of the HTTP benchmark: one Hono app per session library, each answering
//   GET /login  -> starts a session holding the small benchmark data (used once, for the cookie)
//   GET /       -> reads the session, increments `visits`, re-signs it, sets the cookie
// and the same app with no session at all (GET / answers "ok").

import { useSession } from "@hono/session";
import type { SessionEnv as HonoSessionEnv } from "@hono/session";
import { Hono } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import { parse, serialize } from "cookie";
// @ts-expect-error: cookie-signature ships no types.
import signature from "cookie-signature";
import { getIronSession } from "iron-session";
import { session } from "../adapters/hono.ts";
import { SECRET, dataOf } from "./fixtures.ts";
import type { BenchData } from "./fixtures.ts";

export const APPS = ["none", "websession", "hono-signed", "hono-session", "iron-session", "cookie-signature"] as const;
export type AppName = (typeof APPS)[number];

export const APP_LABELS: Record<AppName, string> = {
  none: "no session (baseline)",
  websession: "websession signed (websession/hono)",
  "hono-signed": "Hono signed cookies (hono/cookie)",
  "hono-session": "@hono/session",
  "iron-session": "iron-session",
  "cookie-signature": "cookie-signature + cookie (node:crypto; not Web-standard)",
};

const cs = signature as { sign(value: string, secret: string): string; unsign(value: string, secret: string): string | false };

const OPTIONS = { path: "/", httpOnly: true, secure: false, sameSite: "Lax" } as const;

export function createApp(name: AppName): Hono {
  const data = dataOf("small");
  switch (name) {
    case "none": {
      const app = new Hono();
      app.get("/login", (c) => c.text("ok"));
      app.get("/", (c) => c.text("ok"));
      return app;
    }
    case "websession": {
      const app = new Hono<{ Variables: { session: import("../src/index.ts").Session<BenchData> } }>();
      app.use(session<BenchData>({ secret: SECRET, cookie: { secure: false } }));
      app.get("/login", (c) => (c.var.session.update(data), c.text("ok")));
      app.get("/", (c) => {
        const s = c.var.session;
        s.set("visits", (s.get("visits") ?? 0) + 1);
        return c.text("ok");
      });
      return app as unknown as Hono;
    }
    case "hono-signed": {
      const app = new Hono();
      app.get("/login", async (c) => {
        await setSignedCookie(c, "session", JSON.stringify(data), SECRET, OPTIONS);
        return c.text("ok");
      });
      app.get("/", async (c) => {
        const value = await getSignedCookie(c, SECRET, "session");
        const d = (typeof value === "string" ? JSON.parse(value) : {}) as BenchData;
        d.visits = (d.visits ?? 0) + 1;
        await setSignedCookie(c, "session", JSON.stringify(d), SECRET, OPTIONS);
        return c.text("ok");
      });
      return app;
    }
    case "hono-session": {
      const app = new Hono<HonoSessionEnv<BenchData>>();
      app.use(useSession<BenchData>({ secret: SECRET }));
      app.get("/login", async (c) => {
        await c.var.session.update(data);
        return c.text("ok");
      });
      app.get("/", async (c) => {
        await c.var.session.update((prev: BenchData | null) => {
          const d = prev ?? ({} as BenchData);
          return { ...d, visits: (d.visits ?? 0) + 1 };
        });
        return c.text("ok");
      });
      return app as unknown as Hono;
    }
    case "iron-session": {
      const app = new Hono();
      const options = { password: SECRET, cookieName: "session", cookieOptions: { secure: false, httpOnly: true, sameSite: "lax" as const, path: "/" } };
      type Iron = BenchData & { save(): Promise<void> };
      app.get("/login", async (c) => {
        const response = c.text("ok");
        const s = (await getIronSession<BenchData>(c.req.raw, response, options)) as Iron;
        Object.assign(s, data);
        await s.save();
        return response;
      });
      app.get("/", async (c) => {
        const response = c.text("ok");
        const s = (await getIronSession<BenchData>(c.req.raw, response, options)) as Iron;
        s.visits = (s.visits ?? 0) + 1;
        await s.save();
        return response;
      });
      return app;
    }
    case "cookie-signature": {
      const app = new Hono();
      const write = (d: BenchData): string => serialize("session", cs.sign(JSON.stringify(d), SECRET), { path: "/", httpOnly: true, sameSite: "lax" });
      app.get("/login", (c) => {
        c.header("set-cookie", write(data));
        return c.text("ok");
      });
      app.get("/", (c) => {
        const value = parse(c.req.header("cookie") ?? "").session;
        const text = value === undefined ? false : cs.unsign(value, SECRET);
        const d = (text === false ? {} : JSON.parse(text)) as BenchData;
        d.visits = (d.visits ?? 0) + 1;
        c.header("set-cookie", write(d));
        return c.text("ok");
      });
      return app;
    }
  }
}
