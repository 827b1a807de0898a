// The race and outage rules every session store must keep, written once for every store test:
// Redis, Redis Cluster and Postgres under vitest, Durable Objects and D1 inside workerd, Deno KV
// under `deno test`. Runtime-neutral: only Web globals, the public API and the harness's
// expect* (so the same failure messages appear everywhere).

import { SessionError, createSessions } from "../../src/index.ts";
import type { Session, SessionStore, Sessions, SessionsOptions } from "../../src/index.ts";
import { expectEqual, expectTrue } from "../conformance/harness.ts";
import { TEST_SECRET, cookieOf, requestWith } from "../helpers.ts";

/** Runs one request through `handler`, carrying `cookie`. */
export type RunFn = (handler: (r: Request, s: Session) => Response | Promise<Response>, cookie?: string) => Promise<Response>;

/** An app over one store, as the race and outage helpers drive it. */
export interface StoreApp {
  readonly sessions: Sessions;
  /** A request; `SessionError("store_unavailable")` becomes a 503 response, as an app would answer. */
  readonly run: RunFn;
  /** How many times a handler has run. */
  handled(): number;
}

/** `"ok"`, the response the race handlers answer with. */
export function ok(): Response {
  return new Response("ok");
}

/** Resolves after `ms` milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An app over `store` (the fixed test secret) that answers 503 on store_unavailable and counts handler runs. */
export function appOver(store: SessionStore, options: Partial<SessionsOptions> = {}): StoreApp {
  const sessions = createSessions({ secret: TEST_SECRET, store, ...options });
  let handled = 0;
  async function run(handler: (r: Request, s: Session) => Response | Promise<Response>, cookie?: string): Promise<Response> {
    try {
      return await sessions.handle((r, s: Session) => (handled++, handler(r, s)))(requestWith(cookie));
    } catch (error) {
      if (error instanceof SessionError && error.code === "store_unavailable") return new Response("unavailable", { status: 503 });
      throw error;
    }
  }
  return { sessions, run, handled: () => handled };
}

/** A logged-in session (`user: "ada"`) through `run`: its cookie. */
export async function login(run: RunFn): Promise<string> {
  return cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
}

/** 50 parallel requests on one session, each setting its own key, `rounds` times: how many keys were lost. Every response must be a 200 without a cookie. */
export async function parallelWriters(run: RunFn, rounds: number): Promise<number> {
  let lost = 0;
  for (let round = 0; round < rounds; round++) {
    const cookie = await login(run);
    const responses = await Promise.all(Array.from({ length: 50 }, (_, n) => run((_r, s) => (s.set(`k${n}`, n), ok()), cookie)));
    expectEqual(
      responses.map((r) => `${r.status} ${r.headers.getSetCookie().length}`),
      Array(50).fill("200 0"),
      "status and Set-Cookie count of the 50 writers",
    );
    let seen: Record<string, unknown> = {};
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    for (let n = 0; n < 50; n++) if (seen[`k${n}`] !== n) lost++;
    expectEqual(seen.user, "ada");
  }
  return lost;
}

/** What {@link destroyRaces} counted. */
export interface RaceResult {
  /** Trials whose session was still readable (or still stored) after the logout. */
  readonly resurrected: number;
  /** Trials whose slow commit started after the logout had finished (and was dropped). */
  readonly late: number;
}

/**
 * destroy() racing a slow request `trials` times. The slow request has loaded the live session
 * before the logout starts; every other trial commits strictly after the logout, the others race
 * it at random. `stored(cookie)` says whether the store still holds the session's record.
 */
export async function destroyRaces(app: Pick<StoreApp, "sessions" | "run">, trials: number, stored: (cookie: string) => Promise<boolean>): Promise<RaceResult> {
  const { run, sessions } = app;
  let resurrected = 0;
  let late = 0;
  for (let trial = 0; trial < trials; trial++) {
    const cookie = await login(run);
    // A flag, not timestamps: workerd's clock stands still between I/O events.
    let destroyed = false;
    let loggedOut: () => void = () => {};
    const logoutDone = new Promise<void>((resolve) => (loggedOut = resolve));
    const loaded = sessions.load(requestWith(cookie));
    const slow = (async () => {
      const s = await loaded;
      expectEqual(s.isNew, false, "the slow request loaded the live session");
      s.set("cart", [trial]);
      s.get("user");
      if (trial % 2 === 0) await logoutDone;
      else await pause(Math.random() * 4);
      const afterLogout = destroyed;
      const res = await sessions.commit(s, ok());
      if (afterLogout) late++;
      return res;
    })();
    const logout = (async () => {
      await loaded;
      await pause(Math.random() * 4);
      const res = await run((_r, s) => (s.destroy(), ok()), cookie);
      destroyed = true;
      loggedOut();
      return res;
    })();
    const [slowRes, logoutRes] = await Promise.all([slow, logout]);
    expectEqual(slowRes.headers.getSetCookie(), [], "the slow request sets no cookie");
    expectTrue(/^session=; Max-Age=0;/.test(logoutRes.headers.getSetCookie()[0] ?? ""), `the logout clears the cookie: ${logoutRes.headers.getSetCookie()}`);
    let isNew = false;
    await run((_r, s) => ((isNew = s.isNew), ok()), cookie);
    if (!isNew || (await stored(cookie))) resurrected++;
  }
  return { resurrected, late };
}

/** Requests during an outage through `app`: 503 within `within` ms, the handler never run, no cookie; a new login is 503 without a cookie too. */
export async function expectUnavailable(app: StoreApp, cookie: string, within: number): Promise<void> {
  const before = app.handled();
  const started = performance.now();
  const during = await app.run((_r, s) => (s.set("n", 1), ok()), cookie);
  const took = performance.now() - started;
  expectEqual([during.status, during.headers.getSetCookie(), app.handled() - before], [503, [], 0], "status, Set-Cookie, handler runs during the outage");
  expectTrue(took < within, `answered within ${within} ms (took ${took})`);
  const newcomer = await app.run((_r, s) => (s.set("user", "bob"), ok()));
  expectEqual([newcomer.status, newcomer.headers.getSetCookie()], [503, []], "a login during the outage");
}

/** `load()` against a hung store: `SessionError("store_unavailable")` within `within` ms. */
export async function expectLoadUnavailable(app: StoreApp, cookie: string, within: number): Promise<void> {
  const started = performance.now();
  const error = await app.sessions.load(requestWith(cookie)).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  expectTrue(error instanceof SessionError && error.code === "store_unavailable", `store_unavailable, not ${String(error)}`);
  expectTrue(elapsed < within, `within ${within} ms (took ${elapsed})`);
}

/** The key a store holds the session under: base64url SHA-256 of the cookie's value (`name=value` in, the value hashed). */
export async function storeKeyOfCookie(cookie: string): Promise<string> {
  const value = cookie.slice(cookie.indexOf("=") + 1);
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * A store server killed (by `kill`) between a request's load and its commit: that commit is
 * `store_unavailable`, and requests during the outage are as {@link expectUnavailable} says.
 * Returns the cookie of the session that was live before the outage.
 */
export async function killMidRequest(app: StoreApp, kill: () => Promise<void>, within: number): Promise<string> {
  const cookie = await login(app.run);
  const loaded = await app.sessions.load(requestWith(cookie));
  expectEqual(loaded.get("user"), "ada");
  loaded.set("n", 1);
  await kill();
  // The commit of a request that loaded before the outage fails closed.
  const error = await app.sessions.commit(loaded, ok()).then(
    () => "committed",
    (e: unknown) => e,
  );
  expectTrue(error instanceof SessionError && error.code === "store_unavailable", `the commit is store_unavailable, not ${String(error)}`);
  // A request during the outage: 503, its handler never runs (nobody is logged in by accident);
  // a new visitor logging in: no cookie pointing at an id never stored (ST-03).
  await expectUnavailable(app, cookie, within);
  return cookie;
}

/**
 * A store server paused (SIGSTOP by `server.pause`): `load()` is `store_unavailable` within
 * `within` ms and a write is a 503 without a cookie; `server.resume` runs whatever happens.
 * Returns the cookie of the session that was live before the pause.
 */
export async function pauseMidRequest(app: StoreApp, server: { pause(): void; resume(): void }, within: number): Promise<string> {
  const cookie = await login(app.run);
  server.pause();
  try {
    await expectLoadUnavailable(app, cookie, within);
    const during = await app.run((_r, s) => (s.set("n", 1), ok()), cookie);
    expectEqual([during.status, during.headers.getSetCookie()], [503, []], "a write while paused");
  } finally {
    server.resume();
  }
  return cookie;
}
