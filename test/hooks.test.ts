// Lifecycle hooks: each runs exactly when its commit did what it names, with the committed
// session and the request; validate rejects a session before the handler; a hook that throws
// neither corrupts the session nor changes what was written.

import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { MockInstance } from "vitest";
import { SessionError } from "../src/errors.ts";
import type { InvalidReason } from "../src/errors.ts";
import type { HookOptions } from "../src/hooks.ts";
import type { SessionsOptions } from "../src/options.ts";
import type { Session } from "../src/session.ts";
import { createSessions } from "../src/sessions.ts";
import { memoryStore } from "../src/stores/memory.ts";
import { OLD_SECRET, TEST_SECRET, clock, cookieOf, requestWith } from "./helpers.ts";

type Data = { user?: string; n?: number; big?: string };
type Event = [hook: string, user: string | undefined, url: string];

// A manager whose five notifying hooks record [hook, user, url] in `events`.
function recorded(options: Partial<SessionsOptions<Data>> = {}): { sessions: ReturnType<typeof createSessions<Data>>; events: Event[] } {
  const events: Event[] = [];
  const hook = (name: string) => (session: Session<Data>, request: { url?: string }) => void events.push([name, session.get("user"), String(request.url)]);
  const hooks: HookOptions<Data> = {
    onCreate: hook("onCreate"),
    onRegenerate: hook("onRegenerate"),
    onDestroy: hook("onDestroy"),
    onRefresh: hook("onRefresh"),
    onOldKey: hook("onOldKey"),
  };
  return { sessions: createSessions<Data>({ secret: TEST_SECRET, ...hooks, ...options }), events };
}

async function run(
  sessions: ReturnType<typeof createSessions<Data>>,
  cookie: string | undefined,
  change: (session: Session<Data>) => void,
  url = "https://app.example/",
): Promise<Response> {
  return sessions.handle((_request, session) => {
    change(session);
    return new Response("ok");
  })(requestWith(cookie, url));
}

let errors: MockInstance<typeof console.error>;
beforeEach(() => {
  errors = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => errors.mockRestore());

describe.each([
  ["cookie", () => ({})],
  ["store", () => ({ store: memoryStore() })],
])("with %s sessions", (_mode, extra) => {
  test("onCreate runs once, after the first write, with the session and the request", async () => {
    const { sessions, events } = recorded(extra());
    const login = await run(sessions, undefined, (s) => s.set("user", "ada"), "https://app.example/login");
    expect(events).toEqual([["onCreate", "ada", "https://app.example/login"]]);
    await run(sessions, cookieOf(login), (s) => s.set("n", 1));
    expect(events).toHaveLength(1);
    // A new session that stores nothing is not created.
    await run(sessions, undefined, (s) => s.get("user"));
    expect(events).toHaveLength(1);
  });

  test("onRegenerate runs after regenerate() moved an existing session to a new token", async () => {
    const { sessions, events } = recorded(extra());
    const first = cookieOf(await run(sessions, undefined, (s) => s.set("user", "ada")));
    const rotated = await run(sessions, first, (s) => s.regenerate());
    expect(cookieOf(rotated)).not.toBe(first);
    expect(events.map(([hook]) => hook)).toEqual(["onCreate", "onRegenerate"]);
  });

  test("onDestroy runs after destroy() deleted the session, not for a session that never existed", async () => {
    const { sessions, events } = recorded(extra());
    const first = cookieOf(await run(sessions, undefined, (s) => s.set("user", "ada")));
    const out = await run(sessions, first, (s) => s.destroy());
    expect(out.headers.getSetCookie()[0]).toMatch(/^session=; Max-Age=0/);
    await run(sessions, undefined, (s) => s.destroy());
    expect(events).toEqual([
      ["onCreate", "ada", "https://app.example/"],
      ["onDestroy", undefined, "https://app.example/"],
    ]);
  });

  test("onRefresh runs when a permanent session's cookie is only re-issued", async () => {
    const time = clock();
    const { sessions, events } = recorded({ ...extra(), now: time.now });
    const first = cookieOf(
      await run(sessions, undefined, (s) => {
        s.set("user", "ada");
        s.permanent = true;
      }),
    );
    time.advance(60);
    const refreshed = await run(sessions, first, (s) => s.get("user"));
    expect(refreshed.headers.getSetCookie()).toHaveLength(1);
    expect(events.map(([hook]) => hook)).toEqual(["onCreate", "onRefresh"]);
  });
});

test("onOldKey runs when a cookie that verified only with an older secret is re-issued under the current one", async () => {
  const old = recorded({ secret: OLD_SECRET });
  const cookie = cookieOf(await run(old.sessions, undefined, (s) => s.set("user", "ada")));
  const { sessions, events } = recorded({ secret: [TEST_SECRET, OLD_SECRET] });
  const reissued = await run(sessions, cookie, (s) => s.get("user"));
  expect(cookieOf(reissued)).not.toBe(cookie);
  expect(events).toEqual([["onOldKey", "ada", "https://app.example/"]]);
  // Re-issued under the current secret: the next request is ordinary.
  await run(sessions, cookieOf(reissued), (s) => s.get("user"));
  expect(events).toHaveLength(1);
});

describe("hooks that throw or misbehave", () => {
  test("a throwing hook is logged; the cookie was written as decided and the session reads back whole", async () => {
    const sessions = createSessions<Data>({
      secret: TEST_SECRET,
      onCreate: () => {
        throw new Error("audit log down");
      },
    });
    const response = await run(sessions, undefined, (s) => s.update({ user: "ada", n: 2 }));
    expect(response.status).toBe(200);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]![0])).toContain("the onCreate hook threw");
    const again = await sessions.load(requestWith(cookieOf(response)));
    expect(again.toJSON()).toEqual({ user: "ada", n: 2 });
  });

  test("a rejecting async hook is awaited and logged; a hook changing the session gets already_committed, and nothing else changes", async () => {
    let seen: unknown;
    const sessions = createSessions<Data>({
      secret: TEST_SECRET,
      onCreate: async (session) => {
        try {
          session.set("user", "mallory");
        } catch (error) {
          seen = error;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error("late failure");
      },
    });
    const session = await sessions.load(requestWith());
    session.set("user", "ada");
    const response = await sessions.commit(session, new Response("ok"));
    expect(seen).toBeInstanceOf(SessionError);
    expect((seen as SessionError).code).toBe("already_committed");
    expect(errors).toHaveBeenCalledTimes(1);
    expect(session.get("user")).toBe("ada");
    // Committing again gives the same writes, and calls no hook again.
    const second = await sessions.commit(session, new Response("ok"));
    expect(second.headers.getSetCookie()).toEqual(response.headers.getSetCookie());
    expect(errors).toHaveBeenCalledTimes(1);
    expect((await sessions.load(requestWith(cookieOf(response)))).get("user")).toBe("ada");
  });

  test("no hook runs when the commit fails (a session too large for its cookie)", async () => {
    const { sessions, events } = recorded();
    const session = await sessions.load(requestWith());
    session.set("big", "x".repeat(5000));
    await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "cookie_too_large" });
    expect(events).toEqual([]);
  });
});

describe("validate", () => {
  test("runs before the handler for a loaded session; false empties it, deletes its cookie and reports rejected", async () => {
    const reasons: InvalidReason[] = [];
    const validate = vi.fn((session: Session<Data>, _request: unknown) => session.get("user") !== "revoked");
    const { sessions, events } = recorded({ validate, onInvalid: (r) => reasons.push(r) });
    const good = cookieOf(await run(sessions, undefined, (s) => s.set("user", "ada")));
    expect(validate).not.toHaveBeenCalled(); // a new session has nothing to validate
    const kept = await sessions.handle((_request, s) => new Response(String(s.get("user"))))(requestWith(good));
    expect(await kept.text()).toBe("ada");
    expect(validate).toHaveBeenCalledTimes(1);
    expect(validate.mock.calls[0]![1]).toBeInstanceOf(Request);
    const revoked = cookieOf(await run(createSessions<Data>({ secret: TEST_SECRET }), undefined, (s) => s.set("user", "revoked")));
    const out = await sessions.handle((_request, s) => new Response(`${s.get("user")} ${s.isNew}`))(requestWith(revoked));
    expect(await out.text()).toBe("undefined true");
    expect(out.headers.getSetCookie()[0]).toMatch(/^session=; Max-Age=0/);
    expect(reasons).toEqual(["rejected"]);
    expect(events.map(([hook]) => hook)).toEqual(["onCreate", "onDestroy"]);
  });

  test("a rejected session's store record is deleted, and logging in again gets a new id", async () => {
    const store = memoryStore();
    let revoked = false;
    const sessions = createSessions<Data>({ secret: TEST_SECRET, store, validate: () => !revoked, onInvalid: () => {} });
    const first = cookieOf(await run(sessions, undefined, (s) => s.set("user", "ada")));
    expect(store.size).toBe(1);
    revoked = true;
    const again = await run(sessions, first, (s) => s.set("user", "grace"));
    expect(cookieOf(again)).not.toBe(first);
    revoked = false;
    expect((await sessions.load(requestWith(first))).isNew).toBe(true);
    expect((await sessions.load(requestWith(cookieOf(again)))).get("user")).toBe("grace");
    expect(store.size).toBe(1);
  });

  test("may be async and may change the session (its change is written)", async () => {
    const time = clock();
    const sessions = createSessions<Data>({
      secret: TEST_SECRET,
      now: time.now,
      validate: async (session) => {
        await Promise.resolve();
        session.set("n", (session.get("n") ?? 0) + 1);
        return true;
      },
    });
    const first = cookieOf(await run(sessions, undefined, (s) => s.set("user", "ada")));
    const second = await run(sessions, first, () => {});
    expect((await createSessions<Data>({ secret: TEST_SECRET, now: time.now }).load(requestWith(cookieOf(second)))).toJSON()).toEqual({ user: "ada", n: 1 });
  });

  test("a throwing validate rejects load, and handle() passes the error on like the handler's own", async () => {
    const sessions = createSessions<Data>({
      secret: TEST_SECRET,
      validate: () => {
        throw new Error("user database down");
      },
    });
    const cookie = cookieOf(await run(createSessions<Data>({ secret: TEST_SECRET }), undefined, (s) => s.set("user", "ada")));
    await expect(sessions.load(requestWith(cookie))).rejects.toThrow("user database down");
    const handler = vi.fn(() => new Response("ok"));
    await expect(sessions.handle(handler)(requestWith(cookie))).rejects.toThrow("user database down");
    expect(handler).not.toHaveBeenCalled();
  });

  test("a hook that is not a function is refused at start-up", () => {
    expect(() => createSessions({ secret: TEST_SECRET, onCreate: "audit" as never })).toThrow(/option onCreate must be a function, got "audit"/);
    expect(() => createSessions({ secret: TEST_SECRET, validate: true as never })).toThrow(/option validate must be a function/);
  });
});
