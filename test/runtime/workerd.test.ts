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
