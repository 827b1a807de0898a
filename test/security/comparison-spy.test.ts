// The comparison path, watched from outside (security bar SIG-11, SIG-12, SIG-15, KR-07, SZ-02):
// src/encoding.ts is replaced by itself with every export wrapped in a spy (vi.mock), so the
// codecs call the real functions through counters. Forcing timingSafeEqual's answer shows it is
// the only thing that decides: a `===` on signatures, or any second comparison, fails here.

import { Buffer } from "node:buffer";
import { Inflate } from "pako";
import { afterEach, describe, expect, test, vi } from "vitest";
import * as encoding from "../../src/encoding.ts";
import * as flaskJson from "../../src/codecs/flask/parser.ts";
import { flaskCodec } from "../../src/codecs/flask/codec.ts";
import { sealedCodec } from "../../src/codecs/sealed.ts";
import { signedCodec } from "../../src/codecs/signed.ts";
import { createSessions, memoryStore } from "../../src/index.ts";
import type { SessionStore } from "../../src/index.ts";
import { envelope, flaskToken, sealedToken, signedToken } from "./forge.ts";
import { nobleDecrypt } from "./sealed-helpers.ts";
import { OLD_SECRET, T0S, TEST_SECRET, request } from "./target.ts";

vi.mock("../../src/encoding.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/encoding.ts")>();
  return {
    ...real,
    timingSafeEqual: vi.fn(real.timingSafeEqual),
    base64urlDecode: vi.fn(real.base64urlDecode),
    base64urlDecodeBytes: vi.fn(real.base64urlDecodeBytes),
  };
});
// @noble/ciphers' AES-GCM (the sealed format's engine off workerd), with its decryptions counted.
vi.mock("@noble/ciphers/aes.js", async (importOriginal) => (await import("./sealed-helpers.ts")).countingAes(await importOriginal()));
vi.mock("../../src/codecs/flask/parser.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/codecs/flask/parser.ts")>();
  return { ...real, parseTaggedJson: vi.fn(real.parseTaggedJson) };
});

const equal = vi.mocked(encoding.timingSafeEqual);
const decode = vi.mocked(encoding.base64urlDecode);
const decodeBytes = vi.mocked(encoding.base64urlDecodeBytes);
const parseTagged = vi.mocked(flaskJson.parseTaggedJson);

afterEach(() => {
  vi.restoreAllMocks();
  // Back to the real functions, with no forced answers left queued.
  for (const spy of [equal, decode, decodeBytes, parseTagged]) spy.mockReset();
});

const NOW = T0S;
const options = { now: () => NOW * 1000 };

async function ready<C extends { ready: Promise<void> }>(codec: C): Promise<C> {
  await codec.ready;
  return codec;
}

/** `token` with the signature's character at `index` (counted inside the signature) changed. */
function mismatchAt(token: string, index: number): string {
  const start = token.lastIndexOf(".") + 1;
  const c = token[start + index]!;
  return token.slice(0, start + index) + (c === "A" ? "B" : "A") + token.slice(start + index + 1);
}

describe("SIG-11: only a constant-time comparison of bytes decides", () => {
  test("SIG-11: signed: one timingSafeEqual call per verification, over the MAC and the received signature bytes; its answer alone decides", async () => {
    const codec = await ready(signedCodec([TEST_SECRET], "session"));
    const token = signedToken(TEST_SECRET, "session", envelope({ user: "ada" }, NOW));
    expect(typeof codec.decode(token)).toBe("object");
    expect(equal).toHaveBeenCalledTimes(1);
    const [mac, received] = equal.mock.calls[0]!;
    expect(mac).toHaveLength(32);
    expect(Buffer.from(received).toString("base64url")).toBe(token.slice(token.lastIndexOf(".") + 1));
    // Forced "different": a genuine token is refused.
    equal.mockClear().mockReturnValueOnce(false);
    expect(codec.decode(token)).toBe("bad_signature");
    // Forced "equal": a forged signature of the right shape is accepted, so nothing else compares.
    const forged = mismatchAt(token, 0);
    expect(codec.decode(forged)).toBe("bad_signature");
    equal.mockClear().mockReturnValueOnce(true);
    expect(typeof codec.decode(forged)).toBe("object");
    expect(equal).toHaveBeenCalledTimes(1);
  });

  test("SIG-11: flask: timingSafeEqual per candidate secret over 20-byte HMAC-SHA-1 values; its answer alone decides", async () => {
    const codec = flaskCodec([TEST_SECRET, OLD_SECRET]);
    const token = flaskToken(OLD_SECRET, '{"user":"ada"}', NOW);
    expect(typeof codec.decode(token)).toBe("object");
    expect(equal).toHaveBeenCalledTimes(2); // the current secret first, then the fallback
    for (const [mac, received] of equal.mock.calls) {
      expect([mac.length, received.length]).toEqual([20, 20]);
      expect(Buffer.from(received).toString("base64url")).toBe(token.slice(token.lastIndexOf(".") + 1));
    }
    equal.mockClear().mockReturnValue(false);
    expect(codec.decode(token)).toBe("bad_signature");
    const forged = mismatchAt(token, 3);
    equal.mockReset().mockReturnValueOnce(true);
    expect(typeof codec.decode(forged)).toBe("object");
  });

  for (const cipher of ["noble", "webcrypto"] as const) {
    test(`SIG-11: sealed (${cipher}): no comparison of ours at all; AES-GCM's tag check decides, once per token`, async () => {
      const codec = await ready(sealedCodec([TEST_SECRET], "session", { cipher }));
      const decrypt = vi.spyOn(crypto.subtle, "decrypt");
      nobleDecrypt.calls = 0;
      const token = sealedToken(TEST_SECRET, "session", envelope({ user: "ada" }, NOW));
      expect(typeof (await codec.decode!(token))).toBe("object");
      expect(await codec.decode!(mismatchAt(token, 5))).toBe("bad_signature");
      expect(cipher === "noble" ? nobleDecrypt.calls : decrypt.mock.calls.length).toBe(2);
      expect(cipher === "noble" ? decrypt.mock.calls.length : nobleDecrypt.calls).toBe(0);
      expect(equal).not.toHaveBeenCalled();
    });
  }

  test("SIG-11: through createSessions, every cookie-format request that verifies goes through the spy (no second path)", async () => {
    for (const format of ["signed", "flask"] as const) {
      const sessions = createSessions({ secret: TEST_SECRET, format, ...options });
      const token = format === "signed" ? signedToken(TEST_SECRET, "session", envelope({ user: "ada" }, NOW)) : flaskToken(TEST_SECRET, '{"user":"ada"}', NOW);
      equal.mockClear();
      expect((await sessions.load(request(`session=${token}`))).get("user")).toBe("ada");
      expect(equal, format).toHaveBeenCalledTimes(1);
      equal.mockClear().mockReturnValueOnce(false);
      expect((await sessions.load(request(`session=${token}`))).get("user"), format).toBeUndefined();
    }
  });
});

describe("SIG-12: nothing of the payload is decoded before the signature verifies", () => {
  test("SIG-12: signed: with a bad signature, JSON.parse never runs and only the signature is base64-decoded", async () => {
    const codec = await ready(signedCodec([TEST_SECRET], "session"));
    const token = signedToken(TEST_SECRET, "session", envelope({ user: "ada" }, NOW));
    const parse = vi.spyOn(JSON, "parse");
    const forged = mismatchAt(token, 10);
    decodeBytes.mockClear();
    decode.mockClear();
    expect(codec.decode(forged)).toBe("bad_signature");
    expect(parse).not.toHaveBeenCalled();
    const sigStart = forged.lastIndexOf(".") + 1;
    for (const [, start, end] of decodeBytes.mock.calls) expect([start, end]).toEqual([sigStart, forged.length]);
    for (const [text] of decode.mock.calls) expect(text).toBe(forged.slice(sigStart));
    // The control: a good signature does reach the body.
    expect(typeof codec.decode(token)).toBe("object");
    expect(parse).toHaveBeenCalledTimes(1);
    expect(decodeBytes.mock.calls.some(([, start]) => start === 0)).toBe(true);
  });

  test("SIG-12: flask: with a bad signature, no inflate, no JSON parser, no base64 of payload or timestamp", async () => {
    const codec = flaskCodec([TEST_SECRET]);
    const push = vi.spyOn(Inflate.prototype, "push");
    const forgedBomb = flaskToken(OLD_SECRET, `{"a":"${"a".repeat(100_000)}"}`, NOW, { compress: true });
    const good = flaskToken(TEST_SECRET, '{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}', NOW, { compress: true });
    expect(good.startsWith(".")).toBe(true);
    for (const bad of [forgedBomb, mismatchAt(good, 2), mismatchAt(good, 26), good.slice(1)]) {
      decode.mockClear();
      expect(codec.decode(bad)).toBe("bad_signature");
      for (const [text] of decode.mock.calls) expect(text).toBe(bad.slice(bad.lastIndexOf(".") + 1));
    }
    expect(push).not.toHaveBeenCalled();
    expect(parseTagged).not.toHaveBeenCalled();
    expect(typeof codec.decode(good)).toBe("object");
    expect(push).toHaveBeenCalledTimes(1);
    expect(parseTagged).toHaveBeenCalledTimes(1);
  });

  test("SIG-12: sealed: a bad tag never reaches UTF-8 decoding or JSON.parse", async () => {
    const codec = await ready(sealedCodec([TEST_SECRET], "session"));
    const parse = vi.spyOn(JSON, "parse");
    const token = sealedToken(TEST_SECRET, "session", envelope({ user: "ada" }, NOW));
    expect(await codec.decode!(mismatchAt(token, 3))).toBe("bad_signature");
    expect(parse).not.toHaveBeenCalled();
    expect(typeof (await codec.decode!(token))).toBe("object");
    expect(parse).toHaveBeenCalledTimes(1);
  });
});

describe("KR-07 and SZ-02: how much cryptography a request can cause", () => {
  const secrets = [
    TEST_SECRET,
    OLD_SECRET,
    "Qm4Zt8Wc2Lp6Rv0Xn3Hk7Jd1Bf5Gs9Ya_Ue-Oi",
    "Np5Xr1Tg7Kc3Wm9Zs2Hv6Ld0Qb4Jf8Ye_Ua-Io",
    "Hb2Vn6Rx0Lk4Pt8Zc1Wq5Jm9Gd3Sf7Ye-Ua_Io",
  ];

  test("KR-07: with 5 secrets, 10^4 requests of each format: at most one MAC comparison or decryption per candidate secret, and no key import after start-up", async () => {
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    const decrypt = vi.spyOn(crypto.subtle, "decrypt");
    for (const format of ["signed", "sealed", "flask"] as const) {
      importKey.mockClear();
      const sessions = createSessions({ secret: secrets, format, ...options });
      await sessions.load(request());
      const importsAtStart = importKey.mock.calls.length;
      // A cookie of the oldest secret: the worst case for a format that tries secrets in order.
      const old = createSessions({ secret: secrets[4]!, format, ...options });
      const issued = await old.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(request());
      const cookie = issued.headers.getSetCookie()[0]!.split(";")[0]!;
      importKey.mockClear();
      decrypt.mockClear();
      equal.mockClear();
      nobleDecrypt.calls = 0;
      const n = format === "sealed" ? 2000 : 10_000;
      for (let i = 0; i < n; i++) {
        const session = await sessions.load(request(cookie));
        if (session.get("user") !== "ada") throw new Error(`${format}: request ${i} lost the session`);
      }
      expect(importKey, `${format}: keys are imported at start-up only`).not.toHaveBeenCalled();
      expect(importsAtStart, format).toBeLessThanOrEqual(format === "flask" ? 0 : 2 * secrets.length);
      const perRequest = format === "sealed" ? (decrypt.mock.calls.length + nobleDecrypt.calls) / n : equal.mock.calls.length / n;
      // signed and sealed find the key by its id: one check; flask tries the secrets in order.
      expect(perRequest, format).toBe(format === "flask" ? secrets.length : 1);
    }
  });

  test("OR-5: 2,327 identical copies of a bad cookie (a 125 KB header) cost one verification per distinct value, not per copy", async () => {
    const decrypt = vi.spyOn(crypto.subtle, "decrypt");
    for (const format of ["signed", "sealed", "flask"] as const) {
      const sessions = createSessions({ secret: secrets, format, ...options });
      const issued = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(request());
      const pair = issued.headers.getSetCookie()[0]!.split(";")[0]!;
      // Same length, wrong MAC or tag: a bad cookie that reaches verification.
      const bad = `${pair.slice(0, -3)}${pair.endsWith("AAA") ? "BBB" : "AAA"}`;
      const header = Array(2327).fill(bad).join("; ");
      equal.mockClear();
      decrypt.mockClear();
      nobleDecrypt.calls = 0;
      expect((await sessions.load(request(header))).get("user"), format).toBeUndefined();
      const checks = format === "sealed" ? decrypt.mock.calls.length + nobleDecrypt.calls : equal.mock.calls.length;
      // One distinct value: one check (signed, sealed: by key id), one per secret (flask).
      expect(checks, format).toBeLessThanOrEqual(format === "flask" ? secrets.length : 1);
    }
  });

  test("SZ-02: a 100 KB session cookie is rejected by its length before any cryptography or store call", async () => {
    const decrypt = vi.spyOn(crypto.subtle, "decrypt");
    nobleDecrypt.calls = 0;
    const huge = `session=${"eyJj".repeat(25_000)}.${"A".repeat(6)}.${"A".repeat(43)}`;
    for (const format of ["signed", "sealed", "flask"] as const) {
      const reasons: string[] = [];
      const sessions = createSessions({ secret: TEST_SECRET, format, onInvalid: (r) => reasons.push(r), ...options });
      const started = performance.now();
      expect((await sessions.load(request(huge))).size).toBe(0);
      expect(performance.now() - started, format).toBeLessThan(50);
      expect(reasons, format).toEqual(["malformed"]);
    }
    expect(equal).not.toHaveBeenCalled();
    expect(decrypt).not.toHaveBeenCalled();
    expect(nobleDecrypt.calls).toBe(0);
    const calls: string[] = [];
    const inner = memoryStore();
    const spy: SessionStore = {
      get: (k) => (calls.push("get"), inner.get(k)),
      set: (k, r, t) => (calls.push("set"), inner.set(k, r, t)),
      delete: (k) => (calls.push("delete"), inner.delete(k)),
    };
    const sessions = createSessions({ secret: TEST_SECRET, store: spy, ...options });
    expect((await sessions.load(request(`session=${"A".repeat(100_000)}`))).size).toBe(0);
    expect(calls).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// SIG-15: timing. Welch's t-test between inputs that differ only in where the mismatch is
// (security bar d.3: |t| < 4.5). Classes are interleaved at random, so drift and pauses land
// on both alike; the slowest 10 % of samples (GC, preemption) are cropped at one threshold.

function welch(a: number[], b: number[]): number {
  const stats = (x: number[]): [number, number] => {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    return [mean, x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1)];
  };
  const [ma, va] = stats(a);
  const [mb, vb] = stats(b);
  return (ma - mb) / Math.sqrt(va / a.length + vb / b.length);
}

/**
 * A flat copy of `text`: strings built by concatenation are ropes until first flattened, and the
 * two classes must differ in nothing but the mismatch position (ropes alone give |t| near 3).
 */
function flat(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

/** Times `samples` runs of each class (each run `batch` calls), interleaved at random; returns |t|. */
function leakage(samples: number, batch: number, early: () => void, late: () => void): number {
  for (let i = 0; i < 2000; i++) (i & 1 ? early : late)();
  const classes = new Uint8Array(2 * samples);
  for (let i = 0; i < classes.length; i += 65536) crypto.getRandomValues(classes.subarray(i, i + 65536));
  const times: Array<[number, number]> = [];
  for (const c of classes) {
    const run = c & 1 ? early : late;
    const start = performance.now();
    for (let i = 0; i < batch; i++) run();
    times.push([c & 1, performance.now() - start]);
  }
  const sorted = times.map(([, t]) => t).sort((x, y) => x - y);
  const cut = sorted[Math.floor(sorted.length * 0.9)]!;
  const kept = times.filter(([, t]) => t <= cut);
  return Math.abs(
    welch(
      kept.filter(([c]) => c === 1).map(([, t]) => t),
      kept.filter(([c]) => c === 0).map(([, t]) => t),
    ),
  );
}

/**
 * The lowest |t| of up to three measurements. A comparison that leaks shows |t| far above 4.5 on
 * every attempt (the positive control gives > 10); a constant-time one stays below it on most, so
 * one noisy attempt (other test files share this machine's 2 cores) cannot fail the suite.
 */
function quietest(measure: () => number, attempts = 3): number {
  let best = Infinity;
  for (let i = 0; i < attempts && best >= 4.5; i++) best = Math.min(best, measure());
  return best;
}

describe("SIG-15: verify time does not depend on where the signature differs", async () => {
  const { timingSafeEqual: real } = await vi.importActual<typeof import("../../src/encoding.ts")>("../../src/encoding.ts");

  test("SIG-15: the harness sees an early-exit comparison (positive control), and not timingSafeEqual", () => {
    const a = new Uint8Array(32).fill(7);
    const first = a.slice();
    first[0] = 8;
    const last = a.slice();
    last[31] = 8;
    let sink = 0;
    const leaky = (x: Uint8Array, y: Uint8Array): boolean => {
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      return true;
    };
    const leakyT = leakage(
      4000,
      200,
      () => (sink += +leaky(a, first)),
      () => (sink += +leaky(a, last)),
    );
    expect(leakyT, "an early-exit loop must be visible to the harness").toBeGreaterThan(10);
    const safeT = quietest(() =>
      leakage(
        4000,
        200,
        () => (sink += +real(a, first)),
        () => (sink += +real(a, last)),
      ),
    );
    expect(safeT, `timingSafeEqual: |t| = ${safeT.toFixed(2)}`).toBeLessThan(4.5);
    expect(sink).toBe(0);
  });

  test("SIG-15: signed decode, 10^5 samples each: a mismatch in the first vs the last signature byte, |t| < 4.5", async () => {
    const codec = await ready(signedCodec([TEST_SECRET], "session"));
    const token = signedToken(TEST_SECRET, "session", envelope({ user: "ada", cart: [1, 2, 3] }, NOW));
    const early = flat(mismatchAt(token, 0));
    const late = flat(mismatchAt(token, 41)); // the last character carries only pad bits
    expect([codec.decode(early), codec.decode(late)]).toEqual(["bad_signature", "bad_signature"]);
    const t = quietest(() =>
      leakage(
        100_000,
        1,
        () => codec.decode(early),
        () => codec.decode(late),
      ),
    );
    expect(t, `|t| = ${t.toFixed(2)}`).toBeLessThan(4.5);
  });

  test("SIG-15: flask decode, 2x10^4 samples each: first vs last signature byte, |t| < 4.5", () => {
    const codec = flaskCodec([TEST_SECRET]);
    const token = flaskToken(TEST_SECRET, '{"user":"ada","cart":[1,2,3]}', NOW);
    const early = flat(mismatchAt(token, 0));
    const late = flat(mismatchAt(token, 25));
    expect([codec.decode(early), codec.decode(late)]).toEqual(["bad_signature", "bad_signature"]);
    const t = quietest(() =>
      leakage(
        20_000,
        1,
        () => codec.decode(early),
        () => codec.decode(late),
      ),
    );
    expect(t, `|t| = ${t.toFixed(2)}`).toBeLessThan(4.5);
  });
});
