// Every vector real Flask made (shared/vectors/flask-sessions.json), through the public API:
// valid cookies load to exactly the described session and are written back byte for byte,
// invalid ones give an empty session with the expected reason, the lenient ones are refused
// (websession's reader is strict, docs/flask.md) while their canonical form loads, and the
// Set-Cookie examples match Flask's header attribute by attribute. Web globals only.

import vectors from "../../../shared/vectors/flask-sessions.json" with { type: "json" };
import { flaskCodec, payloadJson } from "../../src/codecs/flask/codec.ts";
import type { InvalidReason } from "../../src/errors.ts";
import type { SessionsOptions } from "../../src/options.ts";
import type { Session } from "../../src/session.ts";
import { createSessions } from "../../src/sessions.ts";
import { expectedSession } from "./flask-typed.ts";
import type { ExpectedSession, FlaskVector as Vector } from "./flask-typed.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";

interface SetCookieExample {
  name: string;
  now: number;
  request_cookie: string | null;
  config: Record<string, string | number | boolean | null>;
  set_cookie: string[];
  vary: string;
}

const all = vectors as unknown as {
  vectors: Vector[];
  lenient_vectors: Vector[];
  set_cookie_examples: SetCookieExample[];
};
// The secret every set_cookie example was made with.
const EXAMPLE_SECRET = "public-vectors-secret-key";

// Flask's reason classes -> websession's coarse InvalidReason (docs/flask.md).
const REASONS: Record<string, InvalidReason> = {
  empty: "malformed",
  no_separator: "malformed",
  missing_timestamp: "malformed",
  malformed_timestamp: "malformed",
  bad_payload: "malformed",
  payload_not_object: "malformed",
  bad_signature: "bad_signature",
  expired: "expired",
  future_timestamp: "expired",
};

// What each set_cookie example's Flask view did to the session.
const EXAMPLE_VIEWS: Record<string, (session: Session) => void> = {
  default_non_permanent: (s) => s.set("a", 1),
  permanent: (s) => {
    s.set("a", 1);
    s.permanent = true;
  },
  all_options: (s) => s.set("a", 1),
  httponly_off_samesite_strict: (s) => s.set("a", 1),
  delete_on_clear: (s) => s.clear(),
  read_only_access_non_permanent: (s) => s.get("a"),
  refresh_permanent_on_read: (s) => s.get("a"),
  no_refresh_when_disabled: (s) => s.get("a"),
};

/** websession options for a vector: SECRET_KEY first, then the fallbacks newest first. */
function optionsFor(v: Vector, reasons: InvalidReason[], nowSeconds = v.now): SessionsOptions {
  return {
    format: "flask",
    secret: [v.secret_key, ...[...v.fallbacks].reverse()],
    lifetime: v.max_age,
    now: () => nowSeconds * 1000,
    onInvalid: (reason) => reasons.push(reason),
    unsafeAllowWeakSecret: true,
    cookie: { secure: false },
  };
}

function request(cookie: string | null): Request {
  return new Request("http://localhost/", { headers: cookie === null ? {} : { cookie } });
}

function cookieValue(line: string | undefined): string | undefined {
  return line === undefined ? undefined : line.slice(line.indexOf("=") + 1, line.indexOf(";"));
}

async function expectSession(session: Session, expected: ExpectedSession, label: string): Promise<void> {
  expectTrue(!session.isNew, `${label}: the cookie was rejected`);
  expectEqual(new Map(session.entries()), expected.data, `${label}: data`);
  expectEqual(session.permanent, expected.permanent, `${label}: permanent`);
  expectEqual(session.flashes({ withCategories: true }), expected.flashes, `${label}: flashes`);
}

export default defineSuite("flask vectors", (test) => {
  test("the vector file holds what flask-format.md says (68 vectors, 3 lenient, 8 Set-Cookie examples)", () => {
    expectEqual(all.vectors.length, 68);
    expectEqual(all.vectors.filter((v) => v.expect === "valid").length, 42);
    expectEqual(all.vectors.filter((v) => v.expect === "invalid").length, 26);
    expectEqual(all.vectors.filter((v) => v.expect === "valid" && v.compressed === true).length, 11);
    expectEqual(all.lenient_vectors.length, 3);
    expectEqual(all.set_cookie_examples.length, 8);
  });

  for (const v of all.vectors.filter((x) => x.expect === "valid")) {
    const expected = expectedSession(v.session!);

    test(`valid ${v.name}: loads to the described session`, async () => {
      const reasons: InvalidReason[] = [];
      const sessions = createSessions(optionsFor(v, reasons));
      const session = await sessions.load(request(`session=${v.cookie_value}`));
      await expectSession(session, expected, v.name);
      expectEqual(reasons, []);
    });

    test(`valid ${v.name}: written from the description at its timestamp, byte for byte`, async () => {
      const state = { ...expected, flashes: [...expected.flashes], created: v.timestamp!, lastActive: v.timestamp! };
      expectEqual(payloadJson(state), v.payload_json, "payload JSON");
      const cookie = await flaskCodec([v.signed_with ?? v.secret_key]).encode(state);
      expectEqual(cookie, v.cookie_value, "cookie");
      expectEqual(cookie.startsWith("."), v.compressed, "compressed");
    });

    test(`valid ${v.name}: read, then rewritten unchanged through commit, byte for byte`, async () => {
      const reasons: InvalidReason[] = [];
      // Signed by its own key (the fallback for rotation vectors), at the cookie's own second.
      const options = { ...optionsFor(v, reasons, v.timestamp), secret: v.signed_with ?? v.secret_key };
      const sessions = createSessions(options);
      const response = await sessions.handle((_request, session) => {
        session.modified = true;
        return new Response("ok");
      })(request(`session=${v.cookie_value}`));
      const [line, ...more] = response.headers.getSetCookie();
      expectEqual(more, []);
      // Flask never writes an empty session: a modified empty one deletes the cookie.
      expectEqual(cookieValue(line), expected.data.size === 0 && !expected.permanent ? "" : v.cookie_value);
      expectEqual(reasons, []);
    });

    test(`valid ${v.name}: a read-only request re-issues it only when permanent or signed with a fallback`, async () => {
      const reasons: InvalidReason[] = [];
      const sessions = createSessions(optionsFor(v, reasons));
      const response = await sessions.handle((_request, session) => {
        session.get("anything");
        return new Response("ok");
      })(request(`session=${v.cookie_value}`));
      const lines = response.headers.getSetCookie();
      expectEqual(lines.length, expected.permanent || v.signed_with !== undefined ? 1 : 0, "Set-Cookie count");
      expectEqual(response.headers.get("Vary"), "Cookie");
      if (v.signed_with !== undefined) {
        // Re-issued under SECRET_KEY: the current key alone now verifies it.
        const current = createSessions({ ...optionsFor(v, reasons), secret: v.secret_key });
        const reissued = await current.load(request(`session=${cookieValue(lines[0])}`));
        await expectSession(reissued, expected, `${v.name} re-issued`);
      }
      expectEqual(reasons, []);
    });
  }

  for (const v of all.vectors.filter((x) => x.expect === "invalid")) {
    test(`invalid ${v.name}: an empty session, reason ${REASONS[v.reason!] ?? v.reason}`, async () => {
      expectTrue(v.reason! in REASONS, `unknown reason ${v.reason}`);
      const reasons: InvalidReason[] = [];
      const sessions = createSessions(optionsFor(v, reasons));
      const response = await sessions.handle((_request, session) => {
        expectTrue(session.isNew, "isNew");
        expectEqual(session.size, 0);
        expectEqual(session.permanent, false);
        return new Response("ok");
      })(request(`session=${v.cookie_value}`));
      expectEqual(reasons, [REASONS[v.reason!]]);
      // Like Flask: the bad cookie is not deleted by a request that only read the session.
      expectEqual(response.headers.getSetCookie(), []);
      expectEqual(response.headers.get("Vary"), "Cookie");
    });
  }

  for (const v of all.lenient_vectors) {
    test(`lenient ${v.name}: refused by the strict reader; its canonical form loads`, async () => {
      const reasons: InvalidReason[] = [];
      const sessions = createSessions(optionsFor(v, reasons));
      const lenient = await sessions.load(request(`session=${v.cookie_value}`));
      expectTrue(lenient.isNew && lenient.size === 0, "the lenient cookie was accepted");
      expectEqual(reasons, ["bad_signature"]);
      const canonical = await sessions.load(request(`session=${v.canonical_cookie_value}`));
      await expectSession(canonical, expectedSession(v.session!), `${v.name} canonical`);
      expectEqual(reasons, ["bad_signature"]);
    });
  }

  for (const example of all.set_cookie_examples) {
    test(`Set-Cookie ${example.name}: Flask's header, plus Max-Age and a SameSite default`, async () => {
      const view = EXAMPLE_VIEWS[example.name];
      expectTrue(view !== undefined, `no view for example ${example.name}`);
      const c = example.config;
      const sessions = createSessions({
        format: "flask",
        secret: EXAMPLE_SECRET,
        unsafeAllowWeakSecret: true,
        lifetime: c.PERMANENT_SESSION_LIFETIME as number,
        refresh: c.SESSION_REFRESH_EACH_REQUEST as boolean,
        now: () => example.now * 1000,
        cookie: {
          name: c.SESSION_COOKIE_NAME as string,
          ...(c.SESSION_COOKIE_DOMAIN !== null ? { domain: c.SESSION_COOKIE_DOMAIN as string } : {}),
          path: (c.SESSION_COOKIE_PATH as string | null) ?? "/",
          secure: c.SESSION_COOKIE_SECURE as boolean,
          httpOnly: c.SESSION_COOKIE_HTTPONLY as boolean,
          ...(c.SESSION_COOKIE_SAMESITE !== null ? { sameSite: c.SESSION_COOKIE_SAMESITE as "Lax" } : {}),
        },
      });
      const cookie = example.request_cookie === null ? null : `${c.SESSION_COOKIE_NAME}=${example.request_cookie}`;
      const response = await sessions.handle((_request, session) => (view!(session), new Response("ok")))(request(cookie));
      const ours = response.headers.getSetCookie();
      expectEqual(ours.length, example.set_cookie.length, "Set-Cookie count");
      example.set_cookie.forEach((flask, i) => {
        const [pair, ...attributes] = flask.split("; ");
        // websession always sends SameSite (Lax by default; Flask omits it by default) and
        // Max-Age next to Expires (Flask writes Expires alone when setting); nothing else differs.
        if (!attributes.some((a) => a.startsWith("SameSite="))) attributes.push("SameSite=Lax");
        const expires = attributes.find((a) => a.startsWith("Expires="));
        if (expires !== undefined && !attributes.some((a) => a.startsWith("Max-Age="))) {
          attributes.push(`Max-Age=${Date.parse(expires.slice(8)) / 1000 - example.now}`);
        }
        const [ourPair, ...ourAttributes] = ours[i]!.split("; ");
        expectEqual(ourPair, pair, "name=value");
        expectEqual([...ourAttributes].sort(), [...attributes].sort(), "attributes");
      });
      expectEqual(response.headers.get("Vary"), example.vary);
    });
  }
});
