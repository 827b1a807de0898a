// The owner-index scenarios every store with `owners` must pass (issue #16): list after
// logins on several devices, revoke one, revokeAll with except, logout and expiry remove the
// entry, and the races (revokeAll during 50 in-flight requests; a login concurrent with
// revokeAll). Drives createSessions through real Requests and Responses.

import { expect, test } from "vitest";
import { createSessions } from "../../src/index.ts";
import type { Session, SessionStore, Sessions } from "../../src/index.ts";
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
  expect(response.status).toBe(200);
  return cookieOf(response);
}

async function whoami(app: ReturnType<typeof ownerApp>, cookie: string): Promise<string> {
  return (await app.fetch("/", cookie)).text();
}

/** Registers the scenarios; `store()` gives a fresh store, `owner()` a fresh owner name. */
export function registerOwnerScenarios(store: () => SessionStore): void {
  let counter = 0;
  const owner = (): string => `user-${Date.now()}-${++counter}`;

  test("list after logins on three devices: handles, times, user agent and IP", async () => {
    const app = ownerApp(store());
    const u = owner();
    const cookies = [await login(app, u, "Phone"), await login(app, u, "Laptop"), await login(app, u, "Tablet")];
    await login(app, owner(), "Someone else");
    const list = await app.sessions.list(u);
    expect(list.map((s) => s.userAgent).sort()).toEqual(["Laptop", "Phone", "Tablet"]);
    for (const s of list) {
      expect(s.ip).toBe("203.0.113.7");
      expect(s.expires).toBeGreaterThan(s.lastActive);
      expect(cookies.some((c) => c.includes(s.handle))).toBe(false); // never the cookie's id
    }
    // The current request's handle marks "this device".
    const mine = await (await app.fetch("/handle", cookies[1])).text();
    expect(list.find((s) => s.handle === mine)?.userAgent).toBe("Laptop");
  });

  test("revoke one: its next request is anonymous with the cookie deleted; the others stay", async () => {
    const app = ownerApp(store());
    const u = owner();
    const [a, b] = [await login(app, u, "A"), await login(app, u, "B")];
    const target = (await app.sessions.list(u)).find((s) => s.userAgent === "A")!;
    expect(await app.sessions.revoke(owner(), target.handle)).toBe(false); // another owner's handle is no capability
    expect(await app.sessions.revoke(u, target.handle)).toBe(true);
    const response = await app.fetch("/", a);
    expect(await response.text()).toBe("anonymous");
    // A write from the revoked device does not bring it back.
    const write = await app.fetch("/write", a);
    expect(await whoami(app, cookieOf(write))).toBe("anonymous");
    expect(await whoami(app, b)).toBe(u);
    expect((await app.sessions.list(u)).map((s) => s.userAgent)).toEqual(["B"]);
  });

  test("revokeAll with except keeps the current session, which goes on writing and rotating", async () => {
    const app = ownerApp(store());
    const u = owner();
    const cookies = [await login(app, u, "A"), await login(app, u, "B"), await login(app, u, "C")];
    const current: Session<Data> = await app.sessions.load(requestWith(cookies[2]));
    expect(await app.sessions.revokeAll(u, { except: current })).toBe(2);
    expect(await whoami(app, cookies[0]!)).toBe("anonymous");
    expect(await whoami(app, cookies[1]!)).toBe("anonymous");
    expect(await whoami(app, cookies[2]!)).toBe(u);
    const rotated = cookieOf(await app.fetch("/rotate", cookies[2]));
    expect(await whoami(app, rotated)).toBe(u);
    expect((await app.sessions.list(u)).map((s) => s.userAgent)).toEqual(["C"]);
    // Without except, everything goes.
    expect(await app.sessions.revokeAll(u)).toBe(1);
    expect(await whoami(app, rotated)).toBe("anonymous");
    expect(await app.sessions.list(u)).toEqual([]);
  });

  test("logout (owner removed) and destroy remove the index entry", async () => {
    const app = ownerApp(store());
    const u = owner();
    const [a, b] = [await login(app, u, "A"), await login(app, u, "B")];
    await app.fetch("/logout", a);
    expect((await app.sessions.list(u)).map((s) => s.userAgent)).toEqual(["B"]);
    await app.fetch("/destroy", b);
    expect(await app.sessions.list(u)).toEqual([]);
    // The logged-out session lives on, unowned: revokeAll does not touch it.
    await app.sessions.revokeAll(u);
    const after = await app.sessions.load(requestWith(a));
    expect(after.get("theme")).toBe("dark");
  });

  test("revokeAll during 50 in-flight requests of the owner never leaves a live session", async () => {
    const app = ownerApp(store());
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
      if (cookie !== undefined) expect(await whoami(app, cookie)).toBe("anonymous");
    }
    for (const cookie of cookies) expect(await whoami(app, cookie)).toBe("anonymous");
    expect(await app.sessions.list(u)).toEqual([]);
  });

  test("a login concurrent with revokeAll ends either revoked or indexed, never live and unindexed", async () => {
    const app = ownerApp(store());
    for (let round = 0; round < 30; round++) {
      const u = owner();
      await login(app, u, "old");
      const [response] = await Promise.all([app.fetch(`/login?user=${u}`, undefined, "new"), delay(round % 5).then(() => app.sessions.revokeAll(u))]);
      const cookie = cookieOf(response);
      const live = (await whoami(app, cookie)) === u;
      const indexed = (await app.sessions.list(u)).some((s) => s.userAgent === "new");
      expect(live).toBe(indexed);
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
