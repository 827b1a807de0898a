// Header tokens (option token): the session token in a request header and a response header,
// with the formats, expiry and rotation of cookies; and an HTTP flow with plain fetch (no
// cookie jar) against a real server on 127.0.0.1.

import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { session } from "../adapters/hono.ts";
import type { SessionEnv } from "../adapters/hono.ts";
import { createSessions, memoryStore } from "../src/index.ts";
import type { InvalidReason, Session, SessionsOptions } from "../src/index.ts";
import { sessionToken } from "../src/testing.ts";
import { TEST_SECRET, clock } from "./helpers.ts";

type Data = { user?: string };

function bearer(token = ""): Request {
  return new Request("https://api.example/", { headers: { Authorization: `Bearer ${token}`.trim() } });
}

function app(options: Partial<SessionsOptions> = {}) {
  const reasons: InvalidReason[] = [];
  const sessions = createSessions<Data>({ secret: TEST_SECRET, token: {}, onInvalid: (r) => reasons.push(r), ...options });
  const run = (request: Request, fn: (session: Session<Data>) => void = () => {}) =>
    sessions.handle<[]>((_request, s) => {
      fn(s);
      return Response.json({ user: s.get("user") ?? null });
    })(request);
  return { sessions, run, reasons };
}

describe("options", () => {
  test.each([
    [{ token: "bearer" }, /option token must be an object/],
    [{ token: { headr: "x" } }, /option token.headr is unknown/],
    [{ token: { header: "Cookie" } }, /option token.header is invalid/],
    [{ token: { header: "x session" } }, /option token.header is invalid/],
    [{ token: { header: "x-session", scheme: "Bearer" } }, /token.scheme applies only to header: "authorization"/],
    [{ token: { responseHeader: "Authorization" } }, /token.responseHeader cannot be/],
    [{ token: { cookie: "no" } }, /token.cookie must be a boolean/],
    [{ token: {}, oversize: "chunk" }, /oversize: "chunk" cannot be used with option token/],
    [{ bearer: true }, /option bearer is unknown; did you mean token/],
  ])("%o is refused at start-up", (extra, message) => {
    expect(() => createSessions({ secret: TEST_SECRET, ...(extra as object) })).toThrow(message);
  });
});

describe.each([
  ["signed", {}],
  ["sealed", { format: "sealed" }],
  ["flask", { format: "flask" }],
  ["a store", { store: memoryStore() }],
] as Array<[string, Partial<SessionsOptions>]>)("Authorization: Bearer with %s", (_label, options) => {
  test("login, request, rotate, logout: all in headers, no Set-Cookie", async () => {
    const { run } = app(options);
    const login = await run(bearer(), (s) => {
      s.set("user", "ada");
      s.regenerate();
    });
    expect(login.headers.getSetCookie()).toEqual([]);
    expect(login.headers.get("Vary")).toMatch(/authorization/i);
    expect(login.headers.get("Cache-Control")).toBe("private");
    const token = login.headers.get("Set-Auth-Token")!;
    expect(token.length).toBeGreaterThan(20);

    const me = await run(bearer(token));
    expect(await me.json()).toEqual({ user: "ada" });
    expect(me.headers.getSetCookie()).toEqual([]);

    const rotated = await run(bearer(token), (s) => s.regenerate());
    const next = rotated.headers.get("Set-Auth-Token")!;
    // Flask's cookie has no nonce: within one second its rotation re-signs the same payload.
    if (options.format !== "flask") expect(next).not.toBe(token);
    expect(await (await run(bearer(next))).json()).toEqual({ user: "ada" });

    const logout = await run(bearer(next), (s) => s.destroy());
    expect(logout.headers.get("Set-Auth-Token")).toBe("");
    if (options.store !== undefined) expect(await (await run(bearer(next))).json()).toEqual({ user: null });
  });
});

describe("transport rules", () => {
  test("a cookie request is answered with Set-Cookie, a header request in the header", async () => {
    const { run } = app();
    const viaCookie = await run(new Request("https://app.example/"), (s) => s.set("user", "browser"));
    expect(viaCookie.headers.get("Set-Auth-Token")).toBeNull();
    // The answer depends on which header the client sent, so caches must key on both.
    expect(viaCookie.headers.get("Vary")).toBe("Cookie, authorization");
    const cookie = viaCookie.headers.getSetCookie()[0]!.split(";")[0]!;
    expect(await (await run(new Request("https://app.example/", { headers: { Cookie: cookie } }))).json()).toEqual({ user: "browser" });
    // The token is the cookie's value: the same session through either transport.
    expect(await (await run(bearer(cookie.slice("session=".length)))).json()).toEqual({ user: "browser" });
  });

  test("only the configured header counts: with a header token the Cookie header is ignored", async () => {
    const { run } = app();
    const token = await sessionToken<Data>({ secret: TEST_SECRET }, { user: "cookie-user" });
    const both = new Request("https://app.example/", { headers: { Cookie: `session=${token}`, Authorization: "Bearer" } });
    expect(await (await run(both)).json()).toEqual({ user: null });
    const other = new Request("https://app.example/", { headers: { "X-Session-Token": token, Authorization: `Basic ${btoa("a:b")}` } });
    expect(await (await run(other)).json()).toEqual({ user: null });
  });

  test("cookie: false ignores cookies and answers every request in the header", async () => {
    const { run } = app({ token: { cookie: false } });
    const token = await sessionToken<Data>({ secret: TEST_SECRET }, { user: "ada" });
    const response = await run(new Request("https://app.example/", { headers: { Cookie: `session=${token}` } }), (s) => s.set("user", "new"));
    expect(await response.json()).toEqual({ user: "new" });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("Set-Auth-Token")).toMatch(/./);
  });

  test("a named header carries the bare token and answers under its own name", async () => {
    const { run } = app({ token: { header: "X-Session-Token" } });
    const login = await run(new Request("https://app.example/", { headers: { "X-Session-Token": "" } }), (s) => s.set("user", "ada"));
    const token = login.headers.get("X-Session-Token")!;
    expect(token).toMatch(/./);
    expect(login.headers.get("Vary")).toMatch(/x-session-token/i);
    expect(await (await run(new Request("https://app.example/", { headers: { "X-Session-Token": token } }))).json()).toEqual({ user: "ada" });
  });

  test("a malformed token is a fresh session reported as malformed, never a second cookie pair", async () => {
    const { run, reasons } = app();
    const token = await sessionToken<Data>({ secret: TEST_SECRET }, { user: "ada" });
    for (const bad of [`x; session=${token}`, `${token}, ${token}`, `${token} x`, "é", "x".repeat(5000)]) {
      expect(await (await run(new Request("https://a.example/", { headers: { Authorization: `Bearer ${bad}` } }))).json(), bad.slice(0, 20)).toEqual({
        user: null,
      });
    }
    expect(reasons).toEqual(["malformed", "malformed", "malformed", "malformed", "malformed"]);
  });

  test("a token expires like the cookie (idle lifetime, from the signed timestamp)", async () => {
    const time = clock();
    const { run, reasons } = app({ lifetime: 60, now: time.now });
    const login = await run(bearer(), (s) => s.set("user", "ada"));
    const token = login.headers.get("Set-Auth-Token")!;
    time.advance(30);
    expect(await (await run(bearer(token))).json()).toEqual({ user: "ada" });
    time.advance(120);
    expect(await (await run(bearer(token))).json()).toEqual({ user: null });
    expect(reasons).toEqual(["expired"]);
  });

  test("a scheme of its own", async () => {
    const { run } = app({ token: { scheme: "Session" } });
    const token = (await run(new Request("https://a.example/", { headers: { Authorization: "Session" } }), (s) => s.set("user", "ada"))).headers.get(
      "Set-Auth-Token",
    )!;
    expect(await (await run(new Request("https://a.example/", { headers: { Authorization: `session ${token}` } }))).json()).toEqual({ user: "ada" });
    expect(await (await run(bearer(token))).json()).toEqual({ user: null });
  });
});

describe("HTTP: a non-browser client (plain fetch, no cookie jar) against a real server", () => {
  let server: ReturnType<typeof serve>;
  let base: string;
  const store = memoryStore();

  beforeAll(async () => {
    const api = new Hono<SessionEnv<Data>>();
    api.use(session<Data>({ secret: TEST_SECRET, store, token: { cookie: false } }));
    api.post("/login", async (c) => {
      const { user } = await c.req.json<{ user: string }>();
      c.get("session").regenerate({ fresh: true });
      c.get("session").set("user", user);
      return c.json({ ok: true });
    });
    api.get("/me", (c) => {
      const user = c.get("session").get("user");
      return user === undefined ? c.json({ error: "not logged in" }, 401) : c.json({ user });
    });
    api.post("/logout", (c) => {
      c.get("session").destroy();
      return c.json({ ok: true });
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: api.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("login -> request -> logout", async () => {
    const login = await fetch(`${base}/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: "mobile" }) });
    expect(login.status).toBe(200);
    expect(login.headers.get("set-cookie")).toBeNull();
    const token = login.headers.get("set-auth-token")!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.size).toBe(1);

    const me = await fetch(`${base}/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ user: "mobile" });
    expect((await fetch(`${base}/me`)).status).toBe(401);

    const logout = await fetch(`${base}/logout`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    expect(logout.headers.get("set-auth-token")).toBe("");
    expect(store.size).toBe(0);
    expect((await fetch(`${base}/me`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
