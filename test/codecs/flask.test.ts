// The `flask` format through createSessions: configuration rules, verification before any
// decoding, the inflate cap, rotation, Flask's own keys (_permanent, _flashes), BigInt, and
// what regenerate() can do. Cookies for crafted payloads are signed here with node:crypto,
// independently of the code under test.

import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { deflateSync, gzipSync, inflateSync } from "node:zlib";
import { Inflate } from "pako";
import { afterEach, describe, expect, test, vi } from "vitest";
import { MAX_INFLATED_BYTES } from "../../src/codecs/flask/codec.ts";
import { Markup, PyFloat, Tuple, UUID } from "../../src/codecs/flask/values.ts";
import { SessionError, createSessions } from "../../src/index.ts";
import type { InvalidReason, Session, SessionsOptions } from "../../src/index.ts";
import { OLD_SECRET, T0, TEST_SECRET, clock, requestWith } from "../helpers.ts";

const NOW = T0 / 1000;

/** A Flask cookie for `json` (text, or zlib bytes with the leading "."), signed like itsdangerous. */
function flaskCookie(secret: string, json: string | Buffer, timestamp = NOW, compressed = typeof json !== "string"): string {
  const key = createHmac("sha1", secret).update("cookie-session").digest();
  const body = Buffer.from(json).toString("base64url");
  const bytes: number[] = [];
  for (let t = timestamp; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  const ts = Buffer.from(bytes);
  const signed = `${compressed ? "." : ""}${body}.${ts.toString("base64url")}`;
  return `${signed}.${createHmac("sha1", key).update(signed).digest("base64url")}`;
}

/** The JSON inside a Flask cookie value, read with node:zlib (independent of pako). */
function payloadOf(value: string): string {
  const compressed = value.startsWith(".");
  const body = Buffer.from((compressed ? value.slice(1) : value).split(".")[0]!, "base64url");
  return (compressed ? inflateSync(body) : body).toString("utf8");
}

function setup(options: Partial<SessionsOptions> = {}) {
  const time = clock();
  const reasons: InvalidReason[] = [];
  const sessions = createSessions({ format: "flask", secret: TEST_SECRET, now: time.now, onInvalid: (r) => reasons.push(r), onError: rethrow, ...options });
  async function run(handler: (session: Session) => unknown, cookie?: string): Promise<{ response: Response; value: string | undefined }> {
    const response = await sessions.handle(async (_request, session) => (await handler(session), new Response("ok")))(
      requestWith(cookie === undefined ? undefined : `session=${cookie}`, "http://localhost/"),
    );
    const line = response.headers.getSetCookie()[0];
    return { response, value: line === undefined ? undefined : line.slice(line.indexOf("=") + 1, line.indexOf(";")) };
  }
  return { sessions, time, reasons, run };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("configuration", () => {
  test("a weak key needs unsafeAllowWeakSecret, and the message says so for format flask", () => {
    const error = (() => {
      try {
        createSessions({ format: "flask", secret: "dev" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe("weak_secret");
    expect((error as SessionError).message).toMatch(/^option secret is too short: 3 bytes.*set unsafeAllowWeakSecret: true/);
    // The hint is specific to Flask; the other formats keep the plain message.
    expect(() => createSessions({ secret: "dev" })).toThrow(/^(?!.*unsafeAllowWeakSecret).*too short/);
    expect(() => createSessions({ format: "flask", secret: "dev", unsafeAllowWeakSecret: true })).not.toThrow();
  });

  test("absoluteLifetime is refused: Flask's cookie has no creation time", () => {
    expect(() => createSessions({ format: "flask", secret: TEST_SECRET, absoluteLifetime: 3600 })).toThrow(
      /^option absoluteLifetime cannot be enforced with format: "flask": Flask's cookie carries one timestamp/,
    );
    expect(() => createSessions({ format: "flask", secret: TEST_SECRET, oversize: "chunk" })).toThrow(TypeError);
  });
});

describe("verification comes first", () => {
  test("a bad signature is reported before the payload is even base64-decoded or inflated", async () => {
    const push = vi.spyOn(Inflate.prototype, "push");
    const { sessions, reasons } = setup();
    const bomb = flaskCookie(OLD_SECRET, deflateSync(Buffer.alloc(2_000_000)));
    expect(bomb.length).toBeLessThan(4096);
    expect((await sessions.load(requestWith(`session=${bomb}`))).size).toBe(0);
    expect((await sessions.load(requestWith("session=!!!garbage!!!.ZVPxAA.VHrZtVywiZps4ADhc22LjtcmqPU"))).size).toBe(0);
    expect(reasons).toEqual(["bad_signature", "bad_signature"]);
    expect(push).not.toHaveBeenCalled();
    // A good signature does reach the inflater.
    const good = flaskCookie(TEST_SECRET, deflateSync('{"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}'));
    expect((await sessions.load(requestWith(`session=${good}`))).get("a")).toBe("a".repeat(45));
    expect(push).toHaveBeenCalledTimes(1);
  });

  test("the session is verified lazily: nothing runs until it is used", async () => {
    const push = vi.spyOn(Inflate.prototype, "push");
    const { sessions, reasons } = setup();
    const cookie = flaskCookie(TEST_SECRET, deflateSync('{"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}'));
    const session = await sessions.load(requestWith(`session=${cookie}; other=1`));
    expect(push).not.toHaveBeenCalled();
    expect(session.has("a")).toBe(true);
    expect(push).toHaveBeenCalledTimes(1);
    expect(reasons).toEqual([]);
  });
});

describe("payloads behind a valid signature", () => {
  test(`inflating stops at ${MAX_INFLATED_BYTES} bytes: a zip bomb is an invalid cookie, a payload at the cap loads`, async () => {
    const { sessions, reasons } = setup();
    // About the most a 4 KB cookie can carry: zlib's ratio tops out near 1000:1.
    const bomb = flaskCookie(TEST_SECRET, deflateSync(`{"a":"${"a".repeat(2_500_000)}"}`));
    expect(bomb.length).toBeLessThan(4096);
    const started = performance.now();
    expect((await sessions.load(requestWith(`session=${bomb}`))).size).toBe(0);
    expect(performance.now() - started).toBeLessThan(1000);
    const atCap = `{"a":"${"a".repeat(MAX_INFLATED_BYTES - 8)}"}`;
    expect(atCap.length).toBe(MAX_INFLATED_BYTES);
    expect((await sessions.load(requestWith(`session=${flaskCookie(TEST_SECRET, deflateSync(atCap))}`))).get("a")).toHaveLength(MAX_INFLATED_BYTES - 8);
    const overCap = `{"a":"${"a".repeat(MAX_INFLATED_BYTES - 7)}"}`;
    expect((await sessions.load(requestWith(`session=${flaskCookie(TEST_SECRET, deflateSync(overCap))}`))).size).toBe(0);
    expect(reasons).toEqual(["malformed", "malformed"]);
  });

  test("undecodable payloads are invalid cookies, never exceptions", async () => {
    const { sessions, reasons } = setup();
    const payloads: Array<[string | Buffer, boolean]> = [
      ["[1,2]", false],
      ['"s"', false],
      ["1", false],
      ['{"a":', false],
      ["\ufeff{}", false],
      ['{" t":"ab"}', false],
      ["", false],
      [Buffer.from([0x7b, 0x7d, 0xff]), false], // invalid UTF-8
      [Buffer.from("not zlib"), true],
      [deflateSync("{}").subarray(0, 5), true], // truncated
      [Buffer.concat([deflateSync("{}").subarray(0, 2), Buffer.from("xx")]), true],
      [gzipSync("{}"), true], // gzip, which Python's zlib.decompress refuses
      [Buffer.alloc(0), true],
    ];
    for (const [payload, compressed] of payloads) {
      const session = await sessions.load(requestWith(`session=${flaskCookie(TEST_SECRET, payload, NOW, compressed)}`));
      expect(session.isNew, String(payload)).toBe(true);
    }
    // No timestamp at all (itsdangerous Signer output): signed, but malformed.
    const key = createHmac("sha1", TEST_SECRET).update("cookie-session").digest();
    const noTimestamp = `e30.${createHmac("sha1", key).update("e30").digest("base64url")}`;
    expect((await sessions.load(requestWith(`session=${noTimestamp}`))).isNew).toBe(true);
    expect(reasons).toEqual(Array(payloads.length + 1).fill("malformed"));
  });

  test("trailing bytes after the zlib stream are ignored, as Python does", async () => {
    const { sessions } = setup();
    const cookie = flaskCookie(TEST_SECRET, Buffer.concat([deflateSync('{"k":"v"}'), Buffer.from("trailing")]));
    expect((await sessions.load(requestWith(`session=${cookie}`))).get("k")).toBe("v");
  });

  test("a null payload is a valid empty session (Flask reads it so)", async () => {
    const { sessions, reasons } = setup();
    const session = await sessions.load(requestWith(`session=${flaskCookie(TEST_SECRET, "null")}`));
    expect(session.isNew).toBe(false);
    expect(session.size).toBe(0);
    expect(reasons).toEqual([]);
  });

  test("timestamp 0 is an empty segment, both ways", async () => {
    const { sessions, run, time } = setup({ lifetime: 60 });
    const cookie = flaskCookie(TEST_SECRET, '{"k":1}', 0);
    expect(cookie).toMatch(/^eyJrIjoxfQ\.\.[\w-]{27}$/);
    time.advance(-NOW + 60);
    expect((await sessions.load(requestWith(`session=${cookie}`))).get("k")).toBe(1);
    time.advance(-60);
    expect((await run((s) => s.set("k", 1))).value).toBe(cookie);
  });
});

describe("Flask's own keys", () => {
  test("_permanent maps to session.permanent both ways; a permanent cookie lives `lifetime`", async () => {
    const { sessions, run } = setup({ lifetime: 600 });
    const read = await sessions.load(requestWith(`session=${flaskCookie(TEST_SECRET, '{"_permanent":true,"u":1}')}`));
    expect(read.permanent).toBe(true);
    expect(read.toJSON()).toEqual({ u: 1 });
    const { response, value } = await run((s) => {
      s.set("u", 1);
      s.permanent = true;
    });
    expect(payloadOf(value!)).toBe('{"_permanent":true,"u":1}');
    expect(response.headers.getSetCookie()[0]).toContain(`; Max-Age=600; Expires=${new Date(T0 + 600_000).toUTCString()};`);
    // Python truthiness, as Flask's session.permanent reads the key; `false` is not written back.
    for (const [json, permanent] of [
      ['{"_permanent":false,"u":1}', false],
      ['{"_permanent":1,"u":1}', true],
      ['{"_permanent":[],"u":1}', false],
      ['{"_permanent":0.0,"u":1}', false],
    ] as const) {
      const session = await sessions.load(requestWith(`session=${flaskCookie(TEST_SECRET, json)}`));
      expect(session.permanent, json).toBe(permanent);
      expect(session.has("_permanent")).toBe(false);
    }
    expect(payloadOf((await run((s) => (s.set("u", 1), (s.permanent = false))))!.value!)).toBe('{"u":1}');
  });

  test("_flashes maps to flash()/flashes() both ways as (category, message) tuples", async () => {
    const { sessions, run } = setup();
    const { value } = await run((s) => {
      s.flash("saved");
      s.flash("bad input", "error");
    });
    expect(payloadOf(value!)).toBe('{"_flashes":[{" t":["message","saved"]},{" t":["error","bad input"]}]}');
    const fromFlask = flaskCookie(TEST_SECRET, '{"_flashes":[{" t":["info","from flask"]}],"u":1}');
    const session = await sessions.load(requestWith(`session=${fromFlask}`));
    expect(session.keys()).toEqual(["u"]);
    expect(session.flashes({ withCategories: true })).toEqual([["info", "from flask"]]);
    // Taking the messages removes the key, as get_flashed_messages pops it.
    const after = await run((s) => s.flashes(), fromFlask);
    expect(payloadOf(after.value!)).toBe('{"u":1}');
  });

  test("_flashes with messages that are not strings (Markup) stays a data key, written back unchanged", async () => {
    const { run } = setup();
    const cookie = flaskCookie(TEST_SECRET, '{"_flashes":[{" t":["message",{" m":"<b>hi</b>"}]}]}');
    let seen: unknown;
    const { value } = await run((s) => {
      seen = s.get("_flashes");
      s.modified = true;
    }, cookie);
    expect(seen).toEqual([new Tuple("message", new Markup("<b>hi</b>"))]);
    expect(payloadOf(value!)).toBe('{"_flashes":[{" t":["message",{" m":"<b>hi</b>"}]}]}');
    await expect(run((s) => s.flash("more"), cookie)).rejects.toThrow(/"_flashes" holds messages flashed by Flask/);
    expect(payloadOf((await run((s) => (s.pop("_flashes"), s.flash("more")), cookie)).value!)).toBe('{"_flashes":[{" t":["message","more"]}]}');
  });

  test("setting _permanent as data is refused at commit: use session.permanent", async () => {
    const { run } = setup();
    const error = await run((s) => s.set("_permanent", true)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe("unserializable");
    expect((error as SessionError).message).toContain("session.permanent");
  });
});

describe("values JavaScript lacks", () => {
  test("integers beyond 2^53-1 read as BigInt and go back with the same digits; never rounded", async () => {
    const { sessions, run } = setup();
    const cookie = flaskCookie(TEST_SECRET, '{"big":18446744073709551617,"neg":-9007199254740993,"ok":9007199254740991}');
    const session = await sessions.load(requestWith(`session=${cookie}`));
    expect(session.get("big")).toBe(18446744073709551617n);
    expect(session.get("neg")).toBe(-9007199254740993n);
    expect(session.get("ok")).toBe(9007199254740991);
    const rewritten = await run((s) => s.set("x", 1), cookie);
    expect(payloadOf(rewritten.value!)).toBe('{"big":18446744073709551617,"neg":-9007199254740993,"ok":9007199254740991,"x":1}');
    await expect(run((s) => s.set("n", 2 ** 60))).rejects.toThrow(/beyond ±\(2\^53-1\).*BigInt/);
    expect(payloadOf((await run((s) => s.set("n", 2n ** 60n))).value!)).toBe('{"n":1152921504606846976}');
  });

  test("tuples, bytes, UUID, Date, Markup and whole floats written from TypeScript read back as the same", async () => {
    const { sessions, run } = setup();
    const values = {
      t: new Tuple(1, "two", new Tuple()),
      b: Uint8Array.of(0, 255),
      u: new UUID("12345678-1234-5678-1234-567812345678"),
      d: new Date("2015-10-21T07:28:00Z"),
      m: new Markup("<i>x</i>"),
      f: new PyFloat(1),
      g: 0.5,
    };
    const { value } = await run((s) => s.update(values));
    expect(payloadOf(value!)).toBe(
      '{"b":{" b":"AP8="},"d":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"},"f":1.0,"g":0.5,"m":{" m":"<i>x</i>"},"t":{" t":[1,"two",{" t":[]}]},"u":{" u":"12345678123456781234567812345678"}}',
    );
    const session = await sessions.load(requestWith(`session=${value}`));
    expect(Object.fromEntries(session.entries())).toStrictEqual(values);
  });
});

describe("rotation and regenerate()", () => {
  test("signs with the first secret; a cookie verified by a fallback is re-issued under the first", async () => {
    const { run, reasons } = setup({ secret: [TEST_SECRET, OLD_SECRET] });
    const old = flaskCookie(OLD_SECRET, '{"u":"ada"}');
    const { value } = await run((s) => s.get("u"), old);
    expect(value).toBe(flaskCookie(TEST_SECRET, '{"u":"ada"}'));
    const onlyNew = setup();
    expect((await onlyNew.sessions.load(requestWith(`session=${old}`))).isNew).toBe(true);
    expect(onlyNew.reasons).toEqual(["bad_signature"]);
    expect(reasons).toEqual([]);
  });

  test("regenerate() re-signs the same data with a fresh timestamp; the old cookie stays valid until it expires", async () => {
    const { sessions, run, time } = setup();
    const first = (await run((s) => s.set("u", "ada"))).value!;
    time.advance(5);
    const second = (await run((s) => s.regenerate(), first)).value!;
    expect(second).toBe(flaskCookie(TEST_SECRET, '{"u":"ada"}', NOW + 5));
    expect((await sessions.load(requestWith(`session=${first}`))).get("u")).toBe("ada");
  });
});

/** handle() answers SessionErrors with 503/500 by default; these tests assert the typed error itself. */
function rethrow(error: Error): never {
  throw error;
}
