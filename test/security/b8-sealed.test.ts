// Security bar b.8 (encrypted cookies, AES-GCM), every case by its id, through createSessions
// with format "sealed"; node:crypto opens and seals independently (forge.ts).

import { Buffer } from "node:buffer";
import { createDecipheriv, hkdfSync } from "node:crypto";
import { afterEach, describe, expect, test, vi } from "vitest";
import { sealedCodec } from "../../src/codecs/sealed.ts";
import { derived, envelope, sealedToken } from "./forge.ts";
import { distinctSealParts, nobleDecrypt } from "./sealed-helpers.ts";
import { OLD_SECRET, T0S, TEST_SECRET, Target, valueOf } from "./target.ts";

// @noble/ciphers' AES-GCM (the sealed engine off workerd), with its decryptions counted.
vi.mock("@noble/ciphers/aes.js", async (importOriginal) => (await import("./sealed-helpers.ts")).countingAes(await importOriginal()));

afterEach(() => {
  vi.restoreAllMocks();
});

/** `token` with the decoded bytes of part `index` changed by `change`. */
function withPart(token: string, index: number, change: (bytes: Buffer) => Buffer): string {
  const parts = token.split(".");
  parts[index] = change(Buffer.from(parts[index]!, "base64url")).toString("base64url");
  return parts.join(".");
}

/** Opens a token with node:crypto: the per-cookie key is HKDF(sealKey, salt). */
function open(token: string, cookieName = "session"): string {
  const [, kid, saltText, ivText, sealedText] = token.split(".");
  const { key } = derived(TEST_SECRET, "websession/seal/v1");
  const cookieKey = Buffer.from(hkdfSync("sha256", key, Buffer.from(saltText!, "base64url"), "websession/seal/v1/cookie-key", 32));
  const sealed = Buffer.from(sealedText!, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", cookieKey, Buffer.from(ivText!, "base64url"), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(`${cookieName}\u0000v1.${kid}.${saltText}.${ivText}`));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString();
}

describe("b.8 encrypted cookies (AES-GCM)", () => {
  test("AE-01: identical data sealed 2,000 times: no IV, salt or ciphertext repeats, and each seal draws a fresh 16-byte salt and 12-byte IV from crypto.getRandomValues (10^4 in test/codecs/sealed.test.ts)", async () => {
    const codec = sealedCodec([TEST_SECRET], "session");
    await codec.ready;
    const state = { data: new Map([["user", "ada"]]), flashes: [], permanent: false, created: T0S, lastActive: T0S };
    const random = vi.spyOn(crypto, "getRandomValues");
    const n = 2000;
    const distinct = await distinctSealParts(() => codec.encode(state), n);
    expect([distinct.ivs, distinct.salts, distinct.bodies]).toEqual([n, n, n]);
    const sizes = random.mock.calls.map(([array]) => (array as Uint8Array).length);
    expect(sizes.filter((size) => size === 16)).toHaveLength(n);
    expect(sizes.filter((size) => size === 12)).toHaveLength(n);
    expect(sizes).toHaveLength(2 * n);
  });

  test("AE-02: flipping any bit of any byte of version, key id, salt, IV, ciphertext or tag is ANON", async () => {
    const t = new Target("sealed");
    const token = await t.issue({ user: "ada", role: "user" });
    for (const version of ["v2", "v0", "V1", "w1", "v1 "]) await t.anon(t.pair(version + token.slice(2)), { label: version });
    for (let index = 1; index <= 4; index++) {
      const length = Buffer.from(token.split(".")[index]!, "base64url").length;
      for (let byte = 0; byte < length; byte++) {
        for (const bit of [0x01, 0x80]) {
          const tampered = withPart(token, index, (b) => ((b[byte] = b[byte]! ^ bit), b));
          await t.anon(t.pair(tampered), { reason: "bad_signature", label: `part ${index} byte ${byte} bit ${bit}` });
        }
      }
    }
  });

  test("AE-03: a tag shorter than 16 bytes, a ciphertext shorter than a tag, empty parts, an IV of 8 or 16 bytes are ANON, never an exception", async () => {
    const t = new Target("sealed");
    const token = await t.issue();
    const sealedLength = Buffer.from(token.split(".")[4]!, "base64url").length;
    for (const cut of [1, 4, 15, sealedLength - 15, sealedLength - 1, sealedLength]) {
      await t.anon(t.pair(withPart(token, 4, (b) => b.subarray(0, b.length - cut))), { label: `cut ${cut}` });
    }
    for (const n of [0, 8, 11, 13, 16]) await t.anon(t.pair(withPart(token, 3, () => Buffer.alloc(n, 7))), { reason: "malformed", label: `IV ${n}` });
    for (const n of [0, 15, 17, 32]) await t.anon(t.pair(withPart(token, 2, () => Buffer.alloc(n, 7))), { reason: "malformed", label: `salt ${n}` });
    for (const empty of ["v1....", "v1.AAAAAA...", `${token.slice(0, token.lastIndexOf("."))}.`, "....."]) await t.anon(t.pair(empty), { reason: "malformed" });
  });

  test("AE-04: wrong key, bad tag and bad JSON behind a good tag: the same outcome and reason, after the same work (one decryption)", async () => {
    const t = new Target("sealed");
    const token = await t.issue();
    const cases = {
      "wrong key": await new Target("sealed", { secret: OLD_SECRET }).issue(),
      "bad tag": withPart(token, 4, (b) => ((b[b.length - 1] = b[b.length - 1]! ^ 1), b)),
      "unknown key id": token.replace(/^v1\.[^.]+/, "v1.AAAAAA"),
      "bad JSON": sealedToken(TEST_SECRET, "session", "{not json"),
      "bad UTF-8": sealedToken(TEST_SECRET, "session", Buffer.from([0x7b, 0xff, 0x7d])),
      "bad envelope": sealedToken(TEST_SECRET, "session", '{"c":1,"a":1,"d":[]}'),
    };
    const decrypt = vi.spyOn(crypto.subtle, "decrypt");
    for (const [what, bad] of Object.entries(cases)) {
      decrypt.mockClear();
      nobleDecrypt.calls = 0;
      await t.anon(t.pair(bad), { reason: "bad_signature", label: what });
      // anon() loads the cookie twice (a reading and a writing request), and reads back the new one.
      expect(decrypt.mock.calls.length + nobleDecrypt.calls, what).toBe(3);
    }
  });

  test("AE-05: a cookie sealed for name A and presented as name B is ANON (the name is in the AAD)", async () => {
    const a = new Target("sealed", { cookie: { name: "a" } });
    const b = new Target("sealed", { cookie: { name: "b" } });
    const token = await a.issue({ user: "ada" });
    expect(open(token, "a")).toContain('"user":"ada"');
    expect(() => open(token, "b")).toThrow();
    await b.anon(b.pair(token), { reason: "bad_signature" });
  });

  test("AE-06: two sessions of equal length but very different redundancy seal to equal lengths; there is no compression option", async () => {
    const t = new Target("sealed");
    const redundant = await t.issue({ v: "a".repeat(2000) });
    const random = await t.issue({ v: Buffer.from(crypto.getRandomValues(new Uint8Array(1500))).toString("base64url") });
    expect(redundant.length).toBe(random.length);
    expect(() => new Target("sealed", { compress: true } as never)).toThrow(/option compress is unknown/);
  });

  test("AE-07: each seal uses its own AES key, HKDF(sealKey, random 128-bit salt): the salt is fresh and the key opens only its own cookie", async () => {
    const t = new Target("sealed");
    const one = await t.issue({ user: "ada" });
    const two = await t.issue({ user: "ada" });
    expect(one.split(".")[2]).not.toBe(two.split(".")[2]);
    expect(open(one)).toBe(envelope({ user: "ada" }, T0S));
    // Another cookie's salt with this cookie's IV and ciphertext: a different key, no plaintext.
    const parts = one.split(".");
    parts[2] = two.split(".")[2]!;
    expect(() => open(parts.join("."))).toThrow();
    await t.anon(t.pair(parts.join(".")), { reason: "bad_signature" });
  });

  test("AE-08: the emitted cookie holds no fragment of the plaintext", async () => {
    const t = new Target("sealed");
    const response = await t.run((s) => {
      s.update({ user: "ada-lovelace", role: "administrator", email: "ada@example.com" });
      s.flash("welcome back");
    });
    const value = valueOf(response.headers.getSetCookie(), "session")!;
    const bytes = Buffer.from(value.split(".")[4]!, "base64url").toString("latin1");
    for (const fragment of ['{"', "ada-lovelace", "administrator", "ada@example.com", "welcome", "user", "role", "eyJ", String(T0S), "message"]) {
      expect(value).not.toContain(fragment);
      expect(bytes).not.toContain(fragment);
    }
  });
});
