// Stateless revocation (issue #16), on every runtime: a revoked signed or sealed cookie is
// refused within checkEvery seconds (injected clock), and between checks a request costs zero
// store calls (counted on memoryStore().owners, the generation store).

import type { SessionFormat } from "../../src/options.ts";
import { createSessions } from "../../src/sessions.ts";
import type { Sessions } from "../../src/sessions.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import type { OwnerIndex } from "../../src/stores/store.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";

const SECRET = "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o";
const T0 = 1_700_000_000_000;
const CHECK_EVERY = 60;

type Data = { user?: string; n?: number };

/** A generation store that counts every call made to it. */
export function countingIndex(inner: OwnerIndex): OwnerIndex & { calls: number } {
  const counted = { calls: 0 } as OwnerIndex & { calls: number };
  for (const method of ["generation", "add", "remove", "list", "revoke"] as const) {
    (counted as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      counted.calls++;
      return (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return counted;
}

/** A revocable-cookie app on an injected clock: /login?user=, /write, / (who am I), /everywhere-else. */
export function revocableApp(format: SessionFormat = "signed") {
  let t = T0;
  const time = { now: () => t, advance: (s: number) => void (t += s * 1000) };
  const index = countingIndex(memoryStore({ now: time.now }).owners);
  const sessions: Sessions<Data> = createSessions<Data>({
    secret: SECRET,
    format,
    now: time.now,
    owner: (data) => (typeof data.user === "string" ? data.user : undefined),
    revocation: { store: index, checkEvery: CHECK_EVERY },
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
        return new Response(String(session.get("n")));
      case "/untouched":
        return new Response("ok");
      case "/everywhere-else":
        await sessions.revokeAll(session.get("user")!, { except: session });
        return new Response("others out");
      default:
        return new Response(session.get("user") ?? "anonymous");
    }
  });
  async function fetch(path: string, cookie?: string): Promise<{ body: string; cookie: string | undefined; deleted: boolean }> {
    const headers = new Headers();
    if (cookie !== undefined) headers.set("cookie", cookie);
    const response = await handler(new Request(`https://app.example${path}`, { method: "POST", headers }));
    const line = response.headers.getSetCookie()[0];
    const deleted = line !== undefined && /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line);
    return { body: await response.text(), cookie: line === undefined || deleted ? undefined : line.split(";")[0], deleted };
  }
  return { sessions, index, time, fetch };
}

export const revocationSuite = defineSuite("stateless revocation", (test) => {
  for (const format of ["signed", "sealed"] as const) {
    test(`${format}: a revoked cookie is refused within checkEvery, and its cookie deleted`, async () => {
      const app = revocableApp(format);
      const phone = (await app.fetch("/login?user=alice")).cookie!;
      const laptop = (await app.fetch("/login?user=alice")).cookie!;
      const bob = (await app.fetch("/login?user=bob")).cookie!;
      app.time.advance(10);
      await app.sessions.revokeAll("alice");
      // Inside the window the cookie still works, without asking the store.
      const before = app.index.calls;
      expectEqual((await app.fetch("/", phone)).body, "alice");
      app.time.advance(CHECK_EVERY - 11);
      expectEqual((await app.fetch("/", phone)).body, "alice", "still inside the window");
      expectEqual(app.index.calls, before, "no store call inside the window");
      // checkEvery after the cookie's check time (its login): refused.
      app.time.advance(1);
      const refused = await app.fetch("/", phone);
      expectEqual(refused.body, "anonymous");
      expectTrue(refused.deleted, "the revoked cookie is deleted");
      expectEqual((await app.fetch("/", laptop)).body, "anonymous");
      expectEqual((await app.fetch("/", bob)).body, "bob", "another owner stays");
    });
  }

  test("zero store calls between checks; one call per check, which re-issues the cookie", async () => {
    const app = revocableApp();
    let cookie = (await app.fetch("/login?user=alice")).cookie!;
    const afterLogin = app.index.calls;
    for (let n = 0; n < 50; n++) {
      const r = await app.fetch("/", cookie);
      expectEqual(r.body, "alice");
      expectEqual(r.cookie, undefined, "nothing re-issued between checks (refresh is on, within the same second)");
    }
    for (let n = 1; n <= 20; n++) {
      app.time.advance(1);
      const r = await app.fetch("/write", cookie);
      expectEqual(r.body, String(n));
      cookie = r.cookie!;
    }
    expectEqual(app.index.calls, afterLogin, "70 requests between checks: zero store calls");
    app.time.advance(CHECK_EVERY);
    const checked = await app.fetch("/", cookie);
    expectEqual(checked.body, "alice");
    expectEqual(app.index.calls, afterLogin + 1, "one call for the due check");
    expectTrue(checked.cookie !== undefined && checked.cookie !== cookie, "the passed check re-issues the cookie");
    for (let n = 0; n < 10; n++) expectEqual((await app.fetch("/", checked.cookie)).body, "alice");
    expectEqual(app.index.calls, afterLogin + 1, "the re-issued cookie is not checked again within the window");
  });

  test("a passed check re-issues the cookie even when the handler never reads the session", async () => {
    const app = revocableApp();
    const cookie = (await app.fetch("/login?user=alice")).cookie!;
    app.time.advance(CHECK_EVERY);
    const calls = app.index.calls;
    const checked = await app.fetch("/untouched", cookie);
    expectTrue(checked.cookie !== undefined, "re-issued");
    expectEqual((await app.fetch("/untouched", checked.cookie)).cookie, undefined);
    expectEqual(app.index.calls, calls + 1, "checked once, not at every later request");
  });

  test("a request in flight during revokeAll cannot write its session back", async () => {
    const app = revocableApp();
    const cookie = (await app.fetch("/login?user=alice")).cookie!;
    app.time.advance(CHECK_EVERY);
    // Loaded (and checked) before the revoke, saved after it.
    const session = await app.sessions.load(new Request("https://app.example/", { headers: { cookie } }));
    await app.sessions.revokeAll("alice");
    session.set("n", 1);
    const written = await app.sessions.commit(session, new Response("late"));
    const late = written.headers.getSetCookie()[0]!.split(";")[0]!;
    app.time.advance(CHECK_EVERY);
    expectEqual((await app.fetch("/", late)).body, "anonymous", "the late write is refused at its next check");
  });

  test("a login concurrent with revokeAll ends revoked or live with the new generation, never live under the old one", async () => {
    const app = revocableApp();
    const [login] = await Promise.all([app.fetch("/login?user=alice"), app.sessions.revokeAll("alice")]);
    app.time.advance(CHECK_EVERY);
    const body = (await app.fetch("/", login.cookie!)).body;
    expectTrue(body === "alice" || body === "anonymous", body);
    // Whichever it was, a revoke after it always ends it.
    await app.sessions.revokeAll("alice");
    app.time.advance(CHECK_EVERY);
    expectEqual((await app.fetch("/", login.cookie!)).body, "anonymous");
  });

  test("revokeAll with except keeps the current session and ends the others", async () => {
    const app = revocableApp();
    const phone = (await app.fetch("/login?user=alice")).cookie!;
    const laptop = (await app.fetch("/login?user=alice")).cookie!;
    const kept = await app.fetch("/everywhere-else", laptop);
    expectEqual(kept.body, "others out");
    app.time.advance(CHECK_EVERY);
    expectEqual((await app.fetch("/", kept.cookie!)).body, "alice", "the kept session passes its check");
    expectEqual((await app.fetch("/", phone)).body, "anonymous");
  });

  test("list and revoke(owner, handle) say they are not available for stateless cookies", async () => {
    const app = revocableApp();
    for (const call of [() => app.sessions.list("alice"), () => app.sessions.revoke("alice", "x")]) {
      let message = "";
      try {
        await call();
      } catch (error) {
        message = (error as Error).message;
      }
      expectTrue(message.includes("not available for stateless cookies"), message);
    }
  });
});
