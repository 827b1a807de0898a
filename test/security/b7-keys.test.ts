// Security bar b.7 (key rotation and key handling), every case by its id. Secrets sign cookies;
// a store's ids are random and unsigned, so rotation applies to the cookie formats. KR-07
// (how many verifications and key imports a request costs) is in comparison-spy.test.ts.

import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { SessionError, createSessions } from "../../src/index.ts";
import { derived, envelope, sealedToken, signedToken } from "./forge.ts";
import { COOKIE_MODES, OLD_SECRET, T0S, TEST_SECRET, Target, valueOf } from "./target.ts";

const NEWER = "Qm4Zt8Wc2Lp6Rv0Xn3Hk7Jd1Bf5Gs9Ya_Ue-Oi";
const OLDEST = "Np5Xr1Tg7Kc3Wm9Zs2Hv6Ld0Qb4Jf8Ye_Ua-Io";

/** The key id a token names (signed: second part; sealed: second part). */
function kidOf(token: string): string {
  return token.split(".")[1]!;
}

describe("b.7 key rotation and key handling", () => {
  test.each(COOKIE_MODES)("KR-01: a cookie of K0 is accepted under [K+1, K0, K-1]; once K0 is removed it is ANON [%s]", async (mode) => {
    const k0 = await new Target(mode).issue({ user: "ada" });
    const rotated = new Target(mode, { secret: [NEWER, TEST_SECRET, OLDEST] });
    await rotated.accepts(rotated.pair(k0), { user: "ada" });
    const removed = new Target(mode, { secret: [NEWER, OLDEST] });
    await removed.anon(removed.pair(k0), { reason: "bad_signature" });
  });

  test.each(COOKIE_MODES)("KR-02: every newly issued cookie verifies under the newest key alone [%s]", async (mode) => {
    const rotated = new Target(mode, { secret: [NEWER, TEST_SECRET, OLDEST] });
    const fresh = await rotated.issue({ user: "ada" });
    const newest = new Target(mode, { secret: NEWER });
    await newest.accepts(newest.pair(fresh), { user: "ada" });
    if (mode !== "flask") expect(kidOf(fresh)).toBe(derived(NEWER, mode === "signed" ? "websession/sign/v1" : "websession/seal/v1").kid);
    for (const old of [TEST_SECRET, OLDEST]) {
      const t = new Target(mode, { secret: old });
      await t.anon(t.pair(fresh), { reason: "bad_signature" });
    }
  });

  test.each(COOKIE_MODES)(
    "KR-03: a cookie verified by a fallback is re-issued under the newest key when modified, and also when only read (eager re-sign, documented) [%s]",
    async (mode) => {
      const k0 = await new Target(mode).issue({ user: "ada" });
      const rotated = new Target(mode, { secret: [NEWER, TEST_SECRET] });
      const newest = new Target(mode, { secret: NEWER });
      for (const handler of [(s: import("../../src/index.ts").Session) => s.set("x", 1), (s: import("../../src/index.ts").Session) => void s.get("user")]) {
        const response = await rotated.run(handler, rotated.pair(k0));
        const reissued = valueOf(response.headers.getSetCookie(), "session");
        expect(reissued, `${mode}: re-issued`).toBeTruthy();
        const seen = await newest.read(newest.pair(reissued!));
        expect([seen.isNew, seen.data.user]).toEqual([false, "ada"]);
      }
      // Once current, reading it again writes nothing.
      const current = await rotated.issue({ user: "ada" });
      expect((await rotated.read(rotated.pair(current))).setCookie).toEqual([]);
    },
  );

  test("KR-04: sealed: an unknown key id is ANON with the same reason as a bad tag", async () => {
    const t = new Target("sealed");
    const token = await t.issue();
    const parts = token.split(".");
    const unknown = [...parts];
    unknown[1] = parts[1] === "AAAAAA" ? "BBBBBB" : "AAAAAA";
    const badTag = [...parts];
    const sealed = Buffer.from(parts[4]!, "base64url");
    sealed[sealed.length - 1]! ^= 1;
    badTag[4] = sealed.toString("base64url");
    await t.anon(t.pair(unknown.join(".")), { reason: "bad_signature" });
    await t.anon(t.pair(badTag.join(".")), { reason: "bad_signature" });
    // Even sealed under the current key but naming an unknown id: the id is in the AAD.
    await t.anon(t.pair(sealedToken(TEST_SECRET, "session", envelope({ user: "ada" }, T0S), { kid: unknown[1] })), { reason: "bad_signature" });
  });

  test("KR-05: a key id changed to another id of the key set is ANON: the id is bound in the MAC and the AAD [signed, sealed]", async () => {
    for (const mode of ["signed", "sealed"] as const) {
      const label = mode === "signed" ? "websession/sign/v1" : "websession/seal/v1";
      const t = new Target(mode, { secret: [TEST_SECRET, OLD_SECRET] });
      const token = await t.issue();
      expect(kidOf(token)).toBe(derived(TEST_SECRET, label).kid);
      const swapped = token.replace(`.${derived(TEST_SECRET, label).kid}.`, `.${derived(OLD_SECRET, label).kid}.`);
      expect(swapped).not.toBe(token);
      await t.anon(t.pair(swapped), { reason: "bad_signature" });
    }
    // signed, with the MAC made under the current key but naming the fallback's id.
    const t = new Target("signed", { secret: [TEST_SECRET, OLD_SECRET] });
    await t.anon(t.pair(signedToken(TEST_SECRET, "session", envelope({ user: "ada" }, T0S), { kid: derived(OLD_SECRET, "websession/sign/v1").kid })), {
      reason: "bad_signature",
    });
  });

  test("KR-06: more than 4 fallbacks, or a fallback that fails the secret policy, is a CONFIG-ERROR", () => {
    const five = [TEST_SECRET, OLD_SECRET, NEWER, OLDEST, "Hb2Vn6Rx0Lk4Pt8Zc1Wq5Jm9Gd3Sf7Ye-Ua_Io"];
    expect(() => createSessions({ secret: five })).not.toThrow();
    expect(() => createSessions({ secret: [...five, "Zk8Pq2Wx6Nc0Rt4Lm7Hv1Jd5Gb9Sf3Ye_Ua-Io"] })).toThrow(/option secret lists 6 secrets; at most 5/);
    // The last: 32 bytes of UTF-8 but 16 characters, about 104 bits by the policy's estimate.
    for (const weak of [
      "short",
      "changeme-changeme-changeme-changeme",
      "a".repeat(64),
      "0123456789abcdef0123456789abcdef",
      "\u00e9\u00e0\u00fc\u00f6\u00e7\u00f1\u00df\u00f8\u00e5\u00e6\u0153\u00ee\u00ef\u00f4\u00fb\u00eb",
    ]) {
      let error: unknown;
      try {
        createSessions({ secret: [TEST_SECRET, weak] });
      } catch (e) {
        error = e;
      }
      expect(error, weak).toBeInstanceOf(SessionError);
      expect((error as SessionError).code).toBe("weak_secret");
      expect((error as SessionError).message).toMatch(/^option secret\[1\] /);
    }
  });

  test("KR-08: one secret, separate HKDF keys per purpose: a signed cookie is ANON to a sealed app and back; equal secrets twice are a CONFIG-ERROR", async () => {
    const sign = derived(TEST_SECRET, "websession/sign/v1");
    const seal = derived(TEST_SECRET, "websession/seal/v1");
    expect(sign.key.equals(seal.key)).toBe(false);
    expect(sign.kid).not.toBe(seal.kid);
    const signed = new Target("signed");
    const sealed = new Target("sealed");
    await sealed.anon(sealed.pair(await signed.issue()), { reason: "malformed" });
    await signed.anon(signed.pair(await sealed.issue()), { reason: "malformed" });
    // A sealed token made with the signing key (the keys swapped) does not open.
    await sealed.anon(sealed.pair(sealedToken(TEST_SECRET, "session", envelope({ user: "ada" }, T0S), { masterKey: sign.key, kid: seal.kid })), {
      reason: "bad_signature",
    });
    expect(() => createSessions({ secret: [TEST_SECRET, TEST_SECRET] })).toThrow(/the same secret twice/);
    expect(() => createSessions({ secret: [TEST_SECRET, new TextEncoder().encode(TEST_SECRET)] })).toThrow(/the same secret twice/);
  });

  test.each(COOKIE_MODES)("KR-09: a secret given as text and as its UTF-8 bytes derives the same keys (UTF-8, no normalisation) [%s]", async (mode) => {
    const text = "Zo\u00eb-q7Vd2LmZxR9pTc4WbN8sKf3HjY6gAe1UoQ5i";
    const bytes = new TextEncoder().encode(text);
    const fromText = await new Target(mode, { secret: text }).issue({ user: "ada" });
    const t = new Target(mode, { secret: bytes });
    await t.accepts(t.pair(fromText), { user: "ada" });
    // The NFD spelling of the same text is another secret.
    const nfd = new Target(mode, { secret: text.normalize("NFD") });
    expect(text.normalize("NFD")).not.toBe(text);
    await nfd.anon(nfd.pair(fromText), { reason: "bad_signature" });
  });
});
