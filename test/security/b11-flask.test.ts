// Security bar b.11 (Flask interoperability vectors), every case by its id, from the golden
// vectors real Flask made (shared/vectors/flask-sessions.json). The cases that need a live
// Flask (FL-03, FL-04 on Flask's side, FL-05 on Flask's side) are in test/interop/flask-peer.test.ts.

import vectors from "../../../shared/vectors/flask-sessions.json" with { type: "json" };
import { describe, expect, test, vi } from "vitest";
import { createSessions } from "../../src/index.ts";
import type { InvalidReason, Session, SessionsOptions } from "../../src/index.ts";
import { expectedSession } from "../conformance/flask-typed.ts";
import type { FlaskVector as Vector } from "../conformance/flask-typed.ts";
import { captureLogs, request, replaceAt, valueOf } from "./target.ts";

const all = vectors as unknown as { vectors: Vector[]; lenient_vectors: Vector[] };
const valid = all.vectors.filter((v) => v.expect === "valid");

function sessionsFor(v: Vector, reasons: InvalidReason[], overrides: Partial<SessionsOptions> = {}) {
  return createSessions({
    format: "flask",
    secret: [v.secret_key, ...[...v.fallbacks].reverse()],
    lifetime: v.max_age,
    now: () => v.now * 1000,
    onInvalid: (reason) => reasons.push(reason),
    unsafeAllowWeakSecret: true,
    ...overrides,
  });
}

async function loaded(v: Vector, cookie: string, overrides: Partial<SessionsOptions> = {}): Promise<{ session: Session; reasons: InvalidReason[] }> {
  const reasons: InvalidReason[] = [];
  const logs = captureLogs(); // unsafeAllowWeakSecret warns at every start-up
  try {
    const session = await sessionsFor(v, reasons, overrides).load(request(`session=${cookie}`));
    session.size; // verify now
    return { session, reasons };
  } finally {
    logs.restore();
  }
}

function expectVector(session: Session, v: Vector): void {
  const expected = expectedSession(v.session!);
  expect(session.isNew, v.name).toBe(false);
  expect(new Map(session.entries()), v.name).toStrictEqual(expected.data);
  expect(session.permanent, v.name).toBe(expected.permanent);
  expect(session.flashes({ withCategories: true }), v.name).toEqual(expected.flashes);
}

describe("b.11 Flask interoperability vectors", () => {
  test(`FL-01: every cookie real Flask made (${valid.length} vectors: nested, unicode, compressed, every tag, permanent and not) decodes to the documented values`, async () => {
    expect(valid.length).toBeGreaterThanOrEqual(40);
    expect(valid.filter((v) => v.cookie_value.startsWith(".")).length).toBeGreaterThanOrEqual(10);
    for (const v of valid) {
      const { session, reasons } = await loaded(v, v.cookie_value);
      expectVector(session, v);
      expect(reasons, v.name).toEqual([]);
    }
  });

  test("FL-02: vectors signed with a key now among the fallbacks are accepted, and re-issued under SECRET_KEY", async () => {
    const rotated = valid.filter((v) => v.signed_with !== undefined);
    expect(rotated.length).toBeGreaterThanOrEqual(2);
    for (const v of rotated) {
      const { session, reasons } = await loaded(v, v.cookie_value);
      expectVector(session, v);
      expect(reasons).toEqual([]);
      const logs = captureLogs();
      const response = await sessionsFor(v, []).handle((_r, s) => (s.get("x"), new Response("ok")))(request(`session=${v.cookie_value}`));
      logs.restore();
      const reissued = valueOf(response.headers.getSetCookie(), "session")!;
      expectVector((await loaded(v, reissued, { secret: v.secret_key })).session, v);
      // Without the fallback, the old cookie is refused.
      expect((await loaded(v, v.cookie_value, { secret: v.secret_key })).reasons).toEqual(["bad_signature"]);
    }
  });

  test("FL-04: every valid vector mutated at every position (replaced, bit-flipped) and per ENC-* (percent, quotes, padding, pad bits, appended bytes) is rejected (Flask's side: test/interop)", async () => {
    let mutants = 0;
    for (const v of valid) {
      const token = v.cookie_value;
      const variants = new Set<string>();
      for (let i = 0; i < token.length; i++) {
        variants.add(replaceAt(token, i));
        variants.add(token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ 1) + token.slice(i + 1));
      }
      const sig = token.slice(token.lastIndexOf(".") + 1);
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      for (const extra of [
        token.replaceAll(".", "%2E"),
        `"${token}"`,
        `${token}=`,
        `${token}X`,
        token.slice(0, -1),
        token.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1], // other pad bits: same bytes
        token.startsWith(".") ? token.slice(1) : `.${token}`, // the compression marker
        `${token.slice(0, token.lastIndexOf("."))}.${sig.toUpperCase()}`,
      ])
        variants.add(extra);
      variants.delete(token);
      for (const mutant of variants) {
        const { session } = await loaded(v, mutant);
        expect(session.isNew, `${v.name}: ${mutant}`).toBe(true);
        expect(session.size).toBe(0);
        mutants++;
      }
    }
    expect(mutants).toBeGreaterThan(5000);
  });

  test("FL-05: Flask vectors older than the lifetime (PERMANENT_SESSION_LIFETIME as max age) or from the future are ANON", async () => {
    const old = all.vectors.filter((v) => v.reason === "expired" || v.reason === "future_timestamp");
    expect(old.length).toBeGreaterThanOrEqual(3);
    for (const v of old) {
      const { session, reasons } = await loaded(v, v.cookie_value);
      expect([session.isNew, session.size, reasons], v.name).toEqual([true, 0, ["expired"]]);
    }
    // The boundary vector: age == max_age still loads, one second later it does not.
    const boundary = valid.find((v) => v.name === "max_age_boundary_equal")!;
    expectVector((await loaded(boundary, boundary.cookie_value)).session, boundary);
    expect((await loaded({ ...boundary, now: boundary.now + 1 }, boundary.cookie_value)).reasons).toEqual(["expired"]);
  });

  test("FL-06: a Flask vector with a weak legacy key works only under unsafeAllowWeakSecret, which warns at start-up without printing the key", async () => {
    const v = valid.find((x) => x.name === "short_secret")!;
    expect(() => createSessions({ format: "flask", secret: v.secret_key })).toThrow(/set unsafeAllowWeakSecret: true/);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const sessions = createSessions({ format: "flask", secret: v.secret_key, unsafeAllowWeakSecret: true, lifetime: v.max_age, now: () => v.now * 1000 });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/WARNING: unsafeAllowWeakSecret is on/);
      // (The vector's key is a single character; a longer weak key is checked in sessions.test.ts.)
      if (v.secret_key.length >= 4) expect(String(warn.mock.calls[0]![0])).not.toContain(v.secret_key);
      expect(String(warn.mock.calls[0]![0])).toMatch(/the secret is too short: \d+ bytes/);
      const session = await sessions.load(request(`session=${v.cookie_value}`));
      expectVector(session, v);
    } finally {
      warn.mockRestore();
    }
  });

  test("FL-07: non-canonical encodings Python's lenient decoder accepts (padded, junk characters, other pad bits) are refused; their canonical form loads (documented divergence)", async () => {
    expect(all.lenient_vectors.length).toBeGreaterThanOrEqual(3);
    for (const v of all.lenient_vectors) {
      const lenient = await loaded(v, v.cookie_value);
      expect([lenient.session.isNew, lenient.reasons], v.name).toEqual([true, ["bad_signature"]]);
      expectVector((await loaded(v, v.canonical_cookie_value!)).session, v);
    }
  });
});
