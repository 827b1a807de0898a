// Security bar b.1 (signature / MAC), every case by its id, in every mode it applies to:
// signed, sealed, flask and server-side (an id in a memory store). SIG-11, SIG-12 and SIG-15
// (spies on the comparison path, timing) are in comparison-spy.test.ts.

import { Buffer } from "node:buffer";
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { createSessions, memoryStore } from "../../src/index.ts";
import type { InvalidReason } from "../../src/index.ts";
import { b64, derived, envelope, flaskToken, sealedToken, signedToken } from "./forge.ts";
import { COOKIE_MODES, MODES, OLD_SECRET, T0S, TEST_SECRET, Target, replaceAt } from "./target.ts";
import type { Mode } from "./target.ts";

// What a mutated token may be rejected as, per mode (never accepted).
const REJECTED: Record<Mode, readonly InvalidReason[]> = {
  signed: ["malformed", "bad_signature"],
  sealed: ["malformed", "bad_signature"],
  flask: ["malformed", "bad_signature"],
  store: ["malformed", "unknown_id"],
};

/** The part of a token that carries the signature, MAC or tag (the whole id for a store). */
function signaturePart(mode: Mode, token: string): { before: string; signature: string } {
  const cut = mode === "store" ? 0 : token.lastIndexOf(".") + 1;
  return { before: token.slice(0, cut), signature: token.slice(cut) };
}

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
}

describe("b.1 signature / MAC", () => {
  test.each(MODES)("SIG-01: every byte position of every part, replaced or bit-flipped, is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue({ user: "ada", role: "user" });
    let cases = 0;
    for (let i = 0; i < token.length; i++) {
      for (const mutated of [
        replaceAt(token, i),
        replaceAt(token, i, 17),
        token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ 1) + token.slice(i + 1),
      ]) {
        if (mutated === token) continue;
        await t.anon(t.pair(mutated), { reason: REJECTED[mode], label: `position ${i}: ${mutated}` });
        cases++;
      }
    }
    expect(cases).toBeGreaterThanOrEqual(token.length * 3 - 3);
  });

  test.each(MODES)("SIG-02: the signature upper-cased, lower-cased or case-swapped is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const { before, signature } = signaturePart(mode, token);
    const variants = new Set([signature.toUpperCase(), signature.toLowerCase(), swapCase(signature)].filter((s) => s !== signature));
    expect(variants.size).toBeGreaterThan(0);
    for (const s of variants) await t.anon(t.pair(before + s), { reason: REJECTED[mode] });
    await t.anon(t.pair(token.toUpperCase()), { reason: REJECTED[mode] });
  });

  test.each(MODES)("SIG-03: the signature truncated by one character, or empty, is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const { before, signature } = signaturePart(mode, token);
    await t.anon(t.pair(before + signature.slice(0, -1)), { reason: REJECTED[mode] });
    await t.anon(t.pair(before), { reason: REJECTED[mode] });
    await t.anon(t.pair(token.slice(0, -2)), { reason: REJECTED[mode] });
  });

  test.each(MODES)("SIG-04: bytes appended after the signature (sigXYZ, sig.x, sig=) never verify [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    for (const suffix of ["X", "XYZ", ".x", "=", "==", ".", "A", "AAAA", "%00", "\\"]) {
      await t.anon(t.pair(token + suffix), { reason: REJECTED[mode] });
    }
  });

  test.each(MODES)("SIG-05: separator games (no dot, only dots, leading, doubled, extra dots) are ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const variants = new Set([
      "",
      ".",
      "..",
      "...",
      "....",
      ".....",
      token.replaceAll(".", ""),
      `.${token}`,
      `${token}.`,
      token.replaceAll(".", ".."),
      `..${token}`,
    ]);
    for (let i = 0; i < token.length; i++) if (token[i] === ".") variants.add(`${token.slice(0, i)}.${token.slice(i)}`);
    // Moving a part boundary: the same characters, cut elsewhere.
    for (let i = 0; i < token.length; i++) {
      if (token[i] !== ".") continue;
      if (i > 1) variants.add(`${token.slice(0, i - 1)}.${token[i - 1]}${token.slice(i + 1)}`);
      if (i + 2 < token.length) variants.add(`${token.slice(0, i)}${token[i + 1]}.${token.slice(i + 2)}`);
    }
    variants.delete(token);
    for (const v of variants) await t.anon(t.pair(v), { reason: REJECTED[mode], label: v });
  });

  test.each(MODES)("SIG-06: a cookie from another secret, or the same secret for another purpose, is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const other = new Target(mode, { secret: OLD_SECRET });
    await t.anon(t.pair(await other.issue()), { reason: mode === "store" ? "unknown_id" : "bad_signature" });
    const json = envelope({ user: "admin" }, T0S);
    const signKid = derived(TEST_SECRET, "websession/sign/v1").kid;
    const purposes: Record<Mode, string[]> = {
      // The secret itself as the HMAC key; the sealing label's key; HKDF without the salt.
      signed: [
        signedWithKey(Buffer.from(TEST_SECRET), signKid, json),
        signedWithKey(derived(TEST_SECRET, "websession/seal/v1").key, signKid, json),
        signedWithKey(Buffer.from(hkdfSync("sha256", TEST_SECRET, "", "websession/sign/v1", 32)), signKid, json),
      ],
      // Sealed under the signing label's key instead of the sealing one.
      sealed: [sealedToken(TEST_SECRET, "session", json, { masterKey: derived(TEST_SECRET, "websession/sign/v1").key })],
      // itsdangerous's own default salt, and Flask's salt with the django-concat derivation.
      flask: [
        flaskToken(TEST_SECRET, '{"user":"admin"}', T0S, { salt: "itsdangerous" }),
        flaskToken(TEST_SECRET, '{"user":"admin"}', T0S, { salt: "itsdangerous.Signer" }),
      ],
      // A well-formed id minted by another store: never adopted.
      store: [await new Target("store").issue()],
    };
    for (const token of purposes[mode]) await t.anon(t.pair(token), { reason: REJECTED[mode] });
  });

  test("SIG-07: only the configured digest verifies: SHA-1 to the SHA-256 formats, SHA-256 to flask [signed, sealed, flask]", async () => {
    const json = envelope({ user: "admin" }, T0S);
    const signed = new Target("signed");
    await signed.anon(signed.pair(signedToken(TEST_SECRET, "session", json, { digest: "sha1" })), { reason: "malformed" });
    const sealed = new Target("sealed");
    await sealed.anon(sealed.pair(signedToken(TEST_SECRET, "session", json, { digest: "sha1" })), { reason: "malformed" });
    const flask = new Target("flask");
    await flask.anon(flask.pair(flaskToken(TEST_SECRET, '{"user":"admin"}', T0S, { digest: "sha256" })), { reason: "bad_signature" });
    // The control: the SHA-1 itsdangerous cookie of the same data loads.
    await flask.accepts(flask.pair(flaskToken(TEST_SECRET, '{"user":"admin"}', T0S)), { user: "admin" });
  });

  test.each(MODES)("SIG-08: a signature of the right length made of 'A' (zero bytes) or of one other character is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const token = await t.issue();
    const { before, signature } = signaturePart(mode, token);
    const n = signature.length;
    const fakes = ["A".repeat(n), "_".repeat(n - 1) + "w", "0".repeat(n), "-".repeat(n - 1) + "A"];
    if (mode === "sealed") {
      // The tag (last 16 bytes of the sealed part) all zero, the ciphertext kept.
      const sealed = Buffer.from(signature, "base64url");
      sealed.fill(0, sealed.length - 16);
      fakes.push(sealed.toString("base64url"));
    }
    for (const fake of fakes) await t.anon(t.pair(before + fake), { reason: REJECTED[mode] });
  });

  test.each(MODES)("SIG-09: the payload of one valid cookie spliced with the signature of another is ANON [%s]", async (mode) => {
    const t = new Target(mode);
    const a = await t.issue({ user: "victim" });
    const b = await t.issue({ user: "attacker", role: "admin" });
    const splices: string[] = [];
    if (mode === "store") {
      splices.push(a.slice(0, 21) + b.slice(21), b.slice(0, 21) + a.slice(21));
    } else {
      const pa = a.split(".");
      const pb = b.split(".");
      // Every way of taking each part from one cookie or the other, except the two originals.
      for (let mask = 1; mask < 2 ** pa.length - 1; mask++) {
        if (pa.length !== pb.length) break;
        splices.push(pa.map((part, i) => (mask & (1 << i) ? pb[i] : part)).join("."));
      }
      splices.push(`${signaturePart(mode, a).before}${signaturePart(mode, b).signature}`);
    }
    for (const splice of new Set(splices)) if (splice !== a && splice !== b) await t.anon(t.pair(splice), { reason: REJECTED[mode] });
  });

  test("SIG-10: a cookie issued under name X and replayed under name Y is ANON: the name is in the MAC / AAD [signed, sealed]", async () => {
    for (const mode of ["signed", "sealed"] as const) {
      const x = new Target(mode, { cookie: { name: "x" } });
      const y = new Target(mode, { cookie: { name: "y" } });
      const token = await x.issue({ user: "ada" });
      await y.anon(y.pair(token), { reason: "bad_signature" });
      await x.accepts(x.pair(token), { user: "ada" });
    }
  });

  test("SIG-10: flask and store: Flask's cookie does not bind the name (itsdangerous's salt is fixed), a store id is bound to its store, not its name (pinned) [flask, store]", async () => {
    // Flask compatibility: the same bytes Flask writes, so no name can be added (docs/flask.md).
    const x = new Target("flask", { cookie: { name: "x" } });
    const y = new Target("flask", { cookie: { name: "y" } });
    await y.accepts(y.pair(await x.issue({ user: "ada" })), { user: "ada" });
    // Server-side: two session managers with their own stores never share an id...
    const sx = new Target("store", { cookie: { name: "x" } });
    const sy = new Target("store", { cookie: { name: "y" } });
    await sy.anon(sy.pair(await sx.issue({ user: "ada" })), { reason: "unknown_id" });
    // ...while managers sharing one store share its sessions, whatever the cookie's name.
    const shared = memoryStore();
    const a = new Target("store", { cookie: { name: "a" } }, { store: shared });
    const b = new Target("store", { cookie: { name: "b" } }, { store: shared });
    await b.accepts(b.pair(await a.issue({ user: "ada" })), { user: "ada" });
  });

  test("SIG-13: an empty key, algorithm: 'none' or an unknown algorithm is a CONFIG-ERROR; an algorithm named in a token is ignored", async () => {
    for (const secret of ["", new Uint8Array(0), [""], [TEST_SECRET, ""]]) {
      expect(() => createSessions({ secret: secret as never }), JSON.stringify(secret)).toThrow(/option secret(\[\d\])? is empty/);
    }
    expect(() => createSessions({ secret: TEST_SECRET, format: (() => "none") as never })).toThrow(/option format is invalid: a function/);
    for (const algorithm of ["none", "HS256", "sha1", "RS256"]) {
      expect(() => createSessions({ secret: TEST_SECRET, algorithm } as never)).toThrow(/option algorithm is unknown/);
      expect(() => createSessions({ secret: TEST_SECRET, digest: algorithm } as never)).toThrow(/option digest is unknown/);
    }
    // Tokens that name an algorithm: as a key id, as an envelope field, or JWT-shaped.
    const t = new Target("signed");
    const header = b64('{"alg":"none","typ":"JWT"}');
    for (const token of [
      `${b64(envelope({ user: "admin" }, T0S))}.none__.`,
      `${b64(envelope({ user: "admin" }, T0S))}.HS256_.${"A".repeat(43)}`,
      `${header}.${b64('{"user":"admin"}')}.`,
      `${b64(envelope({ user: "admin" }, T0S, T0S, ',"alg":"none"'))}.${derived(TEST_SECRET, "websession/sign/v1").kid}.`,
    ]) {
      await t.anon(t.pair(token), { reason: REJECTED.signed });
    }
    // A validly signed envelope that carries an "alg" field: the field is ignored, not obeyed.
    const withAlg = signedToken(TEST_SECRET, "session", envelope({ user: "ada" }, T0S, T0S, ',"alg":"none","kid":"x"'));
    await t.accepts(t.pair(withAlg), { user: "ada" });
  });

  test("SIG-14: a second app sharing the secret under another label (cookie name or format) cannot hand over its cookies", async () => {
    // websession's label is the cookie name (signed, sealed) and the format: each pair is ANON.
    for (const from of COOKIE_MODES) {
      for (const to of COOKIE_MODES) {
        if (from === to) continue;
        const token = await new Target(from).issue({ user: "other-app" });
        const t = new Target(to);
        await t.anon(t.pair(token), { reason: REJECTED[to], label: `${from} -> ${to}` });
      }
    }
    const app2 = new Target("signed", { cookie: { name: "app2_session" } });
    const app1 = new Target("signed");
    await app1.anon(app1.pair(await app2.issue({ user: "other-app" })), { reason: "bad_signature" });
  });

  test.each(MODES)("SIG-16: 1,000 random 43-character strings, and random token-shaped values, are all ANON: 0 accepted [%s]", async (mode) => {
    const t = new Target(mode);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const random = (n: number): string => [...randomBytes(n)].map((b) => alphabet[b & 63]).join("");
    const valid = await t.issue();
    const shapes = valid.split(".").map((part) => part.length);
    let accepted = 0;
    for (let n = 0; n < 1000; n++) {
      for (const value of [random(43), shapes.map((len) => random(len)).join(".")]) {
        const seen = await t.read(t.pair(value));
        if (!seen.isNew || Object.keys(seen.data).length > 0) accepted++;
      }
    }
    expect(accepted).toBe(0);
    // The full ANON outcome on a sample.
    for (let n = 0; n < 10; n++) await t.anon(t.pair(random(43)), { reason: REJECTED[mode] });
    await t.accepts(t.pair(valid), { user: "ada" });
  });
});

function signedWithKey(key: Buffer, kid: string, json: string): string {
  const text = `${b64(json)}.${kid}`;
  return `${text}.${createHmac("sha256", key).update(`session\u0000${text}`).digest("base64url")}`;
}
