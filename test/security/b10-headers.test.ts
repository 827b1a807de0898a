// Security bar b.10 (header handling), every case by its id, in every mode and through every
// adapter where the case is about them.

import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { withSession as bunSession } from "../../adapters/bun.ts";
import { withSession as denoSession } from "../../adapters/deno.ts";
import type { ServeHandlerInfo } from "../../adapters/deno.ts";
import { session as honoSession } from "../../adapters/hono.ts";
import { withSession as workersSession } from "../../adapters/workers.ts";
import { SessionError, createSessions, memoryStore } from "../../src/index.ts";
import type { Session, SessionsOptions } from "../../src/index.ts";
import { MODES, T0, Target, captureLogs, modeOptions, request, valueOf } from "./target.ts";
import type { Mode } from "./target.ts";

type Handler = (request: Request, session: Session) => Response | Promise<Response>;

/** The same handler behind the core and each adapter, called as its runtime would call it. */
function drivers(options: SessionsOptions): Array<[string, (handler: Handler) => (request: Request) => Promise<Response>]> {
  const info: ServeHandlerInfo = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 }, completed: new Promise(() => {}) };
  return [
    ["core", (h) => createSessions(options).handle(h)],
    [
      "hono",
      (h) => {
        const app = new Hono().use(honoSession(options)).all("*", (c) => h(c.req.raw, c.get("session")));
        return async (r) => app.fetch(r);
      },
    ],
    [
      "workers",
      (h) => {
        const fetch = workersSession(
          () => options,
          (r, s) => h(r, s),
        );
        const env = {};
        return (r) => fetch(r, env, { waitUntil() {} });
      },
    ],
    [
      "deno",
      (h) => {
        const fetch = denoSession(options, (r, s) => h(r, s));
        return (r) => fetch(r, info);
      },
    ],
    [
      "bun",
      (h) => {
        const fetch = bunSession(options, (r, s) => h(r, s));
        return async (r) => (await fetch(r, { requestIP: () => null }))!;
      },
    ],
  ];
}

describe("b.10 header handling", () => {
  test.each(MODES)("HD-01: a read session merges Cookie into an existing Vary exactly once [%s]", async (mode) => {
    const t = new Target(mode);
    const value = await t.issue();
    const cases: Array<[string | null, string]> = [
      ["Accept-Encoding", "Accept-Encoding, Cookie"],
      ["Accept-Encoding, Cookie", "Accept-Encoding, Cookie"],
      ["cookie", "cookie"],
      ["*", "*"],
      ["Origin,Accept", "Origin,Accept, Cookie"],
      [null, "Cookie"],
    ];
    for (const [existing, expected] of cases) {
      const response = await t.run((s) => {
        s.get("user");
        return new Response("ok", { headers: existing === null ? {} : { Vary: existing } });
      }, t.pair(value));
      expect(response.headers.get("Vary"), String(existing)).toBe(expected);
      expect([...response.headers].filter(([name]) => name === "vary")).toHaveLength(1);
    }
  });

  test.each(MODES)("HD-02: a handler that never touches the session gets its very response back: no Vary, no Set-Cookie [%s]", async (mode) => {
    const t = new Target(mode);
    const value = await t.issue();
    for (const cookie of [undefined, t.pair(value), t.pair("garbage")]) {
      const original = new Response("x", { headers: { "X-A": "1" } });
      const session = await t.sessions.load(request(cookie));
      const response = await t.sessions.commit(session, original);
      expect(response).toBe(original);
      expect([response.headers.get("Vary"), response.headers.getSetCookie()]).toEqual([null, []]);
    }
    // Lazy formats (signed, sealed, flask) looked at nothing; a store reads its id in load() (documented).
    expect(t.reasons).toEqual(mode === "store" ? ["malformed"] : []);
    // An empty update() uses the session (so Vary) but changes nothing (so no Set-Cookie).
    const updated = await t.run((s) => void s.update({}), t.pair(value));
    expect([updated.headers.get("Vary"), updated.headers.getSetCookie()]).toEqual(["Cookie", []]);
  });

  test.each(MODES)(
    "HD-03: a permanent session refreshed on a route that read it carries Vary: Cookie; a route that never reads it gets neither (lazy; documented) [%s]",
    async (mode) => {
      const t = new Target(mode, { refresh: true });
      const value = await t.issue({ user: "ada" }, { permanent: true });
      t.time.advance(5);
      const refreshed = await t.run((s) => void s.get("user"), t.pair(value));
      expect(refreshed.headers.getSetCookie()).toHaveLength(1);
      expect(refreshed.headers.get("Vary")).toBe("Cookie");
      const unrelated = await t.run(() => undefined, t.pair(value));
      expect([unrelated.headers.getSetCookie(), unrelated.headers.get("Vary")]).toEqual([[], null]);
    },
  );

  test.each(MODES)(
    "HD-04: a response that sets the cookie and has no Cache-Control gets Cache-Control: private; an app's own value is kept [%s]",
    async (mode) => {
      const t = new Target(mode);
      const set = await t.run((s) => void s.set("a", 1));
      expect(set.headers.get("Cache-Control")).toBe("private");
      for (const own of ["no-store", "public, max-age=60", "private, no-cache"]) {
        const response = await t.run((s) => (s.set("a", 1), new Response("ok", { headers: { "Cache-Control": own } })));
        expect(response.headers.get("Cache-Control")).toBe(own);
      }
      // Read only, nothing written: no Cache-Control added.
      const read = await t.run((s) => void s.get("a"), t.pair(await t.issue()));
      expect(read.headers.get("Cache-Control")).toBeNull();
    },
  );

  test.each(MODES)("HD-05: three cookies the app set are all kept: getSetCookie() has 4 entries [%s]", async (mode) => {
    const t = new Target(mode);
    const response = await t.run((s) => {
      s.set("a", 1);
      const headers = new Headers();
      for (const c of ["a=1", "b=2; Path=/; HttpOnly", "c=3; Max-Age=60"]) headers.append("Set-Cookie", c);
      return new Response("ok", { headers });
    });
    const lines = response.headers.getSetCookie();
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3)).toEqual(["a=1", "b=2; Path=/; HttpOnly", "c=3; Max-Age=60"]);
    expect(lines[3]!.startsWith("session=")).toBe(true);
  });

  test.each(MODES)(
    "HD-06: regenerate() then destroy(), saving twice, or a stale handler cookie of the same name: exactly one Set-Cookie for the name [%s]",
    async (mode) => {
      const t = new Target(mode);
      const value = await t.issue();
      const once = (r: Response) => r.headers.getSetCookie().filter((l) => l.startsWith("session="));
      expect(once(await t.run((s) => (s.regenerate(), s.destroy()), t.pair(value)))).toHaveLength(1);
      expect(once(await t.run((s) => (s.regenerate(), s.set("x", 1), s.regenerate()), t.pair(value)))).toHaveLength(1);
      expect(once(await t.run((s) => (s.set("x", 1), new Response("ok", { headers: { "Set-Cookie": "session=stale" } })), t.pair(value)))).toHaveLength(1);
      const session = await t.sessions.load(request(t.pair(value)));
      session.set("x", 2);
      const first = await t.sessions.commit(session, new Response("ok"));
      const second = await t.sessions.commit(session, first);
      expect(once(first)).toHaveLength(1);
      expect(once(second)).toEqual(once(first));
    },
  );

  test.each(MODES)("HD-07: a fetch() or Response.redirect() response (immutable headers) gets the cookie on a copy, no TypeError [%s]", async (mode) => {
    const t = new Target(mode);
    const fetched = await fetch("data:text/plain,hello");
    expect(() => fetched.headers.set("X", "1")).toThrow(TypeError);
    const response = await t.run((s) => (s.set("a", 1), fetched));
    expect([response.status, await response.text(), response.headers.getSetCookie().length]).toEqual([200, "hello", 1]);
    const redirect = await t.run((s) => (s.set("a", 1), Response.redirect("https://app.example/next", 303)));
    expect([redirect.status, redirect.headers.get("Location"), redirect.headers.getSetCookie().length]).toEqual([303, "https://app.example/next", 1]);
  });

  test.each(MODES)("HD-08: a handler that throws after changing the session commits nothing, through the core and every adapter [%s]", async (mode) => {
    const store = mode === "store" ? memoryStore() : undefined;
    const t = new Target(mode, {}, { store });
    const value = await t.issue({ user: "ada" });
    const before = store?.size;
    const logs = captureLogs(); // Hono's default error handler logs the error
    for (const [name, serve] of drivers({ ...modeOptions(mode as Mode, {}, store), now: t.time.now })) {
      const app = serve((_r, s) => {
        s.set("user" as never, "mallory" as never);
        throw new Error(`${name} handler failed`);
      });
      const outcome = await app(request(t.pair(value))).catch((e: unknown) => e);
      if (outcome instanceof Response) {
        // Hono answers with its error handler's response: without the session's cookie.
        expect([name, outcome.status, outcome.headers.getSetCookie()]).toEqual(["hono", 500, []]);
      } else {
        expect((outcome as Error).message).toBe(`${name} handler failed`);
      }
    }
    logs.restore();
    expect(store?.size).toBe(before);
    await t.accepts(t.pair(value), { user: "ada" });
  });

  test.each(MODES)(
    "HD-09: changing the session after its response was committed (or while its body streams) throws already_committed; nothing is half-saved [%s]",
    async (mode) => {
      const t = new Target(mode);
      const session = await t.sessions.load(request());
      session.set("a", 1);
      const response = await t.sessions.commit(session, new Response("ok"));
      const value = valueOf(response.headers.getSetCookie(), "session")!;
      for (const change of [
        (s: Session) => s.set("b", 2),
        (s: Session) => s.destroy(),
        (s: Session) => s.flash("x"),
        (s: Session) => s.regenerate(),
        (s: Session) => void (s.permanent = true),
      ]) {
        let error: unknown;
        try {
          change(session);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SessionError);
        expect((error as SessionError).code).toBe("already_committed");
      }
      await t.accepts(t.pair(value), { a: 1 });
      // A streaming body whose producer touches the session after the response left.
      let late: unknown;
      const streamed = await t.run((s) => {
        s.set("a", 1);
        const body = new ReadableStream(
          {
            pull(controller) {
              try {
                s.set("late", true);
              } catch (e) {
                late = e;
              }
              controller.enqueue(new TextEncoder().encode("done"));
              controller.close();
            },
          },
          { highWaterMark: 0 },
        ); // pulled only once the response is read
        return new Response(body);
      });
      expect(await streamed.text()).toBe("done");
      expect((late as SessionError).code).toBe("already_committed");
      await t.accepts(t.pair(valueOf(streamed.headers.getSetCookie(), "session")!), { a: 1 });
    },
  );

  test.each(MODES)("HD-10: 302, 303, 304 and HEAD responses carry the Set-Cookie [%s]", async (mode) => {
    const t = new Target(mode);
    for (const status of [302, 303, 304, 204]) {
      const response = await t.run((s) => (s.set("a", 1), new Response(null, { status, headers: status < 304 ? { Location: "/next" } : {} })));
      expect([response.status, response.headers.getSetCookie().length], String(status)).toEqual([status, 1]);
    }
    const head = await t.run((s) => void s.set("a", 1), undefined, { method: "HEAD" });
    expect(head.headers.getSetCookie()).toHaveLength(1);
  });

  test.each(MODES)("HD-11: the core and the Hono, Workers, Deno and Bun adapters give identical headers for identical inputs [%s]", async (mode) => {
    const store = mode === "store" ? memoryStore() : undefined;
    const options = { ...modeOptions(mode as Mode, { refresh: true }, store), now: () => T0 };
    const issuer = new Target(mode, { refresh: true }, { store });
    const value = await issuer.issue({ user: "ada", n: 1 }, { permanent: true });
    const handlers: Array<[string, Handler]> = [
      ["write", (_r, s) => (s.set("n", 2), new Response("ok", { headers: { Vary: "Accept" } }))],
      ["read", (_r, s) => new Response(String(s.get("user")))],
      ["destroy", (_r, s) => (s.destroy(), new Response("bye"))],
      ["untouched", () => new Response("plain", { headers: { "X-A": "1" } })],
    ];
    // Random parts (sealed IVs, store ids) differ per call: compare them as a placeholder.
    const normalise = (line: string) =>
      mode === "sealed" || mode === "store" ? line.replace(/^session=[^;]+/, (v) => (v === "session=" ? v : "session=<value>")) : line;
    for (const [what, handler] of handlers) {
      const seen: Array<[string, unknown]> = [];
      for (const [name, serve] of drivers(options)) {
        const response = await serve(handler)(request(`${issuer.name}=${value}`));
        const headers = [...response.headers].filter(([k]) => k !== "content-type" && k !== "set-cookie");
        seen.push([name, { status: response.status, body: await response.text(), headers, setCookie: response.headers.getSetCookie().map(normalise) }]);
        if (mode === "store" && what === "destroy") break; // the record is gone after the first
      }
      for (const [name, result] of seen.slice(1)) expect(result, `${what}: ${name} vs core`).toEqual(seen[0]![1]);
    }
  });
});
