// Security bar b.2 (encoding), every case by its id, in every mode it applies to. Cookies made
// with the test key (forge.ts) reach the decoders behind a valid signature.

import { Buffer } from "node:buffer";
import { deflateSync } from "node:zlib";
import { Inflate } from "pako";
import { afterEach, describe, expect, test, vi } from "vitest";
import { MAX_INFLATED_BYTES } from "../../src/codecs/flask/codec.ts";
import { b64, envelope, flaskToken, sealedToken, signedToken, signedTokenFromText, timestampBytes } from "./forge.ts";
import { MODES, T0S, TEST_SECRET, Target } from "./target.ts";
import type { Mode } from "./target.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** `token` with the character in the middle of part `index` (split on ".") replaced by `c`. */
function inPart(token: string, index: number, c: string): string {
  const parts = token.split(".");
  const part = parts[index]!;
  const at = Math.floor(part.length / 2);
  parts[index] = part.slice(0, at) + c + part.slice(at + 1);
  return parts.join(".");
}

/** The base64url character with the same high bits as `c` and its lowest bit flipped. */
function otherLowBits(c: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return alphabet[alphabet.indexOf(c) ^ 1]!;
}

describe("b.2 encoding", () => {
  test.each(MODES)("ENC-01: characters outside base64url (+ / = percent space ! ~) in any part are ANON, never a throw [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const parts = token.split(".").length;
    for (let index = 0; index < parts; index++) {
      if (token.split(".")[index] === "") continue;
      for (const c of ["+", "/", "=", "%", " ", "!", "~", "*", "$"]) {
        await t.anon(t.pair(inPart(token, index, c)), { label: `part ${index} with ${c}` });
      }
    }
  });

  test("ENC-02: non-canonical base64url behind a valid MAC (length 1 mod 4, non-zero pad bits) is ANON: one text per value [signed, flask]", async () => {
    const signed = new Target("signed");
    const body = b64(envelope({ user: "ada" }, T0S));
    expect(body.length % 4).not.toBe(0);
    await signed.accepts(signed.pair(signedTokenFromText(TEST_SECRET, "session", body)), { user: "ada" });
    const r = body.length % 4;
    for (const text of [
      body + "A".repeat((5 - r) % 4), // length 1 mod 4
      body.slice(0, -1) + otherLowBits(body.at(-1)!), // the same bytes, other pad bits
      body + "=".repeat((4 - r) % 4), // padded
      body.replaceAll("_", "/").replaceAll("-", "+"), // the standard alphabet
      `${body.slice(0, 8)}\u00e9${body.slice(9)}`, // a non-ASCII character, MAC'd as UTF-8
    ]) {
      if (text !== body) await signed.anon(signed.pair(signedTokenFromText(TEST_SECRET, "session", text)), { reason: "malformed", label: text });
    }
    // flask: the payload and timestamp segments are signed text; decoded strictly once verified.
    const flask = new Target("flask");
    const payload = b64('{"user":"ada"}');
    const ts = b64(timestampBytes(T0S));
    expect([payload.length % 4, ts.length % 4]).toEqual([3, 2]);
    await flask.accepts(flask.pair(flaskToken(TEST_SECRET, { segment: payload }, { segment: ts })), { user: "ada" });
    for (const [p, s] of [
      [payload.slice(0, -1) + otherLowBits(payload.at(-1)!), ts],
      [payload, ts.slice(0, -1) + otherLowBits(ts.at(-1)!)],
      [`${payload}A`.slice(0, payload.length - 2), ts], // length 1 mod 4
      [payload, `${ts}==`],
      [`${payload}=`, ts],
    ] as const) {
      await flask.anon(flask.pair(flaskToken(TEST_SECRET, { segment: p }, { segment: s })), { reason: "malformed", label: `${p}.${s}` });
    }
  });

  test.each(MODES)("ENC-02: non-canonical base64url in the signature, tag or id (pad bits, length 1 mod 4) is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const last = token.at(-1)!;
    await t.anon(t.pair(token.slice(0, -1) + otherLowBits(last)), { label: "pad bits of the last character" });
    await t.anon(t.pair(`${token}A`), { label: "one more character" });
    if (mode === "sealed") {
      // salt (22 chars) and IV (16): the salt's last character has pad bits too.
      const parts = token.split(".");
      parts[2] = parts[2]!.slice(0, -1) + otherLowBits(parts[2]!.at(-1)!);
      await t.anon(t.pair(parts.join(".")), { reason: "malformed" });
    }
  });

  test.each(MODES)("ENC-03: the percent-encoded form of a valid cookie is ANON: values are never percent-decoded [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const everything = [...token].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
    for (const variant of new Set([
      token.replaceAll(".", "%2E"),
      token.replaceAll(".", "%2e"),
      everything,
      token.replace(/[A-Z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
    ])) {
      if (variant !== token) await t.anon(t.pair(variant));
    }
    await t.accepts(t.pair(token), { user: "ada" });
  });

  test.each(MODES)("ENC-04: malformed percent escapes (lone, truncated E0 A4 A, ZZ) are ANON, no URIError escapes [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    for (const bad of ["%", "%E0%A4%A", "%ZZ", "%%", "%u0041", `${token}%`, `%${token}`, `${token.slice(0, 10)}%E0%A4%A${token.slice(10)}`]) {
      await t.anon(t.pair(bad));
    }
    // A malformed escape in another cookie of the header does not disturb the session.
    await t.accepts(`other=%E0%A4%A; ${t.pair(token)}; x=%ZZ`, { user: "ada" });
  });

  test.each(MODES)("ENC-05: a DQUOTE-wrapped valid value is ANON (the quotes are part of the value) [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    for (const quoted of [`"${token}"`, `"${token}`, `${token}"`, `'${token}'`]) await t.anon(t.pair(quoted));
  });

  test("ENC-06: a payload that is not valid UTF-8 behind a valid signature or tag is ANON (fatal decoder) [signed, sealed, flask]", async () => {
    const bad = [
      Buffer.from([0x7b, 0xff, 0x7d]), // a stray 0xFF
      Buffer.concat([Buffer.from('{"c":1,"a":1,"d":{"x":"'), Buffer.from([0xc3]), Buffer.from('"}}')]), // truncated sequence
      Buffer.concat([Buffer.from('{"c":1,"a":1,"d":{"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}')]), // encoded surrogate
      Buffer.concat([Buffer.from('{"c":1,"a":1,"d":{"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}}')]), // overlong "/"
    ];
    const signed = new Target("signed");
    const sealed = new Target("sealed");
    const flask = new Target("flask");
    for (const bytes of bad) {
      await signed.anon(signed.pair(signedToken(TEST_SECRET, "session", bytes)), { reason: "malformed" });
      await sealed.anon(sealed.pair(sealedToken(TEST_SECRET, "session", bytes)), { reason: "bad_signature" });
      await flask.anon(flask.pair(flaskToken(TEST_SECRET, bytes, T0S)), { reason: "malformed" });
      await flask.anon(flask.pair(flaskToken(TEST_SECRET, bytes, T0S, { compress: true })), { reason: "malformed" });
    }
  });

  test("ENC-07: flask: a validly signed '.'-prefixed payload with a corrupt zlib stream is ANON", async () => {
    const flask = new Target("flask");
    const good = deflateSync('{"user":"ada","pad":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}');
    const corrupt = [
      Buffer.from("not zlib at all"),
      good.subarray(0, good.length - 6), // truncated
      Buffer.concat([good.subarray(0, 2), Buffer.alloc(good.length - 2, 0xff)]),
      Buffer.from(good.map((b, i) => (i === good.length - 1 ? b ^ 1 : b))), // Adler-32 off by one bit
      Buffer.from(good.map((b, i) => (i === 0 ? 0x1f : b))), // wrong header
      Buffer.alloc(0),
    ];
    for (const bytes of corrupt) {
      await flask.anon(flask.pair(flaskToken(TEST_SECRET, { segment: `.${b64(bytes)}` }, T0S)), { reason: "malformed" });
    }
    await flask.accepts(flask.pair(flaskToken(TEST_SECRET, { segment: `.${b64(good)}` }, T0S)), { user: "ada", pad: "a".repeat(47) });
  });

  test("ENC-08: flask: a zlib bomb is ANON once the 64 KiB cap is hit, holding at most the cap plus one chunk; a 100 MB bomb does not fit a cookie at all", async () => {
    const flask = new Target("flask");
    // 100 MB of JSON deflates to ~100 KB: over the cookie size, refused by its length.
    const hundred = flaskToken(TEST_SECRET, `{"a":"${"a".repeat(100 * 1024 * 1024)}"}`, T0S, { compress: true });
    expect(hundred.length).toBeGreaterThan(4096);
    await flask.anon(flask.pair(hundred), { reason: "malformed", label: "100 MB bomb" });
    // About the biggest bomb a 4 KB cookie carries (zlib tops out near 1000:1): inflated only up to the cap.
    const push = Inflate.prototype.push;
    let held = 0;
    let largest = 0;
    vi.spyOn(Inflate.prototype, "push").mockImplementation(function (this: Inflate & { onData(chunk: Uint8Array): void }, data, mode) {
      const onData = this.onData;
      this.onData = (chunk: Uint8Array) => {
        held += chunk.length;
        largest = Math.max(largest, chunk.length);
        onData.call(this, chunk);
      };
      return push.call(this, data, mode);
    });
    const bomb = flaskToken(TEST_SECRET, `{"a":"${"a".repeat(2_500_000)}"}`, T0S, { compress: true });
    expect(bomb.length).toBeLessThan(4096);
    const started = performance.now();
    await flask.anon(flask.pair(bomb), { reason: "malformed", label: "2.5 MB bomb" });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(largest).toBeLessThanOrEqual(16 * 1024);
    // anon() loads the cookie twice (a reading and a writing request).
    expect(held / 2).toBeLessThanOrEqual(MAX_INFLATED_BYTES + 16 * 1024);
  });

  test("ENC-09: flask: a timestamp segment that is empty, not base64, over 8 bytes or '____________' is ANON", async () => {
    const flask = new Target("flask");
    const cases: Array<[string, string]> = [
      ["", "expired"], // timestamp 0, as itsdangerous reads it: 1970, far past the lifetime
      ["!!!!!!", "malformed"],
      ["ZVPx AA", "malformed"],
      [b64(Buffer.alloc(9, 1)), "malformed"],
      ["____________", "malformed"],
      [b64(Buffer.alloc(8, 0xff)), "expired"], // 2^64 - 1 seconds: the future
      [b64(Buffer.concat([Buffer.from([0]), timestampBytes(T0S)])), "malformed"], // a leading zero byte (TM-05)
    ];
    for (const [segment, reason] of cases) {
      await flask.anon(flask.pair(flaskToken(TEST_SECRET, '{"user":"ada"}', { segment })), { reason: reason as "malformed", label: JSON.stringify(segment) });
    }
  });

  test("ENC-09: signed and sealed: a key id that is empty, not base64, or of the wrong length is ANON", async () => {
    for (const mode of ["signed", "sealed"] as const satisfies readonly Mode[]) {
      const t = new Target(mode);
      const token = await t.issue();
      const parts = token.split(".");
      const kidIndex = 1;
      for (const kid of ["", "!!!!!!", "AAAAA", "AAAAAAA", "______", "AA AAA"]) {
        const p = [...parts];
        p[kidIndex] = kid;
        await t.anon(t.pair(p.join(".")), { label: `${mode} kid ${JSON.stringify(kid)}` });
      }
    }
  });

  test.each(MODES)("ENC-10: control characters (0x01-0x1F, 0x7F) or bytes 0x80-0xFF inside the value are ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const at = Math.floor(token.length / 2);
    const chars = [...Array.from({ length: 31 }, (_, i) => i + 1).filter((c) => c !== 0x0a && c !== 0x0d), 0x7f, 0x80, 0x85, 0xa0, 0xff];
    for (const c of chars) {
      await t.anon(t.pair(token.slice(0, at) + String.fromCharCode(c) + token.slice(at)), { label: `0x${c.toString(16)} inside` });
    }
    // SP and HTAB around the value are optional whitespace (6265bis 5.6), so the cookie loads.
    await t.accepts(`${t.name}= \t${token}\t `, { user: "ada" });
  });

  test("ENC-11: flask: non-ASCII JSON (raw UTF-8 or Python's \\uXXXX escapes) loads; the signature is checked on the received bytes, never on a re-serialisation", async () => {
    const flask = new Target("flask");
    const escaped = '{"name":"Zo\\u00eb \\ud83d\\ude00"}';
    const raw = '{ "name" : "Zo\u00eb \u{1F600}" }'; // what Python never writes: raw UTF-8 and spaces
    await flask.accepts(flask.pair(flaskToken(TEST_SECRET, escaped, T0S)), { name: "Zo\u00eb \u{1F600}" });
    await flask.accepts(flask.pair(flaskToken(TEST_SECRET, raw, T0S)), { name: "Zo\u00eb \u{1F600}" });
    // Reading it writes nothing (a non-permanent session): nothing was re-serialised to verify.
    const seen = await flask.read(flask.pair(flaskToken(TEST_SECRET, raw, T0S)));
    expect(seen.setCookie).toEqual([]);
    // The re-serialised canonical form carries another signature: the received one must not verify it.
    const canonical = flaskToken(TEST_SECRET, escaped, T0S);
    const rawToken = flaskToken(TEST_SECRET, raw, T0S);
    await flask.anon(flask.pair(`${canonical.slice(0, canonical.lastIndexOf("."))}${rawToken.slice(rawToken.lastIndexOf("."))}`), { reason: "bad_signature" });
  });
});
