// websession/testing: minted cookies load in the app for every format and store mode, sessions
// read back from responses, and the cookie jar follows Set-Cookie like a browser.

import { describe, expect, test } from "vitest";
import { createSessions, memoryStore } from "../src/index.ts";
import type { Session, SessionsOptions } from "../src/index.ts";
import { CookieJar, readSession, sessionCookie, sessionToken } from "../src/testing.ts";
import { TEST_SECRET, clock, requestWith } from "./helpers.ts";

type Data = { user?: string; cart?: string[] };

const MODES: Array<[string, () => SessionsOptions]> = [
  ["signed", () => ({ secret: TEST_SECRET })],
  ["sealed", () => ({ secret: TEST_SECRET, format: "sealed" })],
  ["flask", () => ({ secret: TEST_SECRET, format: "flask" })],
  ["a store", () => ({ secret: TEST_SECRET, store: memoryStore() })],
  ["chunked", () => ({ secret: TEST_SECRET, oversize: "chunk" })],
];

function whoami(session: Session<Data>): Response {
  return Response.json({ user: session.get("user") ?? null, permanent: session.permanent });
}

describe.each(MODES)("sessionCookie with %s", (_label, makeOptions) => {
  test("logs a user in without the login flow", async () => {
    const options = makeOptions();
    const sessions = createSessions<Data>(options);
    const cookie = await sessionCookie<Data>(options, { user: "ada" });
    const response = await sessions.handle<[]>((_request, session) => whoami(session))(requestWith(cookie));
    expect(await response.json()).toEqual({ user: "ada", permanent: false });
  });

  test("mints a permanent session on request", async () => {
    const options = makeOptions();
    const cookie = await sessionCookie(options, { user: "ada" }, { permanent: true });
    const response = await createSessions<Data>(options).handle<[]>((_request, session) => whoami(session))(requestWith(cookie));
    expect(await response.json()).toEqual({ user: "ada", permanent: true });
  });

  test("readSession reads what a response set, and null once it is deleted", async () => {
    const options = makeOptions();
    const sessions = createSessions<Data>(options);
    const login = await sessions.handle<[]>((_request, session) => {
      session.set("user", "grace");
      return new Response("in");
    })(requestWith());
    expect((await readSession<Data>(options, login))?.get("user")).toBe("grace");
    const cookie = login.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    const logout = await sessions.handle<[]>((_request, session) => {
      session.destroy();
      return new Response("out");
    })(requestWith(cookie));
    expect(await readSession(options, logout)).toBeNull();
    expect(await readSession(options, new Response("nothing"))).toBeNull();
  });
});

test("a minted store session is a real record in the app's store", async () => {
  const store = memoryStore();
  const options = { secret: TEST_SECRET, store };
  expect(store.size).toBe(0);
  const cookie = await sessionCookie(options, { user: "ada" });
  expect(store.size).toBe(1);
  expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43}$/);
});

test("a chunked cookie is minted over several cookies when the data needs them", async () => {
  const options: SessionsOptions = { secret: TEST_SECRET, oversize: "chunk" };
  const cart = Array.from({ length: 400 }, (_, i) => `item-${i}-${"x".repeat(10)}`);
  const cookie = await sessionCookie<Data>(options, { cart });
  const names = cookie.split("; ").map((pair) => pair.split("=")[0]);
  expect(names.length).toBeGreaterThan(1);
  expect(names).toEqual(names.map((_, i) => `session.${i}`));
  const response = await createSessions<Data>(options).handle<[]>((_request, session) => Response.json(session.get("cart")))(requestWith(cookie));
  expect(await response.json()).toEqual(cart);
  await expect(sessionToken(options, { cart })).rejects.toThrow(/several cookies/);
});

test("sessionToken is the cookie's value", async () => {
  const options: SessionsOptions = { secret: TEST_SECRET, format: "sealed" };
  const token = await sessionToken<Data>(options, { user: "ada" });
  const response = await createSessions<Data>(options).handle<[]>((_request, session) => whoami(session))(requestWith(`session=${token}`));
  expect(await response.json()).toEqual({ user: "ada", permanent: false });
});

describe("CookieJar", () => {
  const set = (...lines: string[]): Response => new Response(null, { headers: lines.map((line) => ["Set-Cookie", line] as [string, string]) });

  test("Max-Age counts against the jar's clock and wins over Expires", () => {
    const time = clock();
    const jar = new CookieJar({ now: time.now });
    jar.apply(
      set(`a=1; Max-Age=60; Expires=${new Date(time.now() - 1000).toUTCString()}`, `b=2; Expires=${new Date(time.now() + 10_000).toUTCString()}`, "c=3"),
    );
    expect(jar.header()).toBe("a=1; b=2; c=3");
    time.advance(11);
    expect(jar.names()).toEqual(["a", "c"]);
    time.advance(50);
    expect(jar.names()).toEqual(["c"]);
  });

  test("a deletion removes the cookie, a new value replaces it", () => {
    const jar = new CookieJar();
    jar.apply(set("a=1; Path=/", "b=2"));
    jar.apply(set("a=; Max-Age=0; Path=/", "b=3"));
    expect(jar.header()).toBe("b=3");
    jar.apply(set(`b=; Expires=${new Date(0).toUTCString()}`));
    expect(jar.header()).toBeUndefined();
  });

  test("Path: the default is the request's directory; matching is by segment; longer paths first", () => {
    const jar = new CookieJar({ url: "https://app.example/" });
    jar.apply(set("root=1; Path=/", "deep=2"), { url: "https://app.example/admin/users" });
    jar.apply(set("admin=3; Path=/admin"), { url: "https://app.example/" });
    expect(jar.header({ url: "https://app.example/admin/users/7" })).toBe("deep=2; admin=3; root=1");
    expect(jar.header({ url: "https://app.example/admin" })).toBe("deep=2; admin=3; root=1");
    expect(jar.header({ url: "https://app.example/other/page" })).toBe("root=1");
    expect(jar.header({ url: "https://app.example/administrator" })).toBe("root=1");
  });

  test("Domain: host-only unless given; a foreign domain is ignored", () => {
    const jar = new CookieJar();
    jar.apply(set("host=1", "wide=2; Domain=example.com", "evil=3; Domain=other.example"), { url: "https://app.example.com/" });
    expect(jar.header({ url: "https://app.example.com/" })).toBe("host=1; wide=2");
    expect(jar.header({ url: "https://api.example.com/" })).toBe("wide=2");
    expect(jar.header({ url: "https://other.example/" })).toBeUndefined();
  });

  test("Secure cookies are stored and sent only over https (or to loopback), prefixes enforced", () => {
    const jar = new CookieJar();
    jar.apply(set("s=1; Secure", "p=2", "__Host-h=3; Path=/", "__Host-ok=4; Secure; Path=/"), { url: "http://app.example/" });
    expect(jar.names({ url: "https://app.example/" })).toEqual(["p"]);
    jar.apply(set("s=1; Secure", "__Host-ok=4; Secure; Path=/", "__Host-d=5; Secure; Path=/; Domain=app.example"), { url: "https://app.example/" });
    expect(jar.names({ url: "https://app.example/" })).toEqual(["__Host-ok", "p", "s"]);
    expect(jar.names({ url: "http://app.example/" })).toEqual(["p"]);
    const local = new CookieJar();
    local.apply(set("s=1; Secure"), { url: "http://127.0.0.1:8080/" });
    expect(local.header({ url: "http://127.0.0.1:8080/" })).toBe("s=1");
  });

  test("a response that sets one cookie twice throws; an oversized cookie is ignored", () => {
    const jar = new CookieJar();
    expect(() => jar.apply(set("a=1", "a=2"))).toThrow(/sets cookie a twice/);
    jar.apply(set(`big=${"x".repeat(4094)}`));
    expect(jar.names()).toEqual([]);
  });

  test("fetch follows a login redirect against an in-process app, carrying the cookie", async () => {
    const sessions = createSessions<Data>({ secret: TEST_SECRET });
    const app = sessions.handle<[]>((request, session) => {
      if (new URL(request.url).pathname === "/login") {
        session.set("user", "ada");
        return new Response(null, { status: 303, headers: { Location: "/me" } });
      }
      return whoami(session);
    });
    const jar = new CookieJar({ url: "https://app.example/", fetch: app });
    const me = await jar.fetch("/login", { method: "POST" });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ user: "ada", permanent: false });
    expect(jar.names()).toEqual(["session"]);
    const manual = await jar.fetch("/login", { method: "POST", redirect: "manual" });
    expect(manual.status).toBe(303);
  });
});

test("CookieJar.fetch drops Authorization on a redirect to another origin, as fetch does", async () => {
  const seen: Array<[string, string | null]> = [];
  const jar = new CookieJar({
    url: "https://app.example/",
    fetch: async (request: Request) => {
      seen.push([new URL(request.url).host, request.headers.get("authorization")]);
      if (new URL(request.url).host === "app.example" && new URL(request.url).pathname === "/api")
        return new Response(null, { status: 307, headers: { Location: "https://evil.example/steal" } });
      if (new URL(request.url).pathname === "/same") return new Response(null, { status: 307, headers: { Location: "/api2" } });
      return new Response("ok");
    },
  });
  await jar.fetch("/api", { method: "POST", headers: { authorization: "Bearer SECRET" }, body: "x" });
  await jar.fetch("https://app.example/same", { headers: { authorization: "Bearer SECRET" } });
  expect(seen).toEqual([
    ["app.example", "Bearer SECRET"],
    ["evil.example", null],
    ["app.example", "Bearer SECRET"],
    ["app.example", "Bearer SECRET"],
  ]);
});
