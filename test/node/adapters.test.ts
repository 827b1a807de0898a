// websession/node and websession/fastify against real servers on 127.0.0.1 (port 0): the demo's
// flow, every way of answering carrying the cookie, errors writing nothing, late changes loud,
// concurrent requests, and a Redis store stopped by PID (503, nothing half-written).

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SessionError, generateSecret } from "../../src/index.ts";
import { redisStore } from "../../src/stores/redis.ts";
import { CookieJar } from "../../src/testing.ts";
import { browse, expectFlashGone } from "../http.ts";
import { startRedis } from "../stores/redis-server.ts";
import type { RedisServer } from "../stores/redis-server.ts";
import { FILE_TEXT, KINDS, startDemo, startFeatures } from "./apps.ts";
import type { Record, Running } from "./apps.ts";
import { createClient } from "redis";

const secret = generateSecret();
const options = { secret, cookie: { secure: false } };

const SESSION_COOKIE = /^session=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax$/;

for (const kind of KINDS) {
  describe(`${kind}: the demo`, () => {
    let server: Running;
    beforeAll(async () => {
      server = await startDemo(kind, options);
    });
    afterAll(() => server.close());

    test("log in, read, a flash shown once, log out; a 404 never touches the session", async () => {
      const { url } = server;
      const jar = new CookieJar();
      const home = await browse(jar, `${url}/`);
      expect(await home.text()).toContain("You are not logged in.");
      expect([home.headers.getSetCookie(), home.headers.get("vary")]).toEqual([[], "Cookie"]);

      const login = await browse(jar, `${url}/login`, { method: "POST", body: new URLSearchParams({ user: "ada" }) });
      expect(login.status).toBe(303);
      expect(login.headers.get("location")).toBe("/");
      expect(login.headers.getSetCookie()).toEqual([expect.stringMatching(SESSION_COOKIE)]);
      expect(login.headers.get("cache-control")).toBe("private");

      const welcome = await (await browse(jar, `${url}/`)).text();
      expect(welcome).toContain(`<p class="flash message" role="status">You were logged in as ada.</p>`);
      expect(welcome).toContain("Logged in as <b>ada</b>.");
      await expectFlashGone(jar, url, "ada");

      const logout = await browse(jar, `${url}/logout`, { method: "POST" });
      expect(logout.status).toBe(303);
      expect(logout.headers.getSetCookie()).toEqual([expect.stringMatching(/^session=[\w.-]+;/)]);
      const bye = await (await browse(jar, `${url}/`)).text();
      expect(bye).toContain("You were logged out.");
      expect(jar.names()).toEqual([]);
      expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user: null, permanent: false });

      const missing = await browse(jar, `${url}/nowhere`);
      expect([missing.status, missing.headers.get("vary"), missing.headers.getSetCookie()]).toEqual([404, null, []]);
    });

    test('"remember me" sets a permanent cookie, renewed on every visit', async () => {
      const { url } = server;
      const jar = new CookieJar();
      const login = await browse(jar, `${url}/login`, { method: "POST", body: new URLSearchParams({ user: "grace", remember: "1" }) });
      expect(login.headers.getSetCookie()).toEqual([
        expect.stringMatching(/^session=[\w.-]+; Max-Age=2678400; Expires=[^;]+ GMT; Path=\/; HttpOnly; SameSite=Lax$/),
      ]);
      const me = await browse(jar, `${url}/me`);
      expect(await me.json()).toEqual({ user: "grace", permanent: true });
      expect(me.headers.getSetCookie()).toEqual([expect.stringMatching(/Max-Age=2678400/)]);
      expect(await (await browse(jar, `${url}/session`)).text()).toMatch(/id="expiry">Expiry: permanent/);
    });
  });

  describe(`${kind}: every way of answering`, () => {
    let server: Running;
    const record: Record = { hooked: [], thrown: [] };
    beforeAll(async () => {
      server = await startFeatures(kind, options, record);
    });
    afterAll(() => server.close());

    const cases: Array<[string, number, (body: string) => void]> = [
      ["/stream", 200, (body) => expect(body).toBe("abc")],
      ["/pipe", 200, (body) => expect(body).toBe("xyz")],
      ["/file", 200, (body) => expect(body).toBe(FILE_TEXT)],
      ["/redirect", 302, () => {}],
      ["/json", 200, (body) => expect(JSON.parse(body)).toEqual({ ok: true })],
      ...(kind === "express" ? [["/render", 200, (body: string) => expect(body).toBe("Hello ada\n")] as [string, number, (body: string) => void]] : []),
    ];
    for (const [path, status, check] of cases) {
      test(`${path} carries the session cookie`, async () => {
        const jar = new CookieJar();
        const response = await browse(jar, `${server.url}${path}`);
        expect(response.status).toBe(status);
        check(await response.text());
        expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(SESSION_COOKIE)]);
        expect(response.headers.get("vary")).toMatch(/Cookie/);
        // The cookie holds what the route wrote.
        expect(await (await browse(jar, `${server.url}/count`)).text()).toBe(
          String(Number(/\d/.exec(path === "/render" ? "7" : String(cases.findIndex((c) => c[0] === path) + 1))![0]) + 1),
        );
      });
    }

    test("the app's own Set-Cookie for the session's name is replaced, others and its Cache-Control kept", async () => {
      const response = await browse(new CookieJar(), `${server.url}/cookies`);
      const cookies = response.headers.getSetCookie();
      expect(cookies.filter((c) => c.startsWith("session="))).toEqual([expect.stringMatching(SESSION_COOKIE)]);
      expect(cookies.filter((c) => c.startsWith("theme="))).toHaveLength(1);
      expect(response.headers.get("cache-control")).toBe("no-store");
    });

    if (kind === "node") {
      test("headers given to writeHead (a flat array) are kept, and the session's cookie replaces the app's", async () => {
        const response = await browse(new CookieJar(), `${server.url}/raw-headers`);
        expect([response.status, response.statusText, response.headers.get("x-app")]).toEqual([200, "Fine", "1"]);
        expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(SESSION_COOKIE)]);
      });
    }

    test("a handler's error writes nothing of the session", async () => {
      const response = await browse(new CookieJar(), `${server.url}/error`);
      expect(response.status).toBe(500);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get("vary")).toBeNull();
    });

    test("a session too large to save: a 500 with nothing of the handler's response, reported once", async () => {
      const before = record.hooked.length;
      const response = await browse(new CookieJar(), `${server.url}/too-large`);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe("Internal Server Error\n");
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get("x-app")).toBeNull();
      expect(record.hooked.slice(before)).toEqual([expect.objectContaining({ code: "cookie_too_large" })]);
      // The server still answers.
      expect((await browse(new CookieJar(), `${server.url}/count`)).status).toBe(200);
    });

    test("a change after the response started throws already_committed at the call", async () => {
      const jar = new CookieJar();
      await browse(jar, `${server.url}/count`);
      const before = record.thrown.length;
      const response = await browse(jar, `${server.url}/late-sync`);
      expect(await response.text()).toBe("ok");
      await expect.poll(() => record.thrown.length).toBe(before + 1);
      expect(record.thrown.at(-1)).toBeInstanceOf(SessionError);
      expect((record.thrown.at(-1) as SessionError).code).toBe("already_committed");
      expect(await (await browse(jar, `${server.url}/count`)).text()).toBe("2");
    });

    if (kind !== "fastify") {
      test("a late change in an async handler is reported (onError or Express's next), never unhandled", async () => {
        const list = kind === "node" ? record.hooked : record.thrown;
        const before = list.length;
        const response = await browse(new CookieJar(), `${server.url}/late`);
        expect(await response.text()).toBe("ok");
        await expect.poll(() => list.length).toBe(before + 1);
        expect((list.at(-1) as SessionError).code).toBe("already_committed");
      });
    }

    test("concurrent requests each get their own session", async () => {
      const jars = Array.from({ length: 24 }, () => new CookieJar());
      for (let round = 1; round <= 3; round++) {
        const bodies = await Promise.all(jars.map(async (jar) => (await browse(jar, `${server.url}/count`)).text()));
        expect(bodies).toEqual(jars.map(() => String(round)));
      }
    });
  });
}

describe("a Redis store stopped by PID", () => {
  let redis: RedisServer;
  const clients: Array<ReturnType<typeof createClient>> = [];
  const servers: Running[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 20_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const c of clients) await c.close().catch(() => {});
    await redis?.stop();
  });

  test("store_unavailable: 503 on load, 500 on save, nothing half-written, the server stays up", async () => {
    const started = await Promise.all(
      KINDS.map(async (kind) => {
        const client = createClient({ url: redis.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50, connectTimeout: 1000 } });
        client.on("error", () => {});
        await client.connect();
        clients.push(client);
        const record: Record = { hooked: [], thrown: [] };
        const server = await startFeatures(kind, { ...options, store: redisStore({ client, prefix: `node-${kind}:` }), storeTimeout: 500 }, record);
        servers.push(server);
        return { kind, server, record };
      }),
    );
    const jars = new Map(started.map(({ kind }) => [kind, new CookieJar()]));
    for (const { kind, server } of started) {
      const jar = jars.get(kind)!;
      expect(await (await browse(jar, `${server.url}/count`)).text()).toBe("1");
      expect(await (await browse(jar, `${server.url}/count`)).text()).toBe("2");
    }
    await redis.kill();
    for (const { kind, server, record } of started) {
      // With a cookie: the store is read before the handler, and cannot be.
      const down = await browse(jars.get(kind)!, `${server.url}/count`);
      expect(down.status, kind).toBe(503);
      expect(down.headers.getSetCookie()).toEqual([]);
      // Without one: the handler runs, and saving fails at response time.
      const fresh = await browse(new CookieJar(), `${server.url}/redirect`);
      expect(fresh.status, kind).toBe(500);
      expect(fresh.headers.get("location")).toBeNull();
      expect(fresh.headers.getSetCookie()).toEqual([]);
      expect(
        record.hooked.some((e) => (e as SessionError).code === "store_unavailable"),
        kind,
      ).toBe(true);
    }
    await redis.restart();
    for (const { kind, server } of started) {
      await expect.poll(async () => (await browse(jars.get(kind)!, `${server.url}/count`)).text(), { timeout: 5000 }).toBe("3");
    }
  }, 30_000);
});
