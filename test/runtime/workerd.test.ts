// workerd runner: every test/conformance/*.suite.ts inside workerd (with wrangler.toml's
// bindings), then the example Worker (wrangler.toml `main`) through SELF.

import { SELF, env } from "cloudflare:test";
import { expect, test } from "vitest";
import { registerSuites } from "../conformance/collect.ts";

// Bindings that suites look for on globalThis (kv-store.suite.ts runs on the SESSIONS namespace).
Object.assign(globalThis, { SESSIONS: (env as unknown as { SESSIONS: unknown }).SESSIONS });
await registerSuites(Object.entries(import.meta.glob<Record<string, unknown>>("../conformance/*.suite.ts")), test);

test("workerd: the example Worker logs in, reads and logs out through SELF", async () => {
  const login = await SELF.fetch("http://127.0.0.1/login", { method: "POST", body: new URLSearchParams({ user: "ada" }), redirect: "manual" });
  expect(login.status).toBe(303);
  const [setCookie] = login.headers.getSetCookie();
  expect(setCookie).toMatch(/^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
  const cookie = setCookie!.split(";")[0]!;
  const me = await SELF.fetch("http://127.0.0.1/me", { headers: { cookie } });
  expect(await me.json()).toEqual({ user: "ada", permanent: false });
  expect(me.headers.get("vary")).toBe("Cookie");
  const logout = await SELF.fetch("http://127.0.0.1/logout", { method: "POST", headers: { cookie }, redirect: "manual" });
  const after = logout.headers.getSetCookie()[0]!.split(";")[0]!;
  expect(await (await SELF.fetch("http://127.0.0.1/me", { headers: { cookie: after } })).json()).toEqual({ user: null, permanent: false });
  const missing = await SELF.fetch("http://127.0.0.1/nowhere", { headers: { cookie } });
  expect([missing.status, missing.headers.get("vary"), missing.headers.getSetCookie()]).toEqual([404, null, []]);
});

test("workerd: a WebSocket upgrade (status 101) keeps its socket, and gets the session headers in place", async () => {
  const { createSessions } = await import("../../src/sessions.ts");
  const sessions = createSessions({ secret: "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o" });
  const session = await sessions.load(new Request("https://app.example/ws"));
  session.set("user", "ada");
  const pair = new (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, WebSocket> }).WebSocketPair();
  pair[1].accept?.();
  const upgrade = new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  const committed = await sessions.commit(session, upgrade);
  expect(committed).toBe(upgrade);
  expect(committed.status).toBe(101);
  expect((committed as unknown as { webSocket: unknown }).webSocket).toBe(pair[0]);
  expect(committed.headers.getSetCookie()).toHaveLength(1);
  expect(committed.headers.get("Vary")).toBe("Cookie");
});

test("workerd: websession/hono with options from env (no process in Workers), resolved once per env", async () => {
  const { Hono } = await import("hono");
  const { session } = await import("../../adapters/hono.ts");
  const bindings = env as unknown as { SESSION_SECRET: string };
  let resolved = 0;
  const app = new Hono<{ Bindings: { SESSION_SECRET: string }; Variables: { session: import("../../src/index.ts").Session<{ user?: string }> } }>();
  app.use(
    session<{ user?: string }>((e: { SESSION_SECRET: string }) => {
      resolved++;
      return { secret: e.SESSION_SECRET };
    }),
  );
  app.post("/login", (c) => {
    c.get("session").set("user", "ada");
    return c.text("ok");
  });
  app.get("/me", (c) => c.text(c.get("session").get("user") ?? "nobody"));
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} };
  const login = await app.fetch(new Request("https://app.example/login", { method: "POST" }), bindings, ctx);
  const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  expect(cookie).toMatch(/^session=/);
  const me = await app.fetch(new Request("https://app.example/me", { headers: { cookie } }), bindings, ctx);
  expect(await me.text()).toBe("ada");
  expect(resolved).toBe(1);
  // A cookie signed with another env's secret is not accepted.
  const other = await app.fetch(new Request("https://app.example/me", { headers: { cookie } }), { SESSION_SECRET: "Qm7vX2pL9sK4wR8tN3yB6cF1hJ5gD0zA" }, ctx);
  expect(await other.text()).toBe("nobody");
  expect(resolved).toBe(2);
});
