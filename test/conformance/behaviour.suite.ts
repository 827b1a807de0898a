// The behaviour every runtime and every handler shape must show, written once against Web
// globals. Runners: test/conformance/node.test.ts (Node) and test/runtime/{workerd,deno,bun}.test.ts.
// Each behaviour runs through the core's handle() and through the Hono, Workers, Deno and Bun
// adapters; then come the adapter-specific cases and the byte-level vectors.

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { withSession as bunSession } from "../../adapters/bun.ts";
import type { Server } from "../../adapters/bun.ts";
import { withSession as denoSession } from "../../adapters/deno.ts";
import type { ServeHandlerInfo } from "../../adapters/deno.ts";
import { session as honoSession } from "../../adapters/hono.ts";
import type { SessionEnv } from "../../adapters/hono.ts";
import { withSession as workersSession } from "../../adapters/workers.ts";
import type { ExecutionContext } from "../../adapters/workers.ts";
import type { InvalidReason } from "../../src/errors.ts";
import { SessionError } from "../../src/errors.ts";
import type { SessionsOptions } from "../../src/options.ts";
import type { Session } from "../../src/session.ts";
import { createSessions } from "../../src/sessions.ts";
import { defineSuite, expectEqual, expectRejects, expectTrue } from "./harness.ts";

// Test-only secrets: public, so never use them anywhere else.
const SECRET = "Ec3JyiFTT7HIG5dKpn5kHq3lNvN6_jAwRF4Si0f8f3o";
const NEW_SECRET = "0i8Z_WdJL7BpoTuSkaPv6q9DXene42zM49pOAUp4s0k";
const OTHER_SECRET = "zA3QgJj24uQwf606cNfElxae3HDTEkWER2CkCH8G2vA";
/** 2023-11-14T22:13:20Z: every case runs on this fixed clock unless it moves it. */
const T0 = 1_700_000_000_000;
const BROWSER_COOKIE = ["Path=/", "HttpOnly", "SameSite=Lax"];
const DELETE_COOKIE = "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax";

export type Data = { user?: string; n?: number; cart?: string[]; name?: string };
export type Handler = (request: Request, session: Session<Data>) => Response | Promise<Response>;
type App = (request: Request) => Promise<Response>;

/** One way to put a handler behind a session: the core or an adapter, called as its runtime would. */
export interface Driver {
  readonly name: string;
  serve(options: SessionsOptions, handler: Handler): App;
}

export const drivers: Driver[] = [
  {
    name: "core",
    serve(options, handler) {
      const fetch = createSessions<Data>(options).handle(handler);
      return (request) => fetch(request);
    },
  },
  {
    name: "hono",
    serve(options, handler) {
      const app = new Hono().use(honoSession<Data>(options)).all("*", (c) => handler(c.req.raw, c.get("session")));
      return async (request) => app.fetch(request);
    },
  },
  {
    name: "workers",
    serve(options, handler) {
      // Options from env, as a Worker reads its secret binding.
      const env = { SESSION_OPTIONS: options };
      const ctx: ExecutionContext = { waitUntil() {} };
      const fetch = workersSession<Data, typeof env>(
        (e) => e.SESSION_OPTIONS,
        (request, session, e, c) => {
          expectTrue(e === env && c === ctx, "withSession passes env and ctx through");
          return handler(request, session);
        },
      );
      return (request) => fetch(request, env, ctx);
    },
  },
  {
    name: "deno",
    serve(options, handler) {
      const info: ServeHandlerInfo = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 4711 }, completed: new Promise(() => {}) };
      const fetch = denoSession<Data>(options, (request, session, i) => {
        expectTrue(i === info, "withSession passes info through");
        return handler(request, session);
      });
      return (request) => fetch(request, info);
    },
  },
  {
    name: "bun",
    serve(options, handler) {
      const server: Server = { requestIP: () => ({ address: "127.0.0.1", port: 4711, family: "IPv4" }) };
      const fetch = bunSession<Data>(options, (request, session, s) => {
        expectTrue(s === server, "withSession passes server through");
        return handler(request, session);
      });
      return (request) => fetch(request, server);
    },
  },
];

function opts(extra: Partial<SessionsOptions> = {}, clock: { ms: number } = { ms: T0 }): SessionsOptions {
  return { secret: SECRET, now: () => clock.ms, ...extra };
}

function get(path: string, cookie?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (cookie !== undefined) headers.set("cookie", cookie);
  return new Request(new URL(path, "http://localhost"), { ...init, headers });
}

function post(path: string, cookie?: string): Request {
  return get(path, cookie, { method: "POST" });
}

/** The `name=value` pair a browser sends back for the one session Set-Cookie of `response`. */
function cookieFrom(response: Response, name = "session"): string {
  const lines = response.headers.getSetCookie().filter((line) => line.startsWith(`${name}=`));
  expectEqual(lines.length, 1, `one Set-Cookie for ${name} in ${JSON.stringify(response.headers.getSetCookie())}`);
  const line = lines[0]!;
  const end = line.indexOf(";");
  return end === -1 ? line : line.slice(0, end);
}

function attributes(response: Response): string[] {
  const lines = response.headers.getSetCookie();
  expectEqual(lines.length, 1, "one Set-Cookie");
  return lines[0]!.split("; ").slice(1);
}

/** `text` with the character at `index` replaced by another base64url character. */
function flip(text: string, index: number): string {
  return text.slice(0, index) + (text[index] === "A" ? "B" : "A") + text.slice(index + 1);
}

// Handler for cases that only need "write on POST, report on GET".
function writeOrReport(request: Request, session: Session<Data>): Response {
  if (request.method === "POST") {
    session.set("user", "ada");
    session.set("cart", ["apple"]);
    return new Response("saved");
  }
  return Response.json({ isNew: session.isNew, data: session.toJSON() });
}

const behaviours: Array<[name: string, run: (d: Driver) => Promise<void>]> = [
  [
    "round trip: written on change, read back, not re-sent when unchanged",
    async (d) => {
      const app = d.serve(opts(), writeOrReport);
      const first = await app(post("/"));
      expectEqual(await first.text(), "saved");
      expectEqual(attributes(first), BROWSER_COOKIE, "a browser-session cookie over http://localhost");
      expectEqual(first.headers.get("cache-control"), "private");
      expectEqual(first.headers.get("vary"), "Cookie");
      const second = await app(get("/", cookieFrom(first)));
      expectEqual(await second.json(), { isNew: false, data: { user: "ada", cart: ["apple"] } });
      expectEqual(second.headers.getSetCookie(), [], "an unchanged session is not re-sent");
      expectEqual(second.headers.get("vary"), "Cookie");
      const none = await app(get("/"));
      expectEqual(await none.json(), { isNew: true, data: {} });
      const secure = await app(new Request("https://example.com/", { method: "POST" }));
      expectEqual(attributes(secure), ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"], "Secure over https");
    },
  ],
  [
    "tampered, foreign or garbage cookie: a fresh empty session, never an error",
    async (d) => {
      const reasons: InvalidReason[] = [];
      const app = d.serve(opts({ onInvalid: (reason) => reasons.push(reason) }), writeOrReport);
      const pair = cookieFrom(await app(post("/")));
      const token = pair.slice("session=".length);
      const foreign = cookieFrom(await d.serve(opts({ secret: OTHER_SECRET }), writeOrReport)(post("/")));
      const otherName = cookieFrom(await d.serve(opts({ cookie: { name: "sid" } }), writeOrReport)(post("/")), "sid");
      const cases: Array<[cookie: string, reason: InvalidReason]> = [
        [`session=${flip(token, 2)}`, "bad_signature"],
        [`session=${flip(token, token.length - 10)}`, "bad_signature"],
        [foreign, "bad_signature"],
        [`session=${otherName.slice("sid=".length)}`, "bad_signature"],
        ["session=%%%not-a-token", "malformed"],
      ];
      for (const [cookie, reason] of cases) {
        reasons.length = 0;
        const response = await app(get("/", cookie));
        expectEqual(response.status, 200, cookie);
        expectEqual(await response.json(), { isNew: true, data: {} }, cookie);
        expectEqual(response.headers.getSetCookie(), [], `${cookie}: nothing to write`);
        expectEqual(reasons, [reason], cookie);
      }
      reasons.length = 0;
      expectEqual(await (await app(get("/", pair))).json(), { isNew: false, data: { user: "ada", cart: ["apple"] } }, "the untampered cookie");
      expectEqual(reasons, []);
    },
  ],
  [
    "permanent: Max-Age and Expires, refreshed and enforced; non-permanent: neither",
    async (d) => {
      const clock = { ms: T0 };
      const reasons: InvalidReason[] = [];
      const app = d.serve(opts({ lifetime: 3600, onInvalid: (r) => reasons.push(r) }, clock), (request, session) => {
        const path = new URL(request.url).pathname;
        if (path === "/login") session.set("user", "ada");
        if (path === "/remember") {
          session.set("user", "ada");
          session.permanent = true;
        }
        if (path === "/forget") session.permanent = false;
        return new Response(session.get("user") ?? "nobody");
      });
      const browser = await app(get("/login"));
      expectEqual(attributes(browser), BROWSER_COOKIE);
      expectEqual((await app(get("/", cookieFrom(browser)))).headers.getSetCookie(), [], "no refresh for a browser-session cookie");

      const remembered = await app(get("/remember"));
      expectEqual(attributes(remembered), ["Max-Age=3600", "Expires=Tue, 14 Nov 2023 23:13:20 GMT", ...BROWSER_COOKIE]);
      clock.ms += 60_000;
      const refreshed = await app(get("/", cookieFrom(remembered)));
      expectEqual(await refreshed.text(), "ada");
      expectEqual(attributes(refreshed), ["Max-Age=3600", "Expires=Tue, 14 Nov 2023 23:14:20 GMT", ...BROWSER_COOKIE], "refreshed on read");
      const forgotten = await app(get("/forget", cookieFrom(refreshed)));
      expectEqual(attributes(forgotten), BROWSER_COOKIE, "back to a browser-session cookie");

      clock.ms += 3601_000;
      const late = await app(get("/", cookieFrom(refreshed)));
      expectEqual(await late.text(), "nobody", "the server enforces the lifetime");
      expectEqual(reasons, ["expired"]);
    },
  ],
  [
    "clear, destroy and popping the last key delete the cookie",
    async (d) => {
      const app = d.serve(opts(), (request, session) => {
        const path = new URL(request.url).pathname;
        if (path === "/login") session.set("user", "ada");
        if (path === "/clear") session.clear();
        if (path === "/destroy") session.destroy();
        if (path === "/pop") session.pop("user");
        return new Response("ok");
      });
      const pair = cookieFrom(await app(get("/login")));
      for (const path of ["/clear", "/destroy", "/pop"]) {
        expectEqual((await app(get(path, pair))).headers.getSetCookie(), [DELETE_COOKIE], path);
      }
    },
  ],
  [
    "Vary: Cookie when the session was read, merged into an existing Vary",
    async (d) => {
      const app = d.serve(opts(), (request, session) => {
        const vary = new URL(request.url).searchParams.get("vary");
        session.get("user");
        return new Response("ok", vary === null ? {} : { headers: { vary } });
      });
      const varyOf = async (path: string): Promise<string | null> => {
        const response = await app(get(path));
        expectEqual(response.headers.getSetCookie(), [], path);
        return response.headers.get("vary");
      };
      expectEqual(await varyOf("/"), "Cookie");
      expectEqual(await varyOf(`/?vary=${encodeURIComponent("Accept-Encoding")}`), "Accept-Encoding, Cookie");
      expectEqual(await varyOf(`/?vary=${encodeURIComponent("accept-encoding, cookie")}`), "accept-encoding, cookie");
      expectEqual(await varyOf("/?vary=*"), "*");
    },
  ],
  [
    "key rotation: the old secret verifies, the cookie is re-issued under the new one",
    async (d) => {
      const report: Handler = (request, session) => {
        if (request.method === "POST") session.set("user", "ada");
        return Response.json({ user: session.get("user") ?? null, isNew: session.isNew });
      };
      const before = d.serve(opts({ secret: SECRET }), report);
      const during = d.serve(opts({ secret: [NEW_SECRET, SECRET] }), report);
      const after = d.serve(opts({ secret: NEW_SECRET }), report);
      const old = cookieFrom(await before(post("/")));
      const read = await during(get("/", old));
      expectEqual(await read.json(), { user: "ada", isNew: false }, "the old secret still verifies");
      const reissued = cookieFrom(read);
      expectTrue(reissued !== old, "re-issued with the new secret");
      expectEqual((await during(get("/", reissued))).headers.getSetCookie(), [], "a current cookie is not re-issued");
      expectEqual(await (await after(get("/", reissued))).json(), { user: "ada", isNew: false }, "the new secret alone reads it");
      expectEqual(await (await after(get("/", old))).json(), { user: null, isNew: true }, "the retired secret no longer verifies");
    },
  ],
  [
    "flashes survive a redirect and are shown once",
    async (d) => {
      const app = d.serve(opts(), (request, session) => {
        if (request.method === "POST") {
          session.set("user", "ada");
          session.flash("Welcome back", "info");
          session.flash("2 new messages");
          return Response.redirect(new URL("/", request.url), 303);
        }
        const first = session.flashes({ withCategories: true });
        const again = session.flashes();
        return Response.json({ first, again, user: session.get("user") ?? null });
      });
      const login = await app(post("/login"));
      expectEqual(login.status, 303);
      expectEqual(login.headers.get("location"), "http://localhost/");
      const shown = await app(get("/", cookieFrom(login)));
      expectEqual(await shown.json(), {
        first: [
          ["info", "Welcome back"],
          ["message", "2 new messages"],
        ],
        again: ["Welcome back", "2 new messages"],
        user: "ada",
      });
      const later = await app(get("/", cookieFrom(shown)));
      expectEqual(await later.json(), { first: [], again: [], user: "ada" });
      expectEqual(later.headers.getSetCookie(), []);
    },
  ],
  [
    "Response.redirect (immutable headers) still carries the cookie",
    async (d) => {
      const app = d.serve(opts(), (_request, session) => {
        session.set("user", "ada");
        return Response.redirect("https://example.com/next", 302);
      });
      const response = await app(get("/"));
      expectEqual(response.status, 302);
      expectEqual(response.headers.get("location"), "https://example.com/next");
      expectEqual(attributes(response), BROWSER_COOKIE);
      expectEqual(response.headers.get("vary"), "Cookie");
    },
  ],
  [
    "other Set-Cookie headers are kept; the app's own session cookie is replaced",
    async (d) => {
      const app = d.serve(opts(), (_request, session) => {
        session.set("user", "ada");
        const headers = new Headers({ "cache-control": "no-store" });
        headers.append("Set-Cookie", "theme=dark; Path=/");
        headers.append("Set-Cookie", "session=stale; Path=/");
        headers.append("Set-Cookie", "lang=en; Path=/; Max-Age=60");
        return new Response("ok", { headers });
      });
      const response = await app(get("/"));
      const lines = response.headers.getSetCookie();
      expectEqual(lines.length, 3, JSON.stringify(lines));
      expectEqual(lines.slice(0, 2), ["theme=dark; Path=/", "lang=en; Path=/; Max-Age=60"]);
      expectTrue(lines[2]!.startsWith("session=") && !lines[2]!.startsWith("session=stale;"), lines[2]);
      expectEqual(response.headers.get("cache-control"), "no-store", "the app's Cache-Control wins");
    },
  ],
  [
    "a handler that never touches the session: no headers, no verification",
    async (d) => {
      const reasons: InvalidReason[] = [];
      const app = d.serve(opts({ onInvalid: (r) => reasons.push(r) }), () => new Response("static", { headers: { "content-type": "text/plain" } }));
      const valid = cookieFrom(await d.serve(opts(), writeOrReport)(post("/")));
      for (const cookie of [undefined, valid, "session=garbage.garbage.garbage"]) {
        const response = await app(get("/", cookie));
        expectEqual(await response.text(), "static");
        expectEqual([...response.headers], [["content-type", "text/plain"]], `headers with cookie ${cookie}`);
      }
      expectEqual(reasons, [], "no cookie was verified");
    },
  ],
  [
    "a bad configuration throws before any response",
    async (d) => {
      const error = await expectRejects(async () => {
        const app = d.serve({ secret: "too short" }, () => new Response("never"));
        await app(get("/"));
      });
      expectTrue(error instanceof SessionError && error.code === "weak_secret", String(error));
    },
  ],
];

const adapterCases: Array<[name: string, run: () => Promise<void>]> = [
  [
    "hono: a route that never calls c.get('session') gets no headers and no verification",
    async () => {
      const reasons: InvalidReason[] = [];
      const app = new Hono().use(honoSession<Data>(opts({ onInvalid: (r) => reasons.push(r) })));
      app.get("/static", (c) => c.text("static"));
      app.get("/user", (c) => c.text(c.get("session").get("user") ?? "nobody"));
      const cookie = { headers: { cookie: "session=garbage.garbage.garbage" } };
      const untouched = await app.request("/static", cookie);
      expectEqual(await untouched.text(), "static");
      expectEqual(untouched.headers.getSetCookie(), []);
      expectEqual(untouched.headers.get("vary"), null);
      expectEqual(reasons, [], "nothing verified");
      const read = await app.request("/user", cookie);
      expectEqual(await read.text(), "nobody");
      expectEqual(read.headers.get("vary"), "Cookie");
      expectEqual(reasons, ["malformed"]);
    },
  ],
  [
    "hono: a throwing handler writes nothing; the error handler's response goes out as is",
    async () => {
      const app = new Hono<SessionEnv<Data>>();
      app.use(honoSession<Data>(opts()));
      app.post("/boom", (c) => {
        c.get("session").set("user", "mallory");
        throw new Error("boom");
      });
      app.post("/forbidden", (c) => {
        c.get("session").set("user", "mallory");
        throw new HTTPException(403, { message: "no" });
      });
      app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text(`failed: ${error.message}`, 500)));
      const boom = await app.request("/boom", { method: "POST" });
      expectEqual([boom.status, await boom.text()], [500, "failed: boom"]);
      expectEqual(boom.headers.getSetCookie(), []);
      expectEqual(boom.headers.get("vary"), null);
      const forbidden = await app.request("/forbidden", { method: "POST" });
      expectEqual(forbidden.status, 403);
      expectEqual(forbidden.headers.getSetCookie(), []);
    },
  ],
  [
    "hono: headers from c.header() and other middleware survive the commit",
    async () => {
      const app = new Hono<SessionEnv<Data>>();
      app.use(async (c, next) => {
        await next();
        c.header("X-Outer", "after commit");
      });
      app.use(honoSession<Data>(opts()));
      app.use(async (c, next) => {
        await next();
        c.header("X-Inner", "before commit");
      });
      app.get("/", (c) => {
        c.get("session").set("user", "ada");
        c.header("Set-Cookie", "theme=dark; Path=/", { append: true });
        c.header("Vary", "Accept-Encoding");
        return c.text("ok");
      });
      const response = await app.request("/");
      const lines = response.headers.getSetCookie();
      expectEqual(lines.length, 2, JSON.stringify(lines));
      expectEqual(lines[0], "theme=dark; Path=/");
      expectTrue(lines[1]!.startsWith("session="), lines[1]);
      expectEqual(response.headers.get("vary"), "Accept-Encoding, Cookie");
      expectEqual([response.headers.get("x-inner"), response.headers.get("x-outer")], ["before commit", "after commit"]);
      expectEqual(await response.text(), "ok");
    },
  ],
  [
    "hono: c.var.session and c.get('session') are the request's session",
    async () => {
      const app = new Hono().use(honoSession<Data>(opts())).get("/", (c) => {
        c.var.session.set("cart", ["pear"]);
        return c.json({ same: c.var.session === c.get("session"), cart: c.get("session").get("cart") ?? null });
      });
      const first = await app.request("/");
      expectEqual(await first.json(), { same: true, cart: ["pear"] });
      const second = await app.request("/", { headers: { cookie: cookieFrom(first) } });
      expectEqual(await second.json(), { same: true, cart: ["pear"] });
    },
  ],
  [
    "workers: options from env are built once per env object",
    async () => {
      let built = 0;
      const fetch = workersSession<Data, { SECRET: string }>(
        (env) => {
          built++;
          return opts({ secret: env.SECRET });
        },
        (_request, session) => {
          const n = (session.get("n") ?? 0) + 1;
          session.set("n", n);
          return new Response(String(n));
        },
      );
      const ctx: ExecutionContext = { waitUntil() {} };
      const env = { SECRET };
      const one = await fetch(get("/"), env, ctx);
      const two = await fetch(get("/", cookieFrom(one)), env, ctx);
      expectEqual([await one.text(), await two.text(), built], ["1", "2", 1], "one isolate, one env: built once");
      const three = await fetch(get("/", cookieFrom(two)), { SECRET }, ctx);
      expectEqual([await three.text(), built], ["3", 2], "another env object (same secret) builds again and reads the cookie");
      const other = await fetch(get("/", cookieFrom(three)), { SECRET: OTHER_SECRET }, ctx);
      expectEqual([await other.text(), built], ["1", 3], "another secret does not verify it");
      const error = await expectRejects(() => fetch(get("/"), undefined as unknown as { SECRET: string }, ctx));
      expectTrue(error instanceof TypeError, String(error));
    },
  ],
  [
    "workers: options given as an object are validated when withSession runs",
    async () => {
      const error = await expectRejects(() => workersSession({ secret: "too short" }, () => new Response("never")));
      expectTrue(error instanceof SessionError && error.code === "weak_secret", String(error));
    },
  ],
];

interface Vector {
  readonly name: string;
  readonly options: Partial<SessionsOptions>;
  readonly url?: string;
  readonly cookie?: string;
  readonly act: (session: Session<Data>) => void;
  readonly setCookie: string;
  /** What the issued cookie reads back as; omitted for a deletion. */
  readonly data?: Data;
}

// Set-Cookie strings pinned on Node: every runtime must produce exactly these bytes for the
// same inputs on the fixed clock, and read each token back. When the signed format changes on
// purpose, the failure shows the new value to paste (and every deployed cookie is invalidated).
const NEW_COOKIE =
  "session=eyJjIjoxNzAwMDAwMDAwLCJhIjoxNzAwMDAwMDAwLCJkIjp7InVzZXIiOiJhZGEifX0.1IOKHg.ry3VdK6ZlZA3SLS938EDJyWULpKB33JEwBKBwZ8J41w; Path=/; HttpOnly; SameSite=Lax";

const vectors: Vector[] = [
  {
    name: "a new browser-session cookie",
    options: {},
    act: (s) => s.set("user", "ada"),
    setCookie: NEW_COOKIE,
    data: { user: "ada" },
  },
  {
    name: "a permanent cookie with nested data",
    options: { lifetime: 3600 },
    act: (s) => {
      s.set("user", "ada");
      s.set("cart", ["apple", "pear"]);
      s.permanent = true;
    },
    setCookie:
      "session=eyJjIjoxNzAwMDAwMDAwLCJhIjoxNzAwMDAwMDAwLCJwIjoxLCJkIjp7InVzZXIiOiJhZGEiLCJjYXJ0IjpbImFwcGxlIiwicGVhciJdfX0.1IOKHg.Okrxm1v826KApWNMMgg3aq0-vHNiK_RP7R65VhCHduY; Max-Age=3600; Expires=Tue, 14 Nov 2023 23:13:20 GMT; Path=/; HttpOnly; SameSite=Lax",
    data: { user: "ada", cart: ["apple", "pear"] },
  },
  {
    name: "non-ASCII data and a flashed message",
    options: {},
    act: (s) => {
      s.set("name", "Zo\u00eb \u2713 \u{1f600}");
      s.flash("Gr\u00fc\u00dfe", "info");
    },
    setCookie:
      "session=eyJjIjoxNzAwMDAwMDAwLCJhIjoxNzAwMDAwMDAwLCJmIjpbWyJpbmZvIiwiR3LDvMOfZSJdXSwiZCI6eyJuYW1lIjoiWm_DqyDinJMg8J-YgCJ9fQ.1IOKHg.HY2evsO_Qdmp_Ir8ADd9y-eEAyRRvRELTmzkLL312qQ; Path=/; HttpOnly; SameSite=Lax",
    data: { name: "Zo\u00eb \u2713 \u{1f600}" },
  },
  {
    name: "https, a __Host- name and SameSite=Strict",
    options: { cookie: { name: "__Host-sid", sameSite: "Strict" } },
    url: "https://example.com/",
    act: (s) => s.set("user", "ada"),
    setCookie:
      "__Host-sid=eyJjIjoxNzAwMDAwMDAwLCJhIjoxNzAwMDAwMDAwLCJkIjp7InVzZXIiOiJhZGEifX0.1IOKHg.tNhuJYRvnm2JuKigWX3EmSl8U-nl8J65sX4Sz0NO6cg; Path=/; Secure; HttpOnly; SameSite=Strict",
    data: { user: "ada" },
  },
  {
    name: "a cookie of the previous secret, re-issued under the new one",
    options: { secret: [NEW_SECRET, SECRET] },
    cookie: pairOf(NEW_COOKIE),
    act: (s) => s.get("user"),
    setCookie:
      "session=eyJjIjoxNzAwMDAwMDAwLCJhIjoxNzAwMDAwMDAwLCJkIjp7InVzZXIiOiJhZGEifX0.UEgO5w.NlE9-I6ATMCxTo8dknzg1wsROjwjMSW3oqyCMttG0G0; Path=/; HttpOnly; SameSite=Lax",
    data: { user: "ada" },
  },
  {
    name: "clearing deletes the cookie",
    options: {},
    cookie: pairOf(NEW_COOKIE),
    act: (s) => s.clear(),
    setCookie: DELETE_COOKIE,
  },
];

function pairOf(setCookie: string): string {
  const end = setCookie.indexOf(";");
  return end === -1 ? setCookie : setCookie.slice(0, end);
}

/** The conformance suite: behaviour through every handler shape, adapter cases, byte-level vectors. */
export const behaviour = defineSuite("behaviour", (test) => {
  for (const [name, run] of behaviours) {
    for (const driver of drivers) test(`${name} [${driver.name}]`, () => run(driver));
  }
  for (const [name, run] of adapterCases) test(name, run);
  for (const vector of vectors) {
    test(`byte-level: ${vector.name}`, async () => {
      for (const driver of drivers) {
        const clock = { ms: T0 };
        const write = driver.serve(opts(vector.options, clock), (_request, session) => {
          vector.act(session);
          return new Response("ok");
        });
        const response = await write(get(vector.url ?? "/", vector.cookie));
        expectEqual(response.headers.getSetCookie(), [vector.setCookie], `${driver.name}: Set-Cookie`);
        if (vector.data === undefined) continue;
        clock.ms += 1000;
        const cookieName = vector.options.cookie?.name ?? "session";
        const read = driver.serve(opts(vector.options, clock), (_request, session) => Response.json({ isNew: session.isNew, data: session.toJSON() }));
        const readBack = await read(get(vector.url ?? "/", pairOf(vector.setCookie)));
        expectEqual(await readBack.json(), { isNew: false, data: vector.data }, `${driver.name}: ${cookieName} reads back`);
      }
    });
  }
});
