// websession and a real Flask app (shared/flask-peer/app.py, Flask 2.2 + itsdangerous) share
// one session cookie, both ways: every tag type, flashes, permanent, compression, key rotation,
// the time rules, tampering, and random sessions. Flask must be installed (.ci/run installs
// python3-flask): when it cannot start, this suite fails; it never skips.

import { Buffer } from "node:buffer";
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { flaskCodec } from "../../src/codecs/flask/codec.ts";
import { pythonFloatRepr } from "../../src/codecs/flask/python.ts";
import { createSessions } from "../../src/index.ts";
import type { InvalidReason, Session, SessionsOptions } from "../../src/index.ts";
import type { SessionState } from "../../src/session.ts";
import { expectedSession, fromTyped, toTyped } from "../conformance/flask-typed.ts";
import { flaskData } from "../codecs/flask-values.ts";

const PYTHON = "/usr/bin/python3";
// The repository's sibling shared/ (CI clones it next to the repository).
const APP = fileURLToPath(new URL("../../../shared/flask-peer/app.py", import.meta.url));
// Test-only keys: the current SECRET_KEY and the one it replaced.
const SECRET = "q7Vd2LmZxR9pTc4WbN8sKf3HjY6gAe1UoQ5iXz0Ev_s";
const OLD_SECRET = "Mk3Rw8Zp1Xc6Tv9Lb2Nq5Hs7Jd4Gf0Ya_Ue-Oi8Wx";
const LIFETIME = 3600;

interface Peer {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startPeer(name: string, env: Record<string, string>): Promise<Peer> {
  // freePort() releases the port before Flask binds it: another process may take it first.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPeerOnce(name, env);
    } catch (error) {
      if (attempt === 3 || !String(error).includes("Address already in use")) throw error;
    }
  }
}

async function startPeerOnce(name: string, env: Record<string, string>): Promise<Peer> {
  const port = await freePort();
  const child = spawn(PYTHON, [APP], {
    env: { ...process.env, FLASK_PEER_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  let failure: Error | undefined;
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.once("error", (error: Error) => (failure = error));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const peer: Peer = { name, url: `http://127.0.0.1:${port}`, child, output, exited };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (failure !== undefined || child.exitCode !== null) {
      throw new Error(
        `the Flask peer (${PYTHON} ${APP}) could not start: ${failure?.message ?? `exit code ${child.exitCode}`}\n${output.join("")}\nInstall python3-flask (see .ci/run).`,
      );
    }
    try {
      const response = await fetch(`${peer.url}/health`);
      if (response.ok && (await response.text()) === "ok") return peer;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopPeer(peer);
  throw new Error(`the Flask peer did not answer /health within 20 s:\n${output.join("")}`);
}

async function stopPeer(peer: Peer | undefined): Promise<void> {
  if (peer === undefined || peer.child.pid === undefined || peer.child.exitCode !== null) return;
  process.kill(peer.child.pid, "SIGTERM");
  await peer.exited;
}

interface Reply {
  readonly status: number;
  readonly body: string;
  /** The session cookie Flask set ("" when it deleted it), or undefined when it set none. */
  readonly cookie: string | undefined;
  readonly setCookie: string[];
}

async function call(peer: Peer, method: "GET" | "POST", path: string, cookie?: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers.cookie = `session=${cookie}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${peer.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const setCookie = response.headers.getSetCookie();
  const line = setCookie.find((c) => c.startsWith("session="));
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBe(200);
  return { status: response.status, body: text, cookie: line?.slice("session=".length, line.indexOf(";")), setCookie };
}

interface Verified {
  valid: boolean;
  error?: string;
  session?: Record<string, unknown>;
}

async function verify(peer: Peer, cookie: string): Promise<Verified> {
  return JSON.parse((await call(peer, "GET", "/verify", cookie)).body) as Verified;
}

/** Stores each typed value in Flask with /set?typed=1, one request each; returns the cookie. */
async function flaskSets(peer: Peer, typed: Record<string, unknown>, cookie?: string): Promise<string> {
  let current = cookie;
  for (const [key, value] of Object.entries(typed)) {
    current = (await call(peer, "POST", `/set?key=${encodeURIComponent(key)}&typed=1`, current, value)).cookie ?? current;
  }
  return current!;
}

function ours(secret: string | string[], options: Partial<SessionsOptions> = {}) {
  const reasons: InvalidReason[] = [];
  const sessions = createSessions({ format: "flask", secret, lifetime: LIFETIME, cookie: { secure: false }, onInvalid: (r) => reasons.push(r), ...options });
  async function run(cookie: string | undefined, handler: (session: Session) => unknown): Promise<{ cookie: string | undefined; setCookie: string[] }> {
    const request = new Request("http://localhost/", { headers: cookie === undefined ? {} : { cookie: `session=${cookie}` } });
    const response = await sessions.handle(async (_request, session) => (await handler(session), new Response("ok")))(request);
    const setCookie = response.headers.getSetCookie();
    const line = setCookie[0];
    return { cookie: line?.slice("session=".length, line.indexOf(";")), setCookie };
  }
  async function load(cookie: string): Promise<Session> {
    return sessions.load(new Request("http://localhost/", { headers: { cookie: `session=${cookie}` } }));
  }
  return { sessions, reasons, run, load };
}

/** The JSON text inside a Flask cookie, read with node:zlib (independently of pako). */
function payloadOf(value: string): string {
  const compressed = value.startsWith(".");
  const body = Buffer.from((compressed ? value.slice(1) : value).split(".")[0]!, "base64url");
  return (compressed ? inflateSync(body) : body).toString("latin1");
}

function timestampOf(value: string): number {
  const parts = value.split(".");
  return Buffer.from(parts[parts.length - 2]!, "base64url").reduce((t: number, b: number) => t * 256 + b, 0);
}

/** A cookie signed with node:crypto as itsdangerous does, for hand-made payload text. */
function signed(secret: string, json: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const key = createHmac("sha1", secret).update("cookie-session").digest();
  const bytes: number[] = [];
  for (let t = timestamp; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  const text = `${Buffer.from(json, "utf8").toString("base64url")}.${Buffer.from(bytes).toString("base64url")}`;
  return `${text}.${createHmac("sha1", key).update(text).digest("base64url")}`;
}

function stateOf(secret: string, cookie: string): SessionState {
  const state = flaskCodec([secret]).decode(cookie);
  if (typeof state === "string") throw new Error(`websession rejected ${cookie}: ${state}`);
  return state;
}

/** websession's session as the Python dict Flask holds, in the typed description. */
function asFlaskTyped(session: Session): unknown {
  const dict: Record<string, unknown> = {};
  for (const [key, value] of session.entries()) Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  return toTyped(dict);
}

// Every tag type, plus the values JavaScript lacks, as the peer's typed description.
const EVERY_TAG: Record<string, unknown> = {
  tuple: { $tuple: [1, "two", 3.5, { $tuple: [] }, [4, { $tuple: [5] }]] },
  bytes: { $bytes_b64: "AP8Q+/+/" },
  uuid: { $uuid: "12345678-1234-5678-1234-567812345678" },
  datetime: { $datetime: "2015-10-21T07:28:00Z" },
  markup: { $markup: "<b>bold</b> &amp; more" },
  floats: [{ $float: "1.0" }, { $float: "-0.0" }, { $float: "1e+16" }, { $float: "1e-05" }, 0.5, { $float: "NaN" }, { $float: "-Infinity" }, 1e21],
  ints: [{ $int: "18446744073709551616" }, { $int: "-9007199254740993" }, 9007199254740991, 0, -17],
  text: 'h\u00e9llo \u{1F600} \u0000\u007f \ud800 "q" \\ </p>',
  "cl\u00e9 \u{1F600}": 1,
  "\uff21": 2,
  tagLike: { " t": "not a tuple" },
  twoTags: { " t": 1, " b": 2 },
  nested: { a: [1, { b: null, c: true }], " x": { $tuple: [{ $bytes_b64: "" }] } },
  ["__proto__"]: { constructor: "x" }, // a computed key: an own property, not the prototype
};

let current: Peer | undefined;
let old: Peer | undefined;
let startError: unknown;

beforeAll(async () => {
  const started = await Promise.allSettled([
    startPeer("current", { FLASK_PEER_SECRET: SECRET, FLASK_PEER_FALLBACKS: JSON.stringify([OLD_SECRET]), FLASK_PEER_LIFETIME: String(LIFETIME) }),
    startPeer("old", { FLASK_PEER_SECRET: OLD_SECRET, FLASK_PEER_LIFETIME: String(LIFETIME) }),
  ]);
  [current, old] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
  startError = started.find((s) => s.status === "rejected")?.reason;
}, 60_000);

// Without Flask every case fails (vitest would report a failed beforeAll as skipped cases).
beforeEach(() => {
  if (startError !== undefined) throw startError;
});

afterAll(async () => {
  await Promise.all([stopPeer(current), stopPeer(old)]);
});

describe("Flask sets, websession reads", () => {
  test("every tag type, flashes and permanent: the values, and the very same cookie bytes when rewritten", async () => {
    let cookie = await flaskSets(current!, EVERY_TAG);
    // What flask.flash() stores: (category, message) tuples under _flashes.
    cookie = await flaskSets(current!, { _flashes: [{ $tuple: ["error", "bad input"] }, { $tuple: ["message", "saved \u00e9"] }] }, cookie);
    cookie = (await call(current!, "POST", "/permanent?on=1", cookie)).cookie!;
    expect(cookie.startsWith("."), "Flask compressed it").toBe(true);

    const flask = await verify(current!, cookie);
    expect(flask.valid).toBe(true);
    const expected = expectedSession(flask.session!);
    const { load, reasons } = ours(SECRET);
    const session = await load(cookie);
    expect(new Map(session.entries())).toStrictEqual(expected.data);
    expect(new Map(session.entries())).toStrictEqual(expectedSession(EVERY_TAG).data);
    expect(session.permanent).toBe(true);
    expect(session.flashes({ withCategories: true })).toEqual([
      ["error", "bad input"],
      ["message", "saved \u00e9"],
    ]);
    expect(reasons).toEqual([]);

    // Written back at Flask's timestamp: byte for byte (JSON, zlib through pako, signature).
    expect(flaskCodec([SECRET]).encode(stateOf(SECRET, cookie))).toBe(cookie);
    expect(payloadOf(cookie)).toBe((await call(current!, "GET", "/dump", cookie)).body);
  });

  test("Flask's Set-Cookie for a permanent session has Expires = now + lifetime; websession adds Max-Age", async () => {
    const flask = await call(current!, "POST", "/permanent?on=1", await flaskSets(current!, { a: 1 }));
    const expires = flask.setCookie[0]!.match(/Expires=([^;]+)/)![1]!;
    expect(Date.parse(expires) / 1000 - timestampOf(flask.cookie!)).toBe(LIFETIME);
    const { run } = ours(SECRET);
    const refreshed = await run(flask.cookie!, (s) => s.get("a"));
    expect(refreshed.setCookie[0]).toMatch(new RegExp(`; Max-Age=${LIFETIME}; Expires=[^;]+ GMT;`));
  });
});

describe("websession sets, Flask reads", () => {
  test("every tag type, flashes and permanent: /verify agrees and /dump is the JSON inside our cookie (FL-03)", async () => {
    const values = expectedSession(EVERY_TAG).data;
    const { run } = ours(SECRET);
    const { cookie } = await run(undefined, (s) => {
      for (const [key, value] of values) s.set(key, value);
      s.flash("bad input", "error");
      s.flash("saved \u00e9");
      s.permanent = true;
    });
    const flask = await verify(current!, cookie!);
    expect(flask).toEqual({ valid: true, session: expect.anything() });
    const expected = toTyped(Object.fromEntries([...values, ["_permanent", true]])) as Record<string, unknown>;
    expected._flashes = [{ $tuple: ["error", "bad input"] }, { $tuple: ["message", "saved \u00e9"] }];
    expect(flask.session).toEqual(expected);
    expect((await call(current!, "GET", "/dump", cookie)).body).toBe(payloadOf(cookie!));
    expect(JSON.parse((await call(current!, "GET", "/get?key=_flashes", cookie)).body)).toEqual(expected._flashes);
  });

  test("flashes both ways: Flask consumes what websession flashed, websession sees what Flask stored", async () => {
    const { run, load } = ours(SECRET);
    const { cookie } = await run(undefined, (s) => s.flash("from websession", "info"));
    const popped = await call(current!, "POST", "/pop?key=_flashes", cookie);
    expect(JSON.parse(popped.body)).toEqual([{ $tuple: ["info", "from websession"] }]);
    // Flask emptied the session: it deletes the cookie.
    expect(popped.cookie).toBe("");
    const fromFlask = await flaskSets(current!, { _flashes: [{ $tuple: ["message", "from Flask"] }], user: "ada" });
    const { cookie: taken } = await run(fromFlask, (s) => expect(s.flashes()).toEqual(["from Flask"]));
    expect((await verify(current!, taken!)).session).toEqual({ user: "ada" });
    expect((await load(taken!)).flashes()).toEqual([]);
  });

  test("a large session is compressed like Flask compresses it, and Flask reads it", async () => {
    const { run, load } = ours(SECRET);
    const { cookie } = await run(undefined, (s) => s.set("long", "ab".repeat(800)));
    expect(cookie!.startsWith(".")).toBe(true);
    expect((await verify(current!, cookie!)).session).toEqual({ long: "ab".repeat(800) });
    expect((await call(current!, "GET", "/dump", cookie)).body).toBe(payloadOf(cookie!));
    // And the same value stored by Flask is the same cookie once re-signed at its timestamp.
    const flask = await flaskSets(current!, { long: "ab".repeat(800) });
    expect(flaskCodec([SECRET]).encode(stateOf(SECRET, flask))).toBe(flask);
    expect((await load(flask)).get("long")).toBe("ab".repeat(800));
  });

  test("permanent off writes no _permanent; clear() deletes the cookie as Flask does", async () => {
    const { run } = ours(SECRET);
    const { cookie } = await run(undefined, (s) => s.set("k", 1));
    expect((await call(current!, "GET", "/dump", cookie)).body).toBe('{"k":1}');
    const ourDelete = await run(cookie, (s) => s.clear());
    const flaskDelete = await call(current!, "POST", "/clear", cookie);
    expect(ourDelete.cookie).toBe("");
    expect(flaskDelete.cookie).toBe("");
    for (const line of [ourDelete.setCookie[0]!, flaskDelete.setCookie[0]!]) {
      expect(line).toContain("Max-Age=0");
      expect(line).toContain("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    }
  });
});

describe("key rotation (SECRET_KEY_FALLBACKS, Flask >= 3.1.1 order)", () => {
  test("a cookie from the old key is read via the fallback and re-issued under the current key", async () => {
    const fromOld = await flaskSets(old!, { user: "ada" });
    const { run, reasons } = ours([SECRET, OLD_SECRET]);
    const { cookie: reissued } = await run(fromOld, (s) => expect(s.get("user")).toBe("ada"));
    expect(reissued).toBeDefined();
    expect(await verify(current!, reissued!)).toEqual({ valid: true, session: { user: "ada" } });
    expect((await verify(old!, reissued!)).error).toBe("BadTimeSignature"); // signed with the current key
    // Flask itself accepts the old cookie through its fallback, as websession does.
    expect((await verify(current!, fromOld)).valid).toBe(true);
    expect(reasons).toEqual([]);
    const currentOnly = ours(SECRET);
    expect((await currentOnly.load(fromOld)).isNew).toBe(true);
    expect(currentOnly.reasons).toEqual(["bad_signature"]);
  });

  test("a websession still on the old key is read by Flask's fallback; Flask's re-signed cookie reads under the new key", async () => {
    const { cookie } = await ours(OLD_SECRET).run(undefined, (s) => s.set("cart", [1, 2]));
    expect(await verify(current!, cookie!)).toEqual({ valid: true, session: { cart: [1, 2] } });
    const resigned = (await call(current!, "POST", "/set?key=more", cookie, true)).cookie!;
    expect((await verify(old!, resigned)).valid).toBe(false);
    expect((await ours(SECRET).load(resigned)).toJSON()).toEqual({ cart: [1, 2], more: true });
  });
});

describe("the same time rules (PERMANENT_SESSION_LIFETIME as max age, no clock skew)", () => {
  test.each([
    ["well within the lifetime", -(LIFETIME - 10), true],
    ["past the lifetime", -(LIFETIME + 10), false],
    ["in the future", 30, false],
  ])("a cookie signed %s: Flask and websession agree (FL-05)", async (_label, offset, valid) => {
    const at = Date.now() + offset * 1000;
    const { cookie } = await ours(SECRET, { now: () => at }).run(undefined, (s) => s.set("k", 1));
    const flask = await verify(current!, cookie!);
    expect(flask.valid).toBe(valid);
    if (!valid) expect(flask.error).toBe("SignatureExpired");
    const { load, reasons } = ours(SECRET);
    expect((await load(cookie!)).isNew).toBe(!valid);
    expect(reasons).toEqual(valid ? [] : ["expired"]);
  });

  test("a tampered cookie is rejected by both (FL-04)", async () => {
    const { cookie } = await ours(SECRET).run(undefined, (s) => s.set("role", "user"));
    const tampered = `${cookie![0] === "e" ? "f" : "e"}${cookie!.slice(1)}`;
    expect((await verify(current!, tampered)).error).toBe("BadTimeSignature");
    const { load, reasons } = ours(SECRET);
    expect((await load(tampered)).isNew).toBe(true);
    expect(reasons).toEqual(["bad_signature"]);
  });
});

describe("hand-made payloads behind a valid signature: websession reads what Flask reads", () => {
  const same = [
    '{"a":1,"b":2,"a":3}',
    '{"x":NaN,"y":-Infinity,"z":1e400,"w":-0.0}',
    '{"s":"\\ud800 \\uDE00\\ud83d\\ude00"}',
    '{"b":18446744073709551617,"c":-18446744073709551617}',
    '{" di":{" t__":1}}',
    '{" di":{"b__":1,"10":2}}',
    '{" zz":{" t":[1]}}',
    '{"d":{" d":"garbage"},"e":{" d":"Wed, 21 Oct 2015 07:28:00 +0200"},"f":{" d":"21 Oct 15 07:28 EST"}}',
    '{"u":{" u":"{12345678-1234-5678-1234-567812345678}"},"v":{" u":"urn:uuid:12345678123456781234567812345678"}}',
    ' {"ws" : [ 1 , 2 ] ,"t":{ " t" : [ ] } } ',
    '{"__proto__":{"polluted":1},"constructor":{"prototype":2}}',
    "null",
  ];
  test.each(same)("%s: both accept it, with the same values", async (json) => {
    const cookie = signed(SECRET, json);
    const flask = await verify(current!, cookie);
    expect(flask.valid).toBe(true);
    const session = await ours(SECRET).load(cookie);
    expect(session.isNew).toBe(false);
    expect(asFlaskTyped(session)).toEqual(toTyped(fromTyped(flask.session ?? {})));
    expect(new Map(session.entries())).toStrictEqual(expectedSession(flask.session ?? {}).data);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // Flask's open_session does not catch BadPayload (nor a payload that is no dict): every
  // request that carries such a cookie is a 500 in Flask.
  const rejected = [
    '{"a":',
    "\ufeff{}",
    '{" di":{}}',
    '{"t":{" t":null}}',
    '{"x":{" u":"nope"}}',
    `{"n":${"9".repeat(4301)}}`,
    '{"d":{" d":5}}',
    "[1,2]",
    '"s"',
  ];
  test.each(rejected.map((json) => [json.length > 40 ? `${json.slice(0, 40)}...` : json, json]))(
    "%s: Flask fails with a 500, websession starts a fresh session",
    async (_label, json) => {
      const cookie = signed(SECRET, json);
      const response = await fetch(`${current!.url}/get?key=a`, { headers: { cookie: `session=${cookie}` } });
      expect(response.status).toBe(500);
      const { load, reasons } = ours(SECRET);
      expect((await load(cookie)).isNew).toBe(true);
      expect(reasons).toEqual(["malformed"]);
    },
  );

  // Documented divergences (docs/flask.md): forms Flask never writes, which Python's loader
  // happens to accept.
  const divergent = ['{"t":{" t":"ab"}}', '{"b":{" b":"YWJ="}}', '{"m":{" m":1}}'];
  test.each(divergent)("%s: Python's loader accepts it, websession refuses it", async (json) => {
    const cookie = signed(SECRET, json);
    expect((await verify(current!, cookie)).valid).toBe(true);
    const { load, reasons } = ours(SECRET);
    expect((await load(cookie)).isNew).toBe(true);
    expect(reasons).toEqual(["malformed"]);
  });
});

describe("security bar: mutations and duplicate keys, both sides", () => {
  test("FL-04: Flask-made cookies (plain, unicode, compressed, every tag) mutated at every position and per ENC-*: websession rejects every mutant, Flask every one but its lenient base64 spellings (FL-07)", async () => {
    const cookies = [
      await flaskSets(current!, { user_id: 42 }),
      await flaskSets(current!, { name: "Zo\u00eb \u{1F600}" }),
      await flaskSets(current!, { long: "ab".repeat(300) }),
      await flaskSets(current!, EVERY_TAG),
    ];
    expect(cookies.filter((c) => c.startsWith(".")).length).toBeGreaterThanOrEqual(2);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let mutants = 0;
    let lenient = 0;
    for (const cookie of cookies) {
      const variants = new Set<string>();
      // Every position of short cookies; 60 spread over each part of the long ones.
      const step = Math.max(1, Math.floor(cookie.length / 60));
      for (let i = 0; i < cookie.length; i += i < cookie.length - 40 ? step : 1) {
        const c = cookie[i]!;
        variants.add(cookie.slice(0, i) + alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]! + cookie.slice(i + 1));
      }
      const sig = cookie.slice(cookie.lastIndexOf(".") + 1);
      variants.add(`${cookie.slice(0, cookie.lastIndexOf("."))}.${sig.toUpperCase()}`);
      variants.add(cookie.startsWith(".") ? cookie.slice(1) : `.${cookie}`);
      variants.add(cookie.slice(0, -1));
      variants.add(`${cookie}X`);
      variants.add(cookie.replaceAll(".", "%2E"));
      variants.delete(cookie);
      const { load } = ours(SECRET);
      for (const mutant of variants) {
        expect((await load(mutant)).isNew, `websession accepted ${mutant}`).toBe(true);
        mutants++;
        if ((await verify(current!, mutant)).valid) {
          // Python's lenient base64 reads another spelling of the same signature bytes: the
          // documented divergence (FL-07); any other mutant Flask accepted would be a forgery.
          expect(mutant.slice(0, mutant.lastIndexOf(".")), `Flask accepted ${mutant}`).toBe(cookie.slice(0, cookie.lastIndexOf(".")));
          expect(Buffer.from(mutant.slice(mutant.lastIndexOf(".") + 1), "base64url")).toEqual(Buffer.from(sig, "base64url"));
          lenient++;
        }
      }
    }
    expect(mutants).toBeGreaterThan(150);
    expect(lenient).toBeLessThanOrEqual(cookies.length);
  }, 60_000);

  test("JSN-07: duplicate keys behind a valid signature: Flask (Python's json) and websession both keep the last value", async () => {
    const cookie = signed(SECRET, '{"role":"user","x":1,"role":"admin"}');
    expect((await verify(current!, cookie)).session).toEqual({ role: "admin", x: 1 });
    expect((await ours(SECRET).load(cookie)).toJSON()).toEqual({ role: "admin", x: 1 });
  });
});

describe("random sessions", () => {
  test("websession writes, Flask reads: /dump equals the JSON inside the cookie, /verify the values (FL-03)", async () => {
    const { run } = ours(SECRET);
    await fc.assert(
      fc.asyncProperty(flaskData, async (data) => {
        const { cookie } = await run(undefined, (s) => s.update(data));
        const flask = await verify(current!, cookie!);
        expect(flask.valid).toBe(true);
        expect(expectedSession(flask.session!).data).toStrictEqual(new Map(Object.entries(data)));
        expect((await call(current!, "GET", "/dump", cookie)).body).toBe(payloadOf(cookie!));
      }),
      { numRuns: 100 },
    );
  });

  test("Flask writes, websession reads the same values and re-signs the same bytes", async () => {
    await fc.assert(
      // Keys travel in the query string, which cannot carry a lone surrogate.
      fc.asyncProperty(
        flaskData.filter((data) => Object.keys(data).every((k) => k.isWellFormed())),
        async (data) => {
          const typed = toTyped(data) as Record<string, unknown>;
          const cookie = await flaskSets(current!, typed);
          const session = await ours(SECRET).load(cookie);
          expect(new Map(session.entries())).toStrictEqual(new Map(Object.entries(data)));
          expect(flaskCodec([SECRET]).encode(stateOf(SECRET, cookie))).toBe(cookie);
        },
      ),
      { numRuns: 100 },
    );
  });

  test("Python's float repr matches pythonFloatRepr for 5000 random doubles", () => {
    const bits = randomBytes(8 * 5000);
    const view = new DataView(bits.buffer, bits.byteOffset, bits.byteLength);
    const doubles = Array.from({ length: 5000 }, (_, i) => view.getFloat64(i * 8));
    doubles.push(0, -0, 5e-324, 1e16, 1e-5, 1e15, 0.0001, 9007199254740993, 2 ** 53, 1e21, 1e22, 123456789012345680);
    const hex = doubles.map((_, i) => bits.subarray(i * 8, i * 8 + 8).toString("hex"));
    for (let i = 5000; i < doubles.length; i++) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(doubles[i]!);
      hex[i] = b.toString("hex");
    }
    const script = "import json,struct,sys\nfor h in sys.stdin.read().split():\n  print(json.dumps(struct.unpack('>d', bytes.fromhex(h))[0]))";
    const python = execFileSync(PYTHON, ["-c", script], { input: hex.join("\n") })
      .toString()
      .trim()
      .split("\n");
    expect(python).toHaveLength(doubles.length);
    expect(doubles.map(pythonFloatRepr)).toEqual(python);
  });
});
