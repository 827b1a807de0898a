// Header tokens, CSRF tokens and the test kit, the same on Node, workerd, Deno and Bun: only Web
// APIs (Request, Response, Headers, FormData, crypto.getRandomValues) are involved.

import { verifyCsrf } from "../../src/csrf.ts";
import type { SessionsOptions } from "../../src/options.ts";
import { createSessions } from "../../src/sessions.ts";
import type { Session } from "../../src/session.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { CookieJar, readSession, sessionCookie, sessionToken } from "../../src/testing.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";

const SECRET = "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o";
type Data = { user?: string };

const MODES: Array<[string, () => Partial<SessionsOptions>]> = [
  ["signed", () => ({})],
  ["sealed", () => ({ format: "sealed" })],
  ["a store", () => ({ store: memoryStore() })],
];

function whoami(session: Session<Data>): Response {
  return new Response(session.get("user") ?? "nobody");
}

export default defineSuite("header tokens, CSRF and the test kit", (test) => {
  for (const [label, extra] of MODES) {
    test(`${label}: a bearer client logs in, is recognised, and logs out without cookies`, async () => {
      const sessions = createSessions<Data>({ secret: SECRET, token: {}, ...extra() });
      const app = sessions.handle<[]>(async (request, session) => {
        const path = new URL(request.url).pathname;
        if (path === "/login") {
          session.regenerate();
          session.set("user", "ada");
        } else if (path === "/logout") session.destroy();
        return whoami(session);
      });
      const login = await app(new Request("https://api.example/login", { method: "POST", headers: { Authorization: "Bearer" } }));
      expectEqual(login.headers.getSetCookie(), [], "no Set-Cookie");
      const token = login.headers.get("Set-Auth-Token") ?? "";
      expectTrue(token.length > 20, "a token in Set-Auth-Token");
      expectEqual(await (await app(new Request("https://api.example/me", { headers: { Authorization: `Bearer ${token}` } }))).text(), "ada");
      const logout = await app(new Request("https://api.example/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } }));
      expectEqual(logout.headers.get("Set-Auth-Token"), "");
      expectEqual(await (await app(new Request("https://api.example/me", { headers: { Authorization: `Bearer x;session=${token}` } }))).text(), "nobody");
    });

    test(`${label}: sessionCookie and sessionToken log a user in; readSession reads a response`, async () => {
      const options: SessionsOptions = { secret: SECRET, ...extra() };
      const sessions = createSessions<Data>(options);
      const app = sessions.handle<[]>((_request, session) => whoami(session));
      const cookie = await sessionCookie<Data>(options, { user: "ada" });
      expectEqual(await (await app(new Request("https://app.example/", { headers: { Cookie: cookie } }))).text(), "ada");
      const token = await sessionToken<Data>(options, { user: "grace" });
      expectEqual(await (await app(new Request("https://app.example/", { headers: { Cookie: `session=${token}` } }))).text(), "grace");
      const login = await sessions.handle<[]>((_request, session) => {
        session.set("user", "linus");
        return new Response("ok");
      })(new Request("https://app.example/"));
      expectEqual((await readSession<Data>(options, login))?.get("user"), "linus");
    });
  }

  test("CSRF: tokens are masked per call, verify from a form or a header, and refuse with 403", async () => {
    const sessions = createSessions({ secret: SECRET });
    const session = await sessions.load(new Request("https://app.example/"));
    const a = session.csrfToken();
    const b = session.csrfToken();
    expectTrue(a !== b, "two calls differ");
    const form = new Request("https://app.example/", { method: "POST", body: new URLSearchParams({ csrf_token: a }) });
    expectEqual(await sessions.verifyCsrf(form, session), null);
    expectEqual(await (await form.formData()).get("csrf_token"), a, "the form is still readable");
    expectEqual(await verifyCsrf(new Request("https://app.example/", { method: "POST", headers: { "X-CSRF-Token": b } }), session), null);
    const other = await sessions.load(new Request("https://app.example/"));
    const refused = await sessions.verifyCsrf(new Request("https://app.example/", { method: "POST", headers: { "X-CSRF-Token": other.csrfToken() } }), session);
    expectEqual(refused?.status, 403);
    expectEqual(await refused?.text(), "Forbidden: The CSRF tokens do not match.\n");
  });

  test("CookieJar follows a login redirect, Max-Age and deletion", async () => {
    const sessions = createSessions<Data>({ secret: SECRET });
    const app = sessions.handle<[]>((request, session) => {
      const path = new URL(request.url).pathname;
      if (path === "/login") {
        session.set("user", "ada");
        return new Response(null, { status: 303, headers: { Location: "/" } });
      }
      if (path === "/logout") session.destroy();
      return whoami(session);
    });
    const jar = new CookieJar({ url: "https://app.example/", fetch: app });
    expectEqual(await (await jar.fetch("/login", { method: "POST" })).text(), "ada");
    expectEqual(jar.names(), ["session"]);
    await jar.fetch("/logout", { method: "POST" });
    expectEqual(jar.names(), []);
  });
});
