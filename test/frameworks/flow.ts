// The one story every framework app tells, driven over HTTP like a browser without JavaScript:
// log in through the form, see the user, a flash shown once, "remember me", log out.
// Every app serves: GET / (status and flashes), POST /login (user, remember=1; 303 to /),
// POST /logout (303 to /), GET /me (JSON { user, permanent }).

import { afterAll, beforeAll, expect, test } from "vitest";
import { CookieJar } from "../../src/testing.ts";
import { browse as browseAs } from "../http.ts";
import { PEERS, startApp, startPeer, stop } from "./harness.ts";
import type { AppServer } from "./harness.ts";

/** `fetch` as a browser holding `jar` (see test/http.ts), with the headers a browser's navigation sends. */
export function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  // Frameworks check a form POST's Origin against the host (CSRF protection), as browsers send it.
  if (init.method === "POST") headers.set("origin", new URL(url).origin);
  // What a browser's navigation accepts (SvelteKit answers a form action in JSON to "*/*").
  if (!headers.has("accept")) headers.set("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
  return browseAs(jar, url, { ...init, headers });
}

/** The page's text with the frameworks' hydration comments (`<!-- -->`, `<!--[-->`) removed. */
export async function page(response: Response): Promise<string> {
  return (await response.text()).replace(/<!--[\s\S]*?-->/g, "");
}

/** Logs `user` in through the app's form and returns the login response (a 303). */
export function logIn(jar: CookieJar, url: string, user: string, remember = false): Promise<Response> {
  const body = new URLSearchParams({ user });
  if (remember) body.set("remember", "1");
  return browse(jar, `${url}/login`, { method: "POST", body });
}

/**
 * What every framework test file starts with: app `name` installed, built and served by `command`
 * before its tests (stopped after them), and the shared stories registered against it.
 * Returns the running app, for the file's own tests.
 */
export function frameworkApp(
  name: string,
  command: readonly string[],
  options: { start?: Parameters<typeof startApp>[2]; pageVary?: boolean } = {},
): () => AppServer {
  let app: AppServer | undefined;
  beforeAll(async () => {
    app = await startApp(name, command, options.start);
  });
  afterAll(async () => {
    if (app !== undefined) await stop(app);
  });
  function server(): AppServer {
    if (app === undefined) throw new Error(`${name} was not started (see the beforeAll error)`);
    return app;
  }
  loginStory(server, options.pageVary === undefined ? {} : { pageVary: options.pageVary });
  crossRuntimeStory(server);
  return server;
}

/** Registers the shared story's tests against the app that `server()` returns once started. */
export function loginStory(server: () => AppServer, options: { pageVary?: boolean } = {}): void {
  test("log in through the form, the user shown, a flash shown once, log out", async () => {
    const { url } = server();
    const jar = new CookieJar();

    const home = await browse(jar, `${url}/`);
    expect(home.status).toBe(200);
    expect(await page(home)).toContain("You are not logged in.");
    expect(home.headers.getSetCookie()).toEqual([]);

    const login = await logIn(jar, url, "ada");
    expect(login.status).toBe(303);
    expect(new URL(login.headers.get("location")!, url).pathname).toBe("/");
    const sessionCookies = login.headers.getSetCookie().filter((c) => c.startsWith("session="));
    expect(sessionCookies).toEqual([expect.stringMatching(/^session=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax$/)]);

    const welcome = await browse(jar, `${url}/`);
    const html = await page(welcome);
    expect(html).toMatch(/<p class="flash message" role="status">You were logged in as ada\.<\/p>/);
    expect(html).toContain("Logged in as <b>ada</b>.");
    if (options.pageVary === false) {
      // Next.js sets a page's Vary itself (over middleware's); the page stays out of shared caches.
      expect(welcome.headers.get("cache-control")).toMatch(/private|no-store/);
    } else {
      expect(welcome.headers.get("vary") ?? "").toMatch(/cookie/i);
    }

    const again = await browse(jar, `${url}/`);
    const againHtml = await page(again);
    expect(againHtml).not.toContain(`class="flash`);
    expect(againHtml).toContain("Logged in as <b>ada</b>.");
    expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user: "ada", permanent: false });

    const logout = await browse(jar, `${url}/logout`, { method: "POST" });
    expect(logout.status).toBe(303);
    const bye = await page(await browse(jar, `${url}/`));
    expect(bye).toMatch(/<p class="flash message" role="status">You were logged out\.<\/p>/);
    expect(bye).toContain("You are not logged in.");
    expect(jar.names()).toEqual([]);
    expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user: null, permanent: false });
  });

  test('"remember me" writes a permanent cookie that lives the session lifetime', async () => {
    const { url } = server();
    const jar = new CookieJar();
    const login = await logIn(jar, url, "grace", true);
    expect(login.status).toBe(303);
    expect(login.headers.getSetCookie().filter((c) => c.startsWith("session="))).toEqual([
      expect.stringMatching(/^session=[\w.-]+; Max-Age=2678400; Expires=[^;]+ GMT; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
    expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user: "grace", permanent: true });
  });

  test("a tampered cookie is a fresh session, never an error", async () => {
    const { url } = server();
    const jar = new CookieJar();
    await logIn(jar, url, "mallory");
    const forged = jar.header()!.replace(/session=([^;]*)/, (_m, v: string) => `session=${v.slice(0, -2)}xx`);
    const response = await fetch(`${url}/me`, { headers: { cookie: forged } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: null, permanent: false });
  });
}

/**
 * Registers the cross-runtime test: a login cookie written by the framework app is read by the
 * demo on Node (Hono), Deno and Bun, and one written by each of them is read by the app.
 */
export function crossRuntimeStory(server: () => AppServer): void {
  const peers: AppServer[] = [];
  beforeAll(async () => {
    for (const name of Object.keys(PEERS)) peers.push(await startPeer(name));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(peers.map(stop));
  });

  test("a cookie written here is read by Hono on Node, Deno and Bun, and theirs here", async () => {
    const app = server();
    expect(peers.map((p) => p.name)).toEqual(Object.keys(PEERS));
    for (const peer of peers) {
      const ours = new CookieJar();
      expect((await logIn(ours, app.url, `from-${app.name}`)).status).toBe(303);
      expect([peer.name, await (await browse(ours, `${peer.url}/me`)).json()]).toEqual([peer.name, { user: `from-${app.name}`, permanent: false }]);

      const theirs = new CookieJar();
      expect((await logIn(theirs, peer.url, "from-peer", true)).status).toBe(303);
      expect([peer.name, await (await browse(theirs, `${app.url}/me`)).json()]).toEqual([peer.name, { user: "from-peer", permanent: true }]);
    }
  });
}
