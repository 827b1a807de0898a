// The outside review of 0.1.0 (2026-12): one case per finding that can be shown without a
// runtime of its own, run on Node, workerd, Deno and Bun. Ids OR-1 ... OR-7 follow the
// findings' order in test/security/README.md ("Outside review 2026-12"); each case failed on
// 0.1.0. The published-secrets case (OR-4) lives with the secret policy, the CLI case (OR-7)
// in test/cli.test.ts (a subprocess).

import type { InvalidReason } from "../../src/errors.ts";
import type { SessionsOptions } from "../../src/options.ts";
import { createSessions } from "../../src/sessions.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { drivers } from "./behaviour.suite.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";

const SECRET = "Ec3JyiFTT7HIG5dKpn5kHq3lNvN6_jAwRF4Si0f8f3o";
const T0 = 1_700_000_000_000;
const HOUR = 3600_000;

type Mode = "signed" | "sealed" | "flask" | "store";
const MODES: readonly Mode[] = ["signed", "sealed", "flask", "store"];

function options(mode: Mode, clock: { ms: number }, extra: Partial<SessionsOptions> = {}): SessionsOptions {
  const base: SessionsOptions = { secret: SECRET, now: () => clock.ms, ...extra };
  if (mode === "store") return { ...base, store: memoryStore({ now: () => clock.ms }) };
  return { ...base, format: mode };
}

function request(cookie?: string, init: { url?: string; headers?: Record<string, string> } = {}): Request {
  const headers = new Headers(init.headers);
  if (cookie !== undefined) headers.set("cookie", cookie);
  return new Request(init.url ?? "https://app.example/", { headers });
}

function pairOf(response: Response, name = "session"): string {
  const line = response.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  expectTrue(line !== undefined, `a Set-Cookie for ${name}: ${JSON.stringify(response.headers.getSetCookie())}`);
  return line!.slice(0, line!.indexOf(";"));
}

export const review = defineSuite("outside review 2026-12", (test) => {
  for (const mode of MODES) {
    test(`OR-1: a cookie planted as 'x=1,session=<token>' is not the session, and the real one still loads [${mode}]`, async () => {
      const clock = { ms: T0 };
      const sessions = createSessions<{ user?: string }>(options(mode, clock));
      const issue = sessions.handle((_request, session) => {
        session.set("user", new URL(_request.url).searchParams.get("u") ?? "");
        return new Response("ok");
      });
      const planted = pairOf(await issue(new Request("https://app.example/?u=mallory")));
      const real = pairOf(await issue(new Request("https://app.example/?u=ada")));
      const user = async (cookie: string): Promise<string | undefined> => (await sessions.load(request(cookie))).get("user");
      // Logged out: not logged into the attacker's session (login CSRF, fixation).
      for (const header of [`x=1,${planted}`, `x=1, ${planted}`, `a=1; x,${planted}; b=2`]) expectEqual(await user(header), undefined, header);
      // Logged in: the planted cookie neither replaces the real session nor makes it ambiguous.
      expectEqual(await user(`x=1,${planted}; ${real}`), "ada");
      expectEqual(await user(`${real}; x=1,${planted}`), "ada");
    });

    // Flask's cookie carries no creation time (absoluteLifetime is refused with it).
    if (mode !== "flask")
      test(`OR-2: regenerate() keeps the creation time, so absoluteLifetime still ends the session [${mode}]`, async () => {
        const m: Mode = mode;
        const clock = { ms: T0 };
        const sessions = createSessions<{ user?: string }>(options(m, clock, { absoluteLifetime: 12 * 3600 }));
        const app = sessions.handle((req, session) => {
          const action = new URL(req.url).pathname;
          if (action === "/login") session.set("user", "ada");
          else if (action === "/rotate") session.regenerate();
          else if (action === "/fresh") session.regenerate({ fresh: true });
          return Response.json({ user: session.get("user") ?? null });
        });
        const at = (path: string, cookie?: string) => app(new Request(`https://app.example${path}`, { headers: cookie === undefined ? {} : { cookie } }));
        let cookie = pairOf(await at("/login"));
        // Regenerating every 11 hours: the session still ends 12 hours after the login.
        clock.ms += 11 * HOUR;
        cookie = pairOf(await at("/rotate", cookie));
        clock.ms += 11 * HOUR;
        const late = await at("/rotate", cookie);
        expectEqual(((await late.json()) as { user: string | null }).user, null, "22 hours after login");
        // regenerate({ fresh: true }) is the explicit new login: a new absolute lifetime.
        clock.ms = T0;
        cookie = pairOf(await at("/login"));
        clock.ms += 11 * HOUR;
        cookie = pairOf(await at("/fresh", cookie));
        clock.ms += 11 * HOUR;
        expectEqual(((await (await at("/", cookie)).json()) as { user: string | null }).user, "ada", "11 hours after a fresh login");
      });
  }

  for (const driver of drivers) {
    test(`OR-3: Secure "auto" stays on for plain http to loopback when a proxy header says a proxy is in front [${driver.name}]`, async () => {
      const app = driver.serve({ secret: SECRET, now: () => T0 }, (_request, session) => {
        session.set("user", "ada");
        return new Response("ok");
      });
      const warn = console.warn;
      const said: string[] = [];
      console.warn = (...args: unknown[]) => void said.push(args.join(" "));
      try {
        for (const [name, value] of [
          ["x-forwarded-proto", "https"],
          ["forwarded", "proto=https"],
          ["x-forwarded-for", "203.0.113.9"],
          ["x-real-ip", "203.0.113.9"],
        ] as const) {
          const line = (await app(request(undefined, { url: "http://127.0.0.1:8080/", headers: { [name]: value } }))).headers.getSetCookie()[0]!;
          expectTrue(line.includes("; Secure"), `${name}: ${line}`);
        }
        // No sign of a proxy: local development over http, Secure off, and said once.
        const local = (await app(request(undefined, { url: "http://127.0.0.1:8080/" }))).headers.getSetCookie()[0]!;
        expectTrue(!local.includes("Secure"), local);
        await app(request(undefined, { url: "http://localhost:8080/" }));
        expectEqual(said.filter((s) => s.includes("without Secure")).length, 1, said.join("\n"));
        expectTrue(
          said.some((s) => s.includes("proxy_set_header Host $host")),
          "the warning says how to configure the proxy",
        );
      } finally {
        console.warn = warn;
      }
    });
  }

  for (const mode of MODES) {
    test(`OR-5: 2,000 copies of one bad cookie beside the real one: the real session loads [${mode}]`, async () => {
      const clock = { ms: T0 };
      const reasons: InvalidReason[] = [];
      const sessions = createSessions<{ user?: string }>(options(mode, clock, { onInvalid: (r) => reasons.push(r) }));
      const real = pairOf(await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(request()));
      const value = real.slice("session=".length);
      const bad = `session=${value.slice(0, -2)}${value.endsWith("AA") ? "BB" : "AA"}`;
      const header = `${Array(2000).fill(bad).join("; ")}; ${real}`;
      expectEqual((await sessions.load(request(header))).get("user"), "ada");
      // Five distinct bad values (a browser never sends that many): ambiguous, no verification.
      // Each differs from the real value in its middle, whatever the random value holds.
      const other = value[10] === "Q" ? "R" : "Q";
      const five = [1, 2, 3, 4, 5].map((n) => `session=${value.slice(0, 10)}${other}${value.slice(11, -1)}${n}`).join("; ");
      expectEqual((await sessions.load(request(five))).get("user"), undefined);
      expectTrue(reasons.length > 0, "the refusal is reported");
    });

    test(`OR-6: flash() refuses a non-string message where it is called, and the session stays readable [${mode}]`, async () => {
      const clock = { ms: T0 };
      const sessions = createSessions<{ user?: string }>(options(mode, clock));
      let thrown: unknown;
      const response = await sessions.handle((_r, session) => {
        session.set("user", "ada");
        try {
          session.flash({ text: "hi" } as unknown as string);
        } catch (error) {
          thrown = error;
        }
        session.flash("Welcome!", 42 as unknown as string);
        return new Response("ok");
      })(request());
      expectTrue(thrown instanceof TypeError && /flash\(message\) takes a string, got an object/.test(thrown.message), String(thrown));
      const next = await sessions.load(request(pairOf(response)));
      expectEqual(next.get("user"), "ada");
      expectEqual(next.flashes({ withCategories: true }), [["42", "Welcome!"]]);
    });
  }
});
