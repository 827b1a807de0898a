// The owner-index scenarios every store with `owners` must pass (issue #16): list after
// logins on several devices, revoke one, revokeAll with except, logout and expiry remove the
// entry, and the races (revokeAll during 50 in-flight requests; a login concurrent with
// revokeAll). Drives createSessions through real Requests and Responses. Runtime-neutral (Web
// globals and the conformance harness only): vitest runs it on Node and in workerd, deno test
// in Deno (test/conformance/deno-kv-store.suite.ts).

import { createSessions } from "../../src/index.ts";
import type { Session, SessionStore, Sessions } from "../../src/index.ts";
import { expectEqual, expectTrue } from "../conformance/harness.ts";
import type { TestFn } from "../conformance/harness.ts";
import { TEST_SECRET, cookieOf, requestWith } from "../helpers.ts";

type Data = { user?: string; n?: number; theme?: string };

/** A small app: login, whoami, a write, a rotation, logout. */
export function ownerApp(
  store: SessionStore,
  extra: { lifetime?: number } = {},
): { sessions: Sessions<Data>; fetch: (path: string, cookie?: string, agent?: string) => Promise<Response> } {
  const sessions = createSessions<Data>({
    secret: TEST_SECRET,
    store,
    owner: (data) => (typeof data.user === "string" ? data.user : undefined),
    track: { userAgent: true, ip: (request) => request.headers.get("x-forwarded-for") ?? undefined },
    ...extra,
  });
  const handler = sessions.handle(async (request, session) => {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/login":
        session.regenerate({ fresh: true });
        session.set("user", url.searchParams.get("user")!);
        return new Response("in");
      case "/write":
        session.set("n", (session.get("n") ?? 0) + 1);
        return new Response("written");
      case "/rotate":
        session.regenerate();
        return new Response("rotated");
      case "/logout":
        session.delete("user");
        session.set("theme", "dark");
        return new Response("out");
      case "/destroy":
        session.destroy();
        return new Response("destroyed");
      case "/handle":
        return new Response(sessions.handleOf(session) ?? "none");
      default:
        return new Response(session.get("user") ?? "anonymous");
    }
  });
  return {
    sessions,
    fetch: (path, cookie, agent = "test-agent") =>
      handler(requestWith(cookie, `https://app.example${path}`, { method: "POST", headers: { "user-agent": agent, "x-forwarded-for": "203.0.113.7" } })),
  };
}

async function login(app: ReturnType<typeof ownerApp>, user: string, agent?: string): Promise<string> {
  const response = await app.fetch(`/login?user=${encodeURIComponent(user)}`, undefined, agent);
  expectEqual(response.status, 200, "login status");
  return cookieOf(response);
}

async function whoami(app: ReturnType<typeof ownerApp>, cookie: string): Promise<string> {
  return (await app.fetch("/", cookie)).text();
}

/** Registers the scenarios with `test`; `store()` gives a fresh store (or a promise of one). */
export function registerOwnerScenarios(test: TestFn, store: () => SessionStore | Promise<SessionStore>): void {
  let counter = 0;
  const owner = (): string => `user-${Date.now()}-${++counter}`;

  test("list after logins on three devices: handles, times, user agent and IP", async () => {
    const app = ownerApp(await store());
    const u = owner();
    const cookies = [await login(app, u, "Phone"), await login(app, u, "Laptop"), await login(app, u, "Tablet")];
    await login(app, owner(), "Someone else");
    const list = await app.sessions.list(u);
    expectEqual(list.map((s) => s.userAgent).sort(), ["Laptop", "Phone", "Tablet"]);
    for (const s of list) {
      expectEqual(s.ip, "203.0.113.7");
      expectTrue(s.expires > s.lastActive, `expires ${s.expires} after lastActive ${s.lastActive}`);
      expectEqual(
        cookies.some((c) => c.includes(s.handle)),
        false,
        "a handle is never the cookie's id",
      );
    }
    // The current request's handle marks "this device".
    const mine = await (await app.fetch("/handle", cookies[1])).text();
    expectEqual(list.find((s) => s.handle === mine)?.userAgent, "Laptop");
  });

  test("revoke one: its next request is anonymous with the cookie deleted; the others stay", async () => {
    const app = ownerApp(await store());
    const u = owner();
    const [a, b] = [await login(app, u, "A"), await login(app, u, "B")];
    const target = (await app.sessions.list(u)).find((s) => s.userAgent === "A")!;
    expectEqual(await app.sessions.revoke(owner(), target.handle), false, "another owner's handle is no capability");
    expectEqual(await app.sessions.revoke(u, target.handle), true);
    const response = await app.fetch("/", a);
    expectEqual(await response.text(), "anonymous");
    // A write from the revoked device does not bring it back.
    const write = await app.fetch("/write", a);
    expectEqual(await whoami(app, cookieOf(write)), "anonymous");
    expectEqual(await whoami(app, b), u);
    expectEqual(
      (await app.sessions.list(u)).map((s) => s.userAgent),
      ["B"],
    );
  });

  test("revokeAll with except keeps the current session, which goes on writing and rotating", async () => {
    const app = ownerApp(await store());
    const u = owner();
    const cookies = [await login(app, u, "A"), await login(app, u, "B"), await login(app, u, "C")];
    const current: Session<Data> = await app.sessions.load(requestWith(cookies[2]));
    expectEqual(await app.sessions.revokeAll(u, { except: current }), 2);
    expectEqual(await whoami(app, cookies[0]!), "anonymous");
    expectEqual(await whoami(app, cookies[1]!), "anonymous");
    expectEqual(await whoami(app, cookies[2]!), u);
    const rotated = cookieOf(await app.fetch("/rotate", cookies[2]));
    expectEqual(await whoami(app, rotated), u);
    expectEqual(
      (await app.sessions.list(u)).map((s) => s.userAgent),
      ["C"],
    );
    // Without except, everything goes.
    expectEqual(await app.sessions.revokeAll(u), 1);
    expectEqual(await whoami(app, rotated), "anonymous");
    expectEqual(await app.sessions.list(u), []);
  });

  test("logout (owner removed) and destroy remove the index entry", async () => {
    const app = ownerApp(await store());
    const u = owner();
    const [a, b] = [await login(app, u, "A"), await login(app, u, "B")];
    await app.fetch("/logout", a);
    expectEqual(
      (await app.sessions.list(u)).map((s) => s.userAgent),
      ["B"],
    );
    await app.fetch("/destroy", b);
    expectEqual(await app.sessions.list(u), []);
    // The logged-out session lives on, unowned: revokeAll does not touch it.
    await app.sessions.revokeAll(u);
    const after = await app.sessions.load(requestWith(a));
    expectEqual(after.get("theme"), "dark");
  });

  test("revokeAll during 50 in-flight requests of the owner never leaves a live session", async () => {
    const app = ownerApp(await store());
    const u = owner();
    const cookies = await Promise.all(Array.from({ length: 10 }, (_, n) => login(app, u, `device-${n}`)));
    // 50 requests load their sessions, then revokeAll runs while they write, rotate or log in again.
    const loaded = await Promise.all(Array.from({ length: 50 }, (_, n) => app.sessions.load(requestWith(cookies[n % 10]))));
    const revoke = app.sessions.revokeAll(u);
    const responses = await Promise.all(
      loaded.map(async (session, n) => {
        if (n % 3 === 0) session.regenerate();
        else if (n % 3 === 1) session.set("n", n);
        else {
          session.regenerate({ fresh: true });
          session.set("user", u);
        }
        return app.sessions.commit(session, new Response("ok"));
      }),
    );
    await revoke;
    for (const response of responses) {
      const set = response.headers.getSetCookie()[0];
      const cookie = set === undefined || set.startsWith("session=;") ? undefined : set.split(";")[0];
      if (cookie !== undefined) expectEqual(await whoami(app, cookie), "anonymous", "a session written during revokeAll");
    }
    for (const cookie of cookies) expectEqual(await whoami(app, cookie), "anonymous", "a session revoked");
    expectEqual(await app.sessions.list(u), []);
  });

  test("a login concurrent with revokeAll ends either revoked or indexed, never live and unindexed", async () => {
    const app = ownerApp(await store());
    for (let round = 0; round < 30; round++) {
      const u = owner();
      await login(app, u, "old");
      const [response] = await Promise.all([app.fetch(`/login?user=${u}`, undefined, "new"), delay(round % 5).then(() => app.sessions.revokeAll(u))]);
      const cookie = cookieOf(response);
      const live = (await whoami(app, cookie)) === u;
      const indexed = (await app.sessions.list(u)).some((s) => s.userAgent === "new");
      expectEqual(live, indexed, `round ${round}: live and indexed`);
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
