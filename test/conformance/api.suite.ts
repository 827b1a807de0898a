// Issue #19's API on every runtime (Node, workerd, Deno, Bun): a schema (a hand-written
// Standard Schema object, since Zod and Valibot need not load in every runner), version and
// migrate, lifecycle hooks, expiresAt, set(key, undefined), and two sessions in one request
// through the core, Hono, Workers, Deno and Bun without clobbering each other's cookies or Vary.

import { Hono } from "hono";
import { withSession as bunSession } from "../../adapters/bun.ts";
import type { Server } from "../../adapters/bun.ts";
import { withSession as denoSession } from "../../adapters/deno.ts";
import type { ServeHandlerInfo } from "../../adapters/deno.ts";
import { session as honoSession } from "../../adapters/hono.ts";
import { withSession as workersSession } from "../../adapters/workers.ts";
import type { ExecutionContext } from "../../adapters/workers.ts";
import { SessionError } from "../../src/errors.ts";
import type { InvalidReason } from "../../src/errors.ts";
import type { SessionsOptions } from "../../src/options.ts";
import type { StandardSchemaV1 } from "../../src/schema.ts";
import type { Session } from "../../src/session.ts";
import { createSessions } from "../../src/sessions.ts";
import { defineSuite, expectEqual, expectRejects, expectTrue } from "./harness.ts";

// Test-only secrets: public, so never use them anywhere else.
const SECRET = "Ec3JyiFTT7HIG5dKpn5kHq3lNvN6_jAwRF4Si0f8f3o";
const OLD_SECRET = "zA3QgJj24uQwf606cNfElxae3HDTEkWER2CkCH8G2vA";
const T0 = 1_700_000_000_000;

type User = { user?: string; visits?: number };

// A minimal Standard Schema validator: `user` an optional string, `visits` an optional whole number.
const userSchema: StandardSchemaV1<unknown, User> = {
  "~standard": {
    version: 1,
    vendor: "websession-test",
    validate(value) {
      const issues: StandardSchemaV1.Issue[] = [];
      const data = value as Record<string, unknown>;
      if (typeof value !== "object" || value === null) return { issues: [{ message: "Expected an object" }] };
      if (data.user !== undefined && typeof data.user !== "string") issues.push({ message: "Expected a string", path: ["user"] });
      if (data.visits !== undefined && !Number.isInteger(data.visits)) issues.push({ message: "Expected a whole number", path: [{ key: "visits" }] });
      for (const key of Object.keys(data)) if (key !== "user" && key !== "visits") issues.push({ message: "Unknown key", path: [key] });
      return issues.length > 0 ? { issues } : { value: data as User };
    },
  },
};

function get(cookie?: string, path = "/"): Request {
  return new Request(new URL(path, "http://localhost"), cookie === undefined ? {} : { headers: { cookie } });
}

// The name=value pair the browser sends back for cookie `name` of `response`.
function cookieFrom(response: Response, name = "session"): string {
  const lines = response.headers.getSetCookie().filter((line) => line.startsWith(`${name}=`));
  expectEqual(lines.length, 1, `one Set-Cookie for ${name} in ${JSON.stringify(response.headers.getSetCookie())}`);
  return lines[0]!.split(";")[0]!;
}

// A cookie holding `data`, written without a schema.
async function cookieHolding(data: Record<string, unknown>, options: Partial<SessionsOptions> = {}): Promise<string> {
  const plain = createSessions({ secret: SECRET, now: () => T0, ...options });
  const session = await plain.load(get());
  session.update(data);
  return cookieFrom(await plain.commit(session, new Response("ok")));
}

type Device = { deviceId?: string };
type Auth = { user?: string };
const deviceOptions: SessionsOptions = { secret: SECRET, now: () => T0, cookie: { name: "device", sameSite: "Strict" }, lifetime: 400 * 24 * 3600 };
const authOptions: SessionsOptions = { secret: OLD_SECRET, now: () => T0, cookie: { name: "auth" }, lifetime: 3600 };

// The two-session app every driver serves: GET / reads both, /login writes both, /logout destroys auth only.
function twoSessionHandler(request: Request, device: Session<Device>, auth: Session<Auth>): Response {
  const path = new URL(request.url).pathname;
  if (path === "/login") {
    device.permanent = true;
    device.setDefault("deviceId", "d-1");
    auth.set("user", "ada");
  } else if (path === "/logout") {
    auth.destroy();
  }
  return new Response(`device=${device.get("deviceId") ?? "-"} user=${auth.get("user") ?? "-"}`);
}

type TwoSessionApp = (request: Request) => Promise<Response>;

const twoSessionDrivers: Array<[name: string, make: () => TwoSessionApp]> = [
  [
    "core handle() twice",
    () => {
      const auth = createSessions<Auth>(authOptions);
      const withAuth = auth.handle<[device: Session<Device>]>((request, session, device) => twoSessionHandler(request, device, session));
      const fetch = createSessions<Device>(deviceOptions).handle((request, device) => withAuth(request, device));
      return (request) => fetch(request);
    },
  ],
  [
    "hono, each under its own key",
    () => {
      const app = new Hono()
        .use(honoSession<Device, "device">(deviceOptions, { key: "device" }))
        .use(honoSession<Auth>(authOptions))
        .all("*", (c) => twoSessionHandler(c.req.raw, c.get("device"), c.get("session")));
      return async (request) => app.fetch(request);
    },
  ],
  [
    "workers withSession + handle()",
    () => {
      const withAuth = createSessions<Auth>(authOptions).handle<[device: Session<Device>]>((request, auth, device) => twoSessionHandler(request, device, auth));
      const ctx: ExecutionContext = { waitUntil() {} };
      const fetch = workersSession<Device>(deviceOptions, (request, device) => withAuth(request, device));
      return (request) => fetch(request, {}, ctx);
    },
  ],
  [
    "deno withSession + handle()",
    () => {
      const withAuth = createSessions<Auth>(authOptions).handle<[device: Session<Device>]>((request, auth, device) => twoSessionHandler(request, device, auth));
      const info: ServeHandlerInfo = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 4711 }, completed: new Promise(() => {}) };
      const fetch = denoSession<Device>(deviceOptions, (request, device) => withAuth(request, device));
      return (request) => fetch(request, info);
    },
  ],
  [
    "bun withSession + handle()",
    () => {
      const withAuth = createSessions<Auth>(authOptions).handle<[device: Session<Device>]>((request, auth, device) => twoSessionHandler(request, device, auth));
      const server: Server = { requestIP: () => ({ address: "127.0.0.1", port: 4711, family: "IPv4" }) };
      const fetch = bunSession<Device>(deviceOptions, (request, device) => withAuth(request, device));
      return async (request) => (await fetch(request, server))!;
    },
  ],
];

export default defineSuite("api", (test) => {
  test("schema: valid data reads back; data failing it on read is an empty session reported as schema", async () => {
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: SECRET, now: () => T0, schema: userSchema, onInvalid: (r) => reasons.push(r) });
    expectEqual((await sessions.load(get(await cookieHolding({ user: "ada", visits: 2 })))).toJSON(), { user: "ada", visits: 2 });
    const response = await sessions.handle((_request, session) => new Response(`${session.isNew} ${session.size}`))(get(await cookieHolding({ user: 7 })));
    expectEqual([response.status, await response.text(), reasons], [200, "true 0", ["schema"]]);
  });

  test("schema: data failing it on write throws invalid_data naming the path, and nothing is written", async () => {
    const sessions = createSessions({ secret: SECRET, now: () => T0, schema: userSchema });
    const session = await sessions.load(get());
    session.set("visits", 1.5);
    const error = await expectRejects(() => sessions.commit(session, new Response("ok")));
    expectTrue(error instanceof SessionError && error.code === "invalid_data", `invalid_data, got ${String(error)}`);
    expectTrue((error as Error).message.includes("session.visits: Expected a whole number"), (error as Error).message);
    session.set("visits", 2);
    const response = await sessions.commit(session, new Response("ok"));
    expectEqual((await sessions.load(get(cookieFrom(response)))).toJSON(), { visits: 2 });
  });

  test("version and migrate: old data is upgraded and written back in the same response", async () => {
    const sessions = createSessions({
      secret: SECRET,
      now: () => T0,
      schema: userSchema,
      version: 2,
      migrate: (data, from) => (from === 0 ? { user: String(data.name) } : data),
    });
    const response = await sessions.handle((_request, session) => new Response(JSON.stringify(session.toJSON())))(get(await cookieHolding({ name: "ada" })));
    expectEqual(await response.text(), '{"user":"ada"}');
    const plain = createSessions({ secret: SECRET, now: () => T0 });
    expectEqual((await plain.load(get(cookieFrom(response)))).toJSON(), { user: "ada", _v: 2 });
  });

  test("hooks: onCreate, onRegenerate, onDestroy, onOldKey run after the commit that did it; a throwing one changes nothing", async () => {
    const events: string[] = [];
    const log = (name: string) => (session: Session<User>) => void events.push(`${name}:${session.get("user") ?? "-"}`);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args[0]);
    try {
      const sessions = createSessions<User>({
        secret: [SECRET, OLD_SECRET],
        now: () => T0,
        onCreate: (s) => {
          log("create")(s);
          throw new Error("audit log down");
        },
        onRegenerate: log("regenerate"),
        onDestroy: log("destroy"),
        onOldKey: log("oldKey"),
      });
      const app = sessions.handle((request, session) => {
        const path = new URL(request.url).pathname;
        if (path === "/login") session.set("user", "ada");
        if (path === "/rotate") session.regenerate();
        if (path === "/logout") session.destroy();
        return new Response(session.get("user") ?? "-");
      });
      const login = await app(get(undefined, "/login"));
      const cookie = cookieFrom(login);
      expectEqual(await (await app(get(cookie))).text(), "ada", "the cookie written before the throwing hook reads back");
      await app(get(cookie, "/rotate"));
      await app(get(cookie, "/logout"));
      await app(get(await cookieHolding({ user: "grace" }, { secret: OLD_SECRET })));
      expectEqual(events, ["create:ada", "regenerate:ada", "destroy:-", "oldKey:grace"]);
      expectEqual(errors.length, 1);
    } finally {
      console.error = original;
    }
  });

  test("validate: false rejects the session before the handler and deletes its cookie", async () => {
    const reasons: InvalidReason[] = [];
    const sessions = createSessions<User>({ secret: SECRET, now: () => T0, validate: (s) => s.get("user") !== "revoked", onInvalid: (r) => reasons.push(r) });
    const response = await sessions.handle((_request, s) => new Response(s.get("user") ?? "-"))(get(await cookieHolding({ user: "revoked" })));
    expectEqual(await response.text(), "-");
    expectTrue(response.headers.getSetCookie()[0]!.startsWith("session=; Max-Age=0"), response.headers.getSetCookie()[0]);
    expectEqual(reasons, ["rejected"]);
  });

  test("expiresAt: undefined for a browser-session cookie, the end of the idle limit for a permanent one", async () => {
    const sessions = createSessions<User>({ secret: SECRET, now: () => T0, lifetime: 3600, absoluteLifetime: 7200 });
    const session = await sessions.load(get());
    expectEqual(session.expiresAt, undefined);
    session.permanent = true;
    expectEqual(session.expiresAt, new Date(T0 + 3600 * 1000));
    session.set("user", "ada");
    const cookie = cookieFrom(await sessions.commit(session, new Response("ok")));
    // Half an hour later, not refreshed: the idle limit counts from the last write.
    const later = createSessions<User>({ secret: SECRET, now: () => T0 + 1800 * 1000, lifetime: 3600, absoluteLifetime: 7200, refresh: false });
    expectEqual((await later.load(get(cookie))).expiresAt, new Date(T0 + 3600 * 1000), "not refreshed: from the last write");
    const refreshing = createSessions<User>({ secret: SECRET, now: () => T0 + 1800 * 1000, lifetime: 3600, absoluteLifetime: 7200 });
    expectEqual((await refreshing.load(get(cookie))).expiresAt, new Date(T0 + (1800 + 3600) * 1000), "refreshed now");
    const capped = createSessions<User>({ secret: SECRET, now: () => T0 + 1800 * 1000, lifetime: 3600, absoluteLifetime: 5000 });
    expectEqual((await capped.load(get(cookie))).expiresAt, new Date(T0 + 5000 * 1000), "cut at the absolute limit");
  });

  test("set(key, undefined) deletes the key (and update does likewise)", async () => {
    const sessions = createSessions<User>({ secret: SECRET, now: () => T0 });
    const session = await sessions.load(get(await cookieHolding({ user: "ada", visits: 1 })));
    session.set("user", undefined);
    expectEqual(session.has("user"), false);
    session.update({ visits: undefined });
    expectEqual(session.size, 0);
    const response = await sessions.commit(session, new Response("ok"));
    expectTrue(response.headers.getSetCookie()[0]!.startsWith("session=; Max-Age=0"), "an emptied session deletes its cookie");
  });

  for (const [name, make] of twoSessionDrivers) {
    test(`two sessions in one request (${name}): own cookies, attributes and lifetimes, one Vary`, async () => {
      const app = make();
      const login = await app(get(undefined, "/login"));
      expectEqual(await login.text(), "device=d-1 user=ada");
      const lines = login.headers.getSetCookie();
      expectEqual(lines.length, 2, JSON.stringify(lines));
      const deviceLine = lines.find((l) => l.startsWith("device="))!;
      const authLine = lines.find((l) => l.startsWith("auth="))!;
      expectTrue(deviceLine.includes("Max-Age=34560000") && deviceLine.includes("SameSite=Strict"), deviceLine);
      expectTrue(!authLine.includes("Max-Age") && authLine.includes("SameSite=Lax"), authLine);
      expectEqual(login.headers.get("Vary"), "Cookie");
      const cookies = `${cookieFrom(login, "device")}; ${cookieFrom(login, "auth")}`;
      expectEqual(await (await app(get(cookies))).text(), "device=d-1 user=ada");
      // Logging out of one leaves the other alone.
      const out = await app(get(cookies, "/logout"));
      expectEqual(await out.text(), "device=d-1 user=-");
      const outLines = out.headers.getSetCookie();
      expectTrue(
        outLines.some((l) => l.startsWith("auth=; Max-Age=0")),
        JSON.stringify(outLines),
      );
      expectTrue(
        outLines.every((l) => !l.startsWith("device=; ")),
        JSON.stringify(outLines),
      );
      expectEqual(out.headers.get("Vary"), "Cookie");
    });
  }

  test("two sessions committed onto one Response keep both cookies and one Vary: Cookie", async () => {
    const device = createSessions<Device>(deviceOptions);
    const auth = createSessions<Auth>(authOptions);
    const request = get();
    const d = await device.load(request);
    const a = await auth.load(request);
    d.set("deviceId", "d-2");
    a.set("user", "ada");
    const response = new Response("ok", { headers: { "Set-Cookie": "theme=dark; Path=/", Vary: "Accept-Encoding" } });
    const committed = await auth.commit(a, await device.commit(d, response));
    expectEqual(
      committed.headers.getSetCookie().map((l) => l.split("=")[0]),
      ["theme", "device", "auth"],
    );
    expectEqual(committed.headers.get("Vary"), "Accept-Encoding, Cookie");
  });
});
