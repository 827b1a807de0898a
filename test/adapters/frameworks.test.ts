// The framework adapters without their frameworks: start-up validation, the 503 of a store
// outage, React Router's createSessionStorage drop-in, and Next's read-only and cookie-jar
// paths. (The adapters inside the real frameworks: test/frameworks/, npm run test:frameworks.)

import { describe, expect, test } from "vitest";
import { sessionMiddleware as astroMiddleware } from "../../adapters/astro.ts";
import { nextSessions } from "../../adapters/next.ts";
import type { NextCookieJar } from "../../adapters/next.ts";
import { createSessionMiddleware, createSessionStorage } from "../../adapters/react-router.ts";
import { handleSession } from "../../adapters/sveltekit.ts";
import { SessionError, generateSecret, memoryStore } from "../../src/index.ts";
import type { SessionStore } from "../../src/index.ts";

const secret = generateSecret();
type Data = { user?: string };

/** A memory store that can be taken down, as a real store's outage. */
function flakyStore(): { store: SessionStore; down: (value: boolean) => void } {
  const inner = memoryStore();
  let isDown = false;
  const guard = <T>(work: () => Promise<T>): Promise<T> => (isDown ? Promise.reject(new Error("connection refused")) : work());
  return {
    store: {
      get: (key) => guard(() => inner.get(key)),
      set: (key, record, ttl) => guard(() => inner.set(key, record, ttl)),
      delete: (key) => guard(() => inner.delete(key)),
    },
    down: (value) => (isDown = value),
  };
}

function request(path: string, cookie?: string): Request {
  return new Request(`http://127.0.0.1${path}`, cookie === undefined ? {} : { headers: { cookie } });
}

function cookieOf(response: Response): string {
  return response.headers.getSetCookie()[0]!.split(";")[0]!;
}

describe("a bad configuration throws at start-up, saying what to change", () => {
  test.each([
    ["sveltekit", () => handleSession({} as never)],
    ["astro", () => astroMiddleware({} as never)],
    ["react-router", () => createSessionMiddleware({} as never)],
    ["next", () => nextSessions({} as never)],
  ])("%s: a missing secret", (_name, make) => {
    expect(make).toThrow(/option secret is required/);
  });

  test("onError must be a function; next must be { headers, cookies }; the storage cannot chunk", () => {
    expect(() => handleSession({ secret, onError: 503 as never })).toThrow("option onError must be a function");
    expect(() => nextSessions({ secret, next: { headers: () => null } as never })).toThrow(
      'websession/next: option next must be { headers, cookies } from "next/headers"',
    );
    expect(() => createSessionStorage({ secret, oversize: "chunk" })).toThrow(/createSessionStorage writes one Set-Cookie value/);
    expect(() => handleSession({ secret, unknown: 1 } as never)).toThrow(/option unknown is unknown/);
  });

  test("getSession without Next's request APIs says where to pass them", async () => {
    await expect(nextSessions({ secret }).getSession()).rejects.toThrow(
      'getSession() needs nextSessions({ ..., next: { headers, cookies } }) with both imported from "next/headers"',
    );
  });
});

describe("a store outage answers 503, nothing written; other errors propagate", () => {
  test("SvelteKit hook, Astro middleware, React Router middleware, Next Route Handler", async () => {
    const { store, down } = flakyStore();
    const handle = handleSession<Data>({ secret, store });
    const astro = astroMiddleware<Data>({ secret, store });
    const { sessionContext, sessionMiddleware } = createSessionMiddleware<Data>({ secret, store });
    const next = nextSessions<Data>({ secret, store });
    const route = next.withSession((_request, session) => (session.set("user", "ada"), new Response("ok")));

    // A session in the store, then the store goes down.
    const login = await route(request("/"), undefined);
    expect(login.status).toBe(200);
    const cookie = cookieOf(login);
    down(true);

    const locals = {};
    const kit = await handle({ event: { request: request("/", cookie), locals }, resolve: () => new Response("page") });
    const astroResponse = await astro({ request: request("/", cookie), locals: {} }, async () => new Response("page"));
    const values = new Map<unknown, unknown>();
    const context = { get: (key: unknown) => values.get(key), set: (key: unknown, value: unknown) => values.set(key, value) };
    const rr = await sessionMiddleware(
      { request: request("/", cookie), params: {}, context, unstable_pattern: "/", url: new URL("http://127.0.0.1/") } as never,
      async () => new Response("page"),
    );
    const nextResponse = await route(request("/", cookie), undefined);
    for (const response of [kit, astroResponse, rr as Response, nextResponse]) {
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(values.has(sessionContext)).toBe(false);

    // Back up: the same cookie works again (nothing was half-written).
    down(false);
    const me = await next.withSession((_request, session) => Response.json(session.get("user") ?? null))(request("/", cookie), undefined);
    expect(await me.json()).toBe("ada");
  });

  test("onError chooses the response; a handler's own error is not turned into a 503", async () => {
    const { store, down } = flakyStore();
    const next = nextSessions<Data>({ secret, store, onError: (error) => new Response(error.code, { status: 502 }) });
    const write = next.withSession((_request, session) => (session.set("user", "ada"), new Response("ok")));
    down(true);
    const failed = await write(request("/"), undefined);
    expect([failed.status, await failed.text()]).toEqual([502, "store_unavailable"]);
    const throwing = next.withSession(() => {
      throw new RangeError("handler bug");
    });
    await expect(throwing(request("/"), undefined)).rejects.toThrow("handler bug");
  });
});

describe("React Router: createSessionStorage, a drop-in for createCookieSessionStorage", () => {
  test("get, set, commit, read back; flash is read once; destroy deletes the cookie", async () => {
    const { getSession, commitSession, destroySession } = createSessionStorage<{ user?: string; notice?: string }>({ secret, cookie: { secure: false } });
    const fresh = await getSession(null);
    expect([fresh.id, fresh.has("user"), fresh.get("user")]).toEqual(["", false, undefined]);
    fresh.set("user", "ada");
    fresh.flash("notice", "Welcome");
    const header = await commitSession(fresh);
    expect(header).toMatch(/^session=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax$/);

    const next = await getSession(header.split(";")[0]);
    expect(next.data).toEqual({ user: "ada", __flash_notice__: "Welcome" });
    expect(next.has("notice")).toBe(true);
    expect(next.get("notice")).toBe("Welcome");
    expect(next.get("notice")).toBeUndefined();
    const after = await commitSession(next);
    const third = await getSession(after.split(";")[0]);
    expect([third.get("user"), third.has("notice")]).toEqual(["ada", false]);
    // Nothing changed: nothing to write (an empty Set-Cookie, which browsers ignore).
    expect(await commitSession(third)).toBe("");

    const fourth = await getSession(after.split(";")[0]);
    fourth.unset("user");
    expect(await commitSession(fourth)).toMatch(/^session=; Max-Age=0;/); // emptied: deleted
    expect(await destroySession(await getSession(after.split(";")[0]))).toMatch(/^session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=\/;/);
    await expect(commitSession({ id: "", data: {} } as never)).rejects.toThrow("commitSession() needs a session from this storage's getSession()");
  });

  test("a tampered cookie is a fresh session; a committed session refuses late changes", async () => {
    const { getSession, commitSession } = createSessionStorage<{ user?: string }>({ secret });
    const session = await getSession("session=not-a-valid-token");
    expect(session.data).toEqual({});
    session.set("user", "ada");
    expect(await commitSession(session)).toMatch(/; Secure;/); // no URL to see plain http: Secure stays on
    expect(() => session.set("user", "eve")).toThrow(SessionError);
  });
});

describe("Next.js: Server Actions write through cookies(); Server Components are read-only", () => {
  function apis(cookie: string | undefined, jar: NextCookieJar) {
    const headers = new Headers({ "x-forwarded-proto": "http", host: "127.0.0.1:3000", ...(cookie === undefined ? {} : { cookie }) });
    return { headers: async () => headers, cookies: async () => jar };
  }

  test("saveSession sets the structured cookie on Next's jar", async () => {
    const sets: Array<Parameters<NextCookieJar["set"]>[0]> = [];
    const jar: NextCookieJar = { set: (cookie) => sets.push(cookie) };
    const next = nextSessions<Data>({ secret, cookie: { secure: false }, next: apis(undefined, jar) });
    const session = await next.getSession();
    session.set("user", "ada");
    session.permanent = true;
    await next.saveSession(session);
    expect(sets).toEqual([
      {
        name: "session",
        value: expect.stringMatching(/^[\w.-]+$/),
        path: "/",
        maxAge: 2678400,
        expires: expect.any(Date),
        secure: false,
        httpOnly: true,
        sameSite: "lax",
        partitioned: false,
      },
    ]);

    const reader = nextSessions<Data>({ secret, next: apis(`session=${sets[0]!.value}`, jar) });
    const read = await reader.readSession();
    expect([read.get("user"), read.permanent, read.size, read.keys()]).toEqual(["ada", true, 1, ["user"]]);
    expect(() => read.set("user", "eve")).toThrow("websession/next: session.set() in a Server Component cannot be written");
    expect(() => read.flashes()).toThrow("session.flashes() in a Server Component");
    expect(() => {
      read.permanent = false;
    }).toThrow("session.permanent = ... in a Server Component");
    expect(read.get("user")).toBe("ada");
  });

  test("saveSession where Next refuses cookies (a Server Component) names where writes are allowed", async () => {
    const jar: NextCookieJar = {
      set: () => {
        throw new Error("Cookies can only be modified in a Server Action or Route Handler.");
      },
    };
    const next = nextSessions<Data>({ secret, next: apis(undefined, jar) });
    const session = await next.getSession();
    session.set("user", "ada");
    await expect(next.saveSession(session)).rejects.toThrow("only in a Server Action, a Route Handler or middleware/proxy");
  });
});
