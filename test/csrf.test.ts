// CSRF tokens bound to the session (src/csrf.ts), after Flask-WTF: masked per call, verified in
// constant time from a form field or header, refused with 403 and Flask-WTF's message; and the
// Hono csrf() middleware.

import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { csrf, session } from "../adapters/hono.ts";
import type { SessionEnv } from "../adapters/hono.ts";
import { createSessions, memoryStore } from "../src/index.ts";
import type { Session, SessionsOptions } from "../src/index.ts";
import { CookieJar } from "../src/testing.ts";
import { TEST_SECRET } from "./helpers.ts";

const URL_ = "https://app.example/";

async function loaded(options: Partial<SessionsOptions> = {}) {
  const sessions = createSessions({ secret: TEST_SECRET, ...options });
  return { sessions, session: await sessions.load(new Request(URL_)) };
}

function post(body: BodyInit | undefined, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: "POST", body, headers });
}

function form(fields: Record<string, string>): Request {
  return post(new URLSearchParams(fields).toString(), { "Content-Type": "application/x-www-form-urlencoded" });
}

test("two tokens differ (masked per call), both verify, and the secret is created once", async () => {
  const { sessions, session } = await loaded();
  expect(session.has("csrf_token")).toBe(false);
  const a = session.csrfToken();
  const b = session.csrfToken();
  expect(a).not.toBe(b);
  expect(a).toMatch(/^[A-Za-z0-9_-]{107}$/);
  expect(session.modified).toBe(true);
  expect(String(session.get("csrf_token"))).toMatch(/^[0-9a-f]{40}$/);
  expect(await sessions.verifyCsrf(form({ csrf_token: a }), session)).toBeNull();
  expect(await sessions.verifyCsrf(post(undefined, { "X-CSRF-Token": b }), session)).toBeNull();
  expect(await sessions.verifyCsrf(post(undefined, { "X-CSRFToken": b }), session)).toBeNull();
});

test("refusals are 403 with Flask-WTF's messages", async () => {
  const { sessions, session } = await loaded();
  const empty = (await loaded()).session;
  const other = (await loaded()).session;
  const token = session.csrfToken();
  const foreign = other.csrfToken();
  const cases: Array<[Request, Session, string]> = [
    [form({}), session, "The CSRF token is missing."],
    [post("{}", { "Content-Type": "application/json" }), session, "The CSRF token is missing."],
    [form({ csrf_token: token }), empty, "The CSRF session token is missing."],
    [form({ csrf_token: "not-a-token" }), session, "The CSRF token is invalid."],
    [form({ csrf_token: token.slice(0, -2) }), session, "The CSRF token is invalid."],
    [form({ csrf_token: "x".repeat(20_000) }), session, "The CSRF token is invalid."],
    [form({ csrf_token: foreign }), session, "The CSRF tokens do not match."],
  ];
  for (const [request, s, message] of cases) {
    const refused = await sessions.verifyCsrf(request, s);
    expect(refused?.status, message).toBe(403);
    expect(await refused!.text()).toBe(`Forbidden: ${message}\n`);
    expect(refused!.headers.get("Cache-Control")).toBe("no-store");
  }
});

test("the form is read from a clone: the handler can still read it; multipart works too", async () => {
  const { sessions, session } = await loaded();
  const request = form({ csrf_token: session.csrfToken(), amount: "10" });
  expect(await sessions.verifyCsrf(request, session)).toBeNull();
  expect((await request.formData()).get("amount")).toBe("10");
  const multipart = new FormData();
  multipart.set("csrf_token", session.csrfToken());
  expect(await sessions.verifyCsrf(post(multipart), session)).toBeNull();
  // A body already read cannot be checked: refused, not crashed.
  const used = form({ csrf_token: session.csrfToken() });
  await used.text();
  expect((await sessions.verifyCsrf(used, session))?.status).toBe(403);
});

test("the secret survives a round trip through each format and a store", async () => {
  for (const options of [{}, { format: "sealed" }, { format: "flask" }, { store: memoryStore() }] as Partial<SessionsOptions>[]) {
    const sessions = createSessions({ secret: TEST_SECRET, ...options });
    let token = "";
    const first = await sessions.handle<[]>((_request, s) => {
      token = s.csrfToken();
      return new Response("form");
    })(new Request(URL_));
    const cookie = first.headers.getSetCookie()[0]!.split(";")[0]!;
    const verdict = await sessions.handle<[]>(async (request, s) => (await sessions.verifyCsrf(request, s)) ?? new Response("accepted"))(
      new Request(URL_, { method: "POST", headers: { Cookie: cookie, "X-CSRF-Token": token } }),
    );
    expect(await verdict.text(), JSON.stringify(Object.keys(options))).toBe("accepted");
  }
});

test("csrfToken after commit throws already_committed like any change", async () => {
  const { sessions, session } = await loaded();
  await sessions.commit(session, new Response("done"));
  expect(() => session.csrfToken()).toThrow(/after its response was committed/);
});

describe("Hono csrf()", () => {
  const app = new Hono<SessionEnv>();
  app.use(session({ secret: TEST_SECRET }), csrf());
  app.get("/", (c) => c.text(c.get("session").csrfToken()));
  app.post("/transfer", async (c) => c.text(`sent ${(await c.req.formData()).get("amount")}`));
  app.delete("/thing", (c) => c.text("deleted"));

  test("safe methods pass; unsafe ones need the token, and the route still reads the form", async () => {
    const jar = new CookieJar({ url: URL_, fetch: (request) => app.fetch(request) });
    const token = await (await jar.fetch("/")).text();
    const refused = await jar.fetch("/transfer", { method: "POST", body: new URLSearchParams({ amount: "10" }) });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe("Forbidden: The CSRF token is missing.\n");
    const accepted = await jar.fetch("/transfer", { method: "POST", body: new URLSearchParams({ amount: "10", csrf_token: token }) });
    expect(await accepted.text()).toBe("sent 10");
    expect((await jar.fetch("/thing", { method: "DELETE" })).status).toBe(403);
    expect(await (await jar.fetch("/thing", { method: "DELETE", headers: { "X-CSRF-Token": token } })).text()).toBe("deleted");
  });

  test("without session() before it, a clear error", async () => {
    const bare = new Hono();
    bare.use(csrf());
    bare.post("/", (c) => c.text("never"));
    let error: unknown;
    bare.onError((e, c) => {
      error = e;
      return c.text("error", 500);
    });
    await bare.fetch(post("x"));
    expect(String(error)).toMatch(/csrf\(\) needs session\(\) registered before it/);
  });
});

test("regenerate() replaces the CSRF secret: a token learned before the login stops working after it", async () => {
  const sessions = createSessions({ secret: TEST_SECRET, store: memoryStore() });
  const before = await sessions.load(new Request("https://app.example/login"));
  const token = before.csrfToken();
  const cookie = (await sessions.commit(before, new Response("form"))).headers.getSetCookie()[0]!.split(";")[0]!;
  const login = await sessions.load(new Request("https://app.example/login", { headers: { cookie } }));
  login.regenerate();
  login.set("user", "ada");
  const after = (await sessions.commit(login, new Response("ok"))).headers.getSetCookie()[0]!.split(";")[0]!;
  const next = await sessions.load(new Request("https://app.example/transfer", { method: "POST", headers: { cookie: after, "X-CSRF-Token": token } }));
  const refused = await sessions.verifyCsrf(
    new Request("https://app.example/transfer", { method: "POST", headers: { cookie: after, "X-CSRF-Token": token } }),
    next,
  );
  expect(refused?.status).toBe(403);
  // A token made after the login works.
  const fresh = next.csrfToken();
  expect(await sessions.verifyCsrf(new Request("https://app.example/transfer", { method: "POST", headers: { "X-CSRF-Token": fresh } }), next)).toBeNull();
});
