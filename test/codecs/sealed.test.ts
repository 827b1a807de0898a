import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { beforeAll, describe, expect, test } from "vitest";
import { COOKIE_KEY_CACHE_SIZE, sealedCodec } from "../../src/codecs/sealed.ts";
import { serializeEnvelope } from "../../src/codecs/envelope.ts";
import { createSessions } from "../../src/index.ts";
import type { InvalidReason, Session } from "../../src/index.ts";
import { emptyState } from "../../src/session.ts";
import type { SessionState } from "../../src/session.ts";
import { OLD_SECRET, TEST_SECRET, clock, cookieOf, requestWith } from "../helpers.ts";
import { distinctSealParts } from "../security/sealed-helpers.ts";

const TOKEN = /^v1\.([A-Za-z0-9_-]{6})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

function state(data: Record<string, unknown>, extra: Partial<SessionState> = {}): SessionState {
  return { ...emptyState(), data: new Map(Object.entries(data)), created: 1_700_000_000, lastActive: 1_700_000_000, ...extra };
}

// The engine the codec-level suites run on; each runs once per engine (see the loop below).
let engine: "noble" | "webcrypto" = "noble";

async function ready(secrets: string[], name = "session"): Promise<ReturnType<typeof sealedCodec>> {
  const codec = sealedCodec(secrets, name, { cipher: engine });
  await codec.ready;
  return codec;
}

// An independent implementation of the format on node:crypto, to check ours against.
function masterKey(secret: string): { kid: string; key: Buffer } {
  const okm = Buffer.from(hkdfSync("sha256", secret, "websession/v1", "websession/seal/v1", 36));
  return { kid: okm.subarray(32, 36).toString("base64url").slice(0, 6), key: okm.subarray(0, 32) };
}

function cookieKey(master: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", master, salt, "websession/seal/v1/cookie-key", 32));
}

function referenceOpen(secret: string, cookieName: string, token: string): string {
  const [, kid, saltText, ivText, sealedText] = TOKEN.exec(token)!;
  const { key } = masterKey(secret);
  const sealed = Buffer.from(sealedText!, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", cookieKey(key, Buffer.from(saltText!, "base64url")), Buffer.from(ivText!, "base64url"), {
    authTagLength: 16,
  });
  decipher.setAAD(Buffer.from(`${cookieName}\u0000v1.${kid}.${saltText}.${ivText}`));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString();
}

function referenceSeal(secret: string, cookieName: string, plaintext: Uint8Array, kidOverride?: string): string {
  const { kid, key } = masterKey(secret);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = `v1.${kidOverride ?? kid}.${salt.toString("base64url")}.${iv.toString("base64url")}`;
  const cipher = createCipheriv("aes-256-gcm", cookieKey(key, salt), iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`${cookieName}\u0000${header}`));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${header}.${ciphertext.toString("base64url")}`;
}

function flip(bytes: Buffer, index: number, bit: number): Buffer {
  bytes[index] = bytes[index]! ^ bit;
  return bytes;
}

// Rebuilds a token with one decoded component changed.
function withPart(token: string, index: 1 | 2 | 3 | 4, change: (bytes: Buffer) => Buffer): string {
  const parts = token.split(".");
  parts[index] = change(Buffer.from(parts[index]!, "base64url")).toString("base64url");
  return parts.join(".");
}

for (const cipher of ["noble", "webcrypto"] as const)
  describe(`cipher: "${cipher}"`, () => {
    beforeAll(() => {
      engine = cipher;
    });

    describe(`sealed codec (${cipher}): format`, () => {
      test("the token layout, opened by an independent node:crypto implementation", async () => {
        const codec = await ready([TEST_SECRET]);
        const s = state({ user: "ada" }, { permanent: true, flashes: [["message", "hi"]] });
        const token = await codec.encode(s);
        const match = TOKEN.exec(token);
        expect(match).not.toBeNull();
        expect(match![1]).toBe(masterKey(TEST_SECRET).kid);
        // The sealed part is the envelope's bytes plus a 16-byte tag, nothing else.
        const envelope = serializeEnvelope(s);
        expect(Buffer.from(match![4]!, "base64url").length).toBe(Buffer.byteLength(envelope) + 16);
        expect(referenceOpen(TEST_SECRET, "session", token)).toBe(envelope);
      });

      test("a token sealed by the independent implementation opens, with every field", async () => {
        const codec = await ready([TEST_SECRET]);
        const envelope =
          '{"c":1700000000,"a":1700000001,"p":1,"n":"xyz","f":[["error","no"]],"d":{"__proto__":{"isAdmin":true},"😀":["\u00e9",{"deep":[null,true,1.5]}]}}';
        const back = (await codec.decode(referenceSeal(TEST_SECRET, "session", Buffer.from(envelope)))) as SessionState;
        expect(back).toEqual({
          data: new Map<string, unknown>([
            ["__proto__", { isAdmin: true }],
            ["😀", ["\u00e9", { deep: [null, true, 1.5] }]],
          ]),
          flashes: [["error", "no"]],
          permanent: true,
          created: 1_700_000_000,
          lastActive: 1_700_000_001,
          nonce: "xyz",
        });
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      });

      test("round trip through encode and decode", async () => {
        const codec = await ready([TEST_SECRET]);
        const s = state({ cart: ["a", "b"], n: 1 }, { nonce: "abc" });
        const back = (await codec.decode(await codec.encode(s))) as SessionState;
        expect(back).toEqual({ ...s, stale: undefined });
        expect(back.stale).toBeUndefined();
      });

      test("no compression and no plaintext in the cookie (AE-08)", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ user: "ada-lovelace", role: "administrator", email: "ada@example.com" }));
        // Fragments of 4+ characters: 2- and 3-character ones turn up in random bytes by chance.
        for (const fragment of ["ada-lovelace", "administrator", "ada@example.com", "user", "role", "1700000000"]) {
          expect(token).not.toContain(fragment);
          expect(Buffer.from(token.split(".")[4]!, "base64url").toString("latin1")).not.toContain(fragment);
        }
        // Not base64 JSON: a JSON object's base64 starts with "eyJ", its bytes with '{"'.
        expect(token.split(".")[4]!.startsWith("eyJ")).toBe(false);
        expect(Buffer.from(token.split(".")[4]!, "base64url").toString("latin1").startsWith('{"')).toBe(false);
      });

      test("equal-length plaintexts give equal-length cookies, however redundant (AE-06)", async () => {
        const codec = await ready([TEST_SECRET]);
        const redundant = "a".repeat(2000);
        const random = randomBytes(1500).toString("base64url");
        expect(random.length).toBe(redundant.length);
        const a = await codec.encode(state({ v: redundant }));
        const b = await codec.encode(state({ v: random }));
        expect(a.length).toBe(b.length);
        // and the length is exactly envelope + 16-byte tag, base64url, after a 50-character header
        expect(a.length).toBe(50 + Math.ceil(((serializeEnvelope(state({ v: redundant })).length + 16) * 4) / 3));
      });
    });

    describe(`sealed codec (${cipher}): randomness (AE-01, AE-07)`, () => {
      test("identical sessions seal to different cookies", async () => {
        const codec = await ready([TEST_SECRET]);
        const s = state({ user: "ada" });
        const [a, b] = [await codec.encode(s), await codec.encode(s)];
        expect(a).not.toBe(b);
        expect(a.split(".")[2]).not.toBe(b.split(".")[2]); // salt, so a different AES key
        expect(a.split(".")[3]).not.toBe(b.split(".")[3]); // IV
        expect(a.split(".")[4]).not.toBe(b.split(".")[4]);
      });

      test("10^4 seals of the same session: no repeated IV, salt or ciphertext", async () => {
        const codec = await ready([TEST_SECRET]);
        const s = state({ user: "ada" });
        const n = 10_000;
        const distinct = await distinctSealParts(() => codec.encode(s), n);
        expect(distinct.ivs).toBe(n);
        expect(distinct.salts).toBe(n);
        expect(distinct.bodies).toBe(n);
      });
    });

    describe(`sealed codec (${cipher}): every failure is an empty session, never an exception`, () => {
      test("replacing any character of the token is rejected (AE-02)", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ user: "ada", role: "user" }));
        for (let i = 0; i < token.length; i++) {
          for (const step of [1, 17, 40]) {
            const c = token[i]!;
            const other = ALPHABET[(ALPHABET.indexOf(c) + step) % ALPHABET.length]!;
            const result = await codec.decode!(token.slice(0, i) + other + token.slice(i + 1));
            expect(["malformed", "bad_signature"], `position ${i} -> ${other}`).toContain(result);
          }
        }
      });

      test("flipping any bit of any byte of key id, salt, IV, ciphertext or tag fails the tag (AE-02)", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ user: "ada" }));
        for (const index of [1, 2, 3, 4] as const) {
          const length = Buffer.from(token.split(".")[index]!, "base64url").length;
          for (let byte = 0; byte < length; byte++) {
            for (const bit of [0x01, 0x80]) {
              const tampered = withPart(token, index, (b) => flip(b, byte, bit));
              expect(await codec.decode!(tampered), `part ${index} byte ${byte} bit ${bit}`).toBe("bad_signature");
            }
          }
        }
      });

      test("the format version is bound: any other version is rejected", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ a: 1 }));
        for (const version of ["v2", "v0", "V1", "v", "v11", "", "1"]) {
          expect(await codec.decode!(`${version}${token.slice(2)}`), version).toBe("malformed");
        }
      });

      test("a cookie sealed for one name does not open under another (AE-05)", async () => {
        const a = await ready([TEST_SECRET], "a");
        const b = await ready([TEST_SECRET], "b");
        const token = await a.encode(state({ x: 1 }));
        expect(typeof (await a.decode!(token))).toBe("object");
        expect(await b.decode!(token)).toBe("bad_signature");
      });

      test("wrong key, unknown key id, another key's id, bad UTF-8 and bad JSON all give the same reason (AE-04, KR-04, KR-05)", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ x: 1 }));
        const rotated = await ready([TEST_SECRET, OLD_SECRET]);
        const oldKid = masterKey(OLD_SECRET).kid;
        const kid = masterKey(TEST_SECRET).kid;
        const unknownKid = kid === "AAAAAA" ? "BBBBBB" : "AAAAAA";
        const failures: Array<[string, string, ReturnType<typeof sealedCodec>]> = [
          ["wrong key", await (await ready([OLD_SECRET])).encode(state({ x: 1 })), codec],
          ["unknown kid", token.replace(`.${kid}.`, `.${unknownKid}.`), codec],
          ["another key's id", token.replace(`.${kid}.`, `.${oldKid}.`), rotated],
          [
            "unknown kid, sealed under the current key",
            referenceSeal(TEST_SECRET, "session", Buffer.from(serializeEnvelope(state({ x: 1 }))), unknownKid),
            codec,
          ],
          ["bad UTF-8", referenceSeal(TEST_SECRET, "session", new Uint8Array([0x7b, 0xff, 0x7d])), codec],
          ["lone surrogate bytes", referenceSeal(TEST_SECRET, "session", new Uint8Array([0xed, 0xa0, 0x80])), codec],
        ];
        const bodies = [
          "",
          "[1,2]",
          "null",
          '"s"',
          "{c:1}",
          '{"c":1,"a":1,"d":{}} x',
          "\ufeff{}",
          '{"c":1,"a":1,"d":[1]}',
          '{"c":-1,"a":1,"d":{}}',
          '{"c":1,"a":1,"d":{},"p":true}',
          '{"c":1,"a":1,"d":{},"f":[["m"]]}',
        ];
        for (const body of bodies) failures.push([`bad envelope ${body}`, referenceSeal(TEST_SECRET, "session", Buffer.from(body)), codec]);
        for (const [what, bad, decoder] of failures) expect(await decoder.decode!(bad), what).toBe("bad_signature");
        // The control: the same construction with a good envelope opens.
        expect(typeof (await codec.decode!(referenceSeal(TEST_SECRET, "session", Buffer.from('{"c":1,"a":1,"d":{}}'))))).toBe("object");
      });

      test("truncated tag, ciphertext shorter than a tag, empty parts, IV or salt of the wrong length (AE-03)", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ x: 1 }));
        const sealedLength = Buffer.from(token.split(".")[4]!, "base64url").length;
        // Cutting bytes off the end: a shorter tag never verifies; under 16 bytes there is no tag at all.
        for (let cut = 1; cut <= sealedLength; cut++) {
          const result = await codec.decode!(withPart(token, 4, (b) => b.subarray(0, b.length - cut)));
          expect(result, `cut ${cut}`).toBe(sealedLength - cut < 16 ? "malformed" : "bad_signature");
        }
        for (const n of [0, 8, 11, 13, 16]) {
          expect(await codec.decode!(withPart(token, 3, () => randomBytes(n))), `IV of ${n} bytes`).toBe("malformed");
        }
        for (const n of [0, 12, 15, 17, 32]) {
          expect(await codec.decode!(withPart(token, 2, () => randomBytes(n))), `salt of ${n} bytes`).toBe("malformed");
        }
        for (const kid of ["", "AAAAA", "AAAAAAA", "AAAA+A", "AAAA=A"]) {
          expect(await codec.decode!(token.replace(/^v1\.[^.]+\./, `v1.${kid}.`)), `kid ${kid}`).toBe("malformed");
        }
      });

      test("structure games and garbage are malformed, never a throw", async () => {
        const codec = await ready([TEST_SECRET]);
        const token = await codec.encode(state({ x: 1 }));
        const cases = [
          "",
          ".",
          "....",
          ".....",
          "v1",
          "v1....",
          token.slice(0, -1),
          `${token}.`,
          `.${token}`,
          `${token}=`,
          `${token}.x`,
          token.replace(/\./g, ".."),
          `${token.slice(0, 10)}+${token.slice(11)}`,
          token.toUpperCase(),
          `${token.slice(0, -3)}/${token.slice(-2)}`,
          `${token.slice(0, token.lastIndexOf(".") + 1)}`,
          "v1.AAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA.",
          "\u0000".repeat(10),
          "é".repeat(200),
        ];
        for (const bad of cases) {
          const result = await codec.decode!(bad);
          expect(["malformed", "bad_signature"], JSON.stringify(bad)).toContain(result);
        }
        // The last character of a partial base64url group must have zero unused bits (one text
        // per byte string): flipping its lowest bit keeps the bytes but is refused.
        expect(token.split(".")[4]!.length % 4).toBe(3);
        const last = token[token.length - 1]!;
        expect(await codec.decode!(token.slice(0, -1) + ALPHABET[ALPHABET.indexOf(last) ^ 1]!)).toBe("malformed");
      });

      test("a token longer than the limit is rejected before any cryptography (SZ-02)", async () => {
        const codec = sealedCodec([TEST_SECRET], "session", { maxTokenLength: 5000 });
        await codec.ready;
        const fits = await codec.encode(state({ v: "x".repeat(3000) }));
        expect(fits.length).toBeGreaterThan(4096);
        expect(typeof (await codec.decode!(fits))).toBe("object");
        const big = await codec.encode(state({ v: "x".repeat(4000) }));
        expect(big.length).toBeGreaterThan(5000);
        expect(await codec.decode!(big)).toBe("malformed");
        expect(await (await ready([TEST_SECRET])).decode!(fits)).toBe("malformed"); // default: 4096
        expect(await codec.decode!(`v1.${"A".repeat(100_000)}`)).toBe("malformed");
      });
    });

    describe(`sealed codec (${cipher}): rotation`, () => {
      test("a cookie sealed with an older secret opens and is marked stale; new cookies use the current key (KR-01, KR-02)", async () => {
        const old = await ready([OLD_SECRET]);
        const rotated = await ready([TEST_SECRET, OLD_SECRET]);
        const current = await ready([TEST_SECRET]);
        const token = await old.encode(state({ x: 1 }));
        const back = (await rotated.decode!(token)) as SessionState;
        expect(back.stale).toBe(true);
        expect([...back.data]).toEqual([["x", 1]]);
        expect(await current.decode!(token)).toBe("bad_signature");
        const fresh = await rotated.encode(back);
        expect(fresh.split(".")[1]).toBe(masterKey(TEST_SECRET).kid);
        expect(((await current.decode!(fresh)) as SessionState).stale).toBeUndefined();
      });

      test("sealing and signing keys differ: a signed-format key id never opens a sealed cookie (KR-08)", async () => {
        const okm = Buffer.from(hkdfSync("sha256", TEST_SECRET, "websession/v1", "websession/sign/v1", 36));
        const signKid = okm.subarray(32, 36).toString("base64url").slice(0, 6);
        expect(signKid).not.toBe(masterKey(TEST_SECRET).kid);
        expect(okm.subarray(0, 32).equals(masterKey(TEST_SECRET).key)).toBe(false);
      });
    });
  });

describe("sealed codec: engines, 0.1.0 cookies, the cookie-key cache", () => {
  // Written by websession 0.1.0 (WebCrypto only): they must open forever.
  const SECRET_010 = "fixed 0.1.0 compatibility secret, 32+ chars long";
  const OLD_010 = "old-secret-old-secret-old-secret-00";
  const TOKEN_010 =
    "v1.9lP2FA.YFStO0tpkz2jjYTKAhBo0w.N5DLiLQmUmlfyWCD.qzZ8jlgPDLfWOJ72V-WeV4QmkE401esijowNzscSr6CvYQ5ICyuYx9aXg2xHIx80ynCQamC9GglBjxSDYvI9fvI4gAxv_LcNp5ECPzgqBzgW0HQRzDLEFds82oADaU1fBqbGJ0MkPuyeYp5SrzDSaS_ftV6-9cM";
  const OLD_TOKEN_010 =
    "v1.50uBqQ.Gqp9fQM2L6hsiRAouRRVYA.BY16rogLcc9rh80G.O_NK66y0dQExzgGrnJo4105pQ5inTAM8k0n4O25iKK8pyaC63YaIR_nnXGwyFkZGRmVYHrU2DpuZSzCOlyABp7i-";

  for (const cipher of ["noble", "webcrypto"] as const) {
    test(`${cipher}: a cookie sealed by 0.1.0 opens, with every field; one under an older secret is stale`, async () => {
      const codec = sealedCodec([SECRET_010, OLD_010], "session", { cipher });
      await codec.ready;
      expect(await codec.decode(TOKEN_010)).toEqual({
        data: new Map<string, unknown>([
          ["user", "ada"],
          ["n", 1],
          ["ü", "☃"],
        ]),
        flashes: [["info", "hi"]],
        permanent: true,
        created: 1_700_000_000,
        lastActive: 1_700_000_100,
        nonce: "abc",
      });
      const old = await codec.decode(OLD_TOKEN_010);
      expect(old).toMatchObject({ data: new Map([["user", "bob"]]), stale: true });
      const wrongName = sealedCodec([SECRET_010], "other", { cipher });
      await wrongName.ready;
      expect(await wrongName.decode(TOKEN_010)).toBe("bad_signature");
    });
  }

  test("each engine opens what the other sealed, and the node:crypto reference opens both", async () => {
    const noble = sealedCodec([TEST_SECRET], "sid", { cipher: "noble" });
    const web = sealedCodec([TEST_SECRET], "sid", { cipher: "webcrypto" });
    await Promise.all([noble.ready, web.ready]);
    const s = state({ user: "ada", cart: [1, 2, 3], text: "é\u2028😀" });
    for (const [from, to] of [
      [noble, web],
      [web, noble],
    ] as const) {
      const token = await from.encode(s);
      expect(await to.decode(token)).toEqual(s);
      expect(JSON.parse(referenceOpen(TEST_SECRET, "sid", token))).toMatchObject({ d: { user: "ada" } });
    }
  });

  test('"noble" is synchronous: decode and encode return values, not Promises; "webcrypto" is not', async () => {
    const noble = sealedCodec([TEST_SECRET], "session", { cipher: "noble" });
    const web = sealedCodec([TEST_SECRET], "session", { cipher: "webcrypto" });
    await Promise.all([noble.ready, web.ready]);
    expect(noble.synchronous).toBe(true);
    expect(web.synchronous).toBe(false);
    const token = noble.encode(state({ a: 1 }));
    expect(typeof token).toBe("string");
    expect(noble.decode(token as string)).toEqual(state({ a: 1 }));
    expect(noble.decode(referenceSeal(TEST_SECRET, "session", new TextEncoder().encode(serializeEnvelope(state({ b: 2 })))))).toEqual(state({ b: 2 }));
  });

  test(`the cookie-key cache stays bounded (${COOKIE_KEY_CACHE_SIZE}) and a forged cookie never enters it`, async () => {
    const codec = sealedCodec([TEST_SECRET], "session", { cipher: "noble" });
    await codec.ready;
    const tokens = Array.from({ length: COOKIE_KEY_CACHE_SIZE * 2 + 5 }, (_, i) => codec.encode(state({ i })) as string);
    // Old entries were dropped, yet every cookie still opens (the key is derived again).
    for (const [i, token] of tokens.entries()) expect(codec.decode(token)).toEqual(state({ i }));
    // Many forged salts: each is refused, each costs one derivation and one decryption.
    for (let i = 0; i < 50; i++) {
      const forged = withPart(tokens[0]!, 2, () => randomBytes(16));
      expect(codec.decode(forged)).toBe("bad_signature");
    }
    expect(codec.decode(tokens.at(-1)!)).toEqual(state({ i: tokens.length - 1 }));
  });
});

describe('format: "sealed" through createSessions', () => {
  type Handler = (request: Request, session: Session) => Response | Promise<Response>;

  function setup(secret: string | string[] = TEST_SECRET) {
    const time = clock();
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret, format: "sealed", now: time.now, onInvalid: (r) => reasons.push(r) });
    const run = (handler: Handler, cookie?: string): Promise<Response> => sessions.handle(handler)(requestWith(cookie));
    return { time, reasons, run };
  }
  const ok = (): Response => new Response("ok");

  test("a value set on one request is read on the next; the cookie is sealed", async () => {
    const { run } = setup();
    const res = await run((_r, s) => (s.set("user", "ada"), s.flash("hello"), ok()));
    const line = res.headers.getSetCookie()[0]!;
    expect(line).toMatch(/^session=v1\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(line).not.toContain("ada");
    let seen: unknown;
    let flashes: string[] = [];
    await run((_r, s) => ((seen = s.get("user")), (flashes = s.flashes()), ok()), cookieOf(res));
    expect(seen).toBe("ada");
    expect(flashes).toEqual(["hello"]);
  });

  test("a tampered cookie is an empty session with one coarse reason", async () => {
    const { run, reasons } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    const tampered = withPart(cookie.slice("session=".length), 4, (b) => flip(b, 0, 1));
    let user: unknown = "unset";
    let isNew = false;
    const res = await run((_r, s) => ((user = s.get("user")), (isNew = s.isNew), ok()), `session=${tampered}`);
    expect(user).toBeUndefined();
    expect(isNew).toBe(true);
    expect(reasons).toEqual(["bad_signature"]);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get("Vary")).toBe("Cookie");
  });

  test("the time rules apply: past the idle limit the session is gone (TM-02)", async () => {
    const { run, time, reasons } = setup();
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), (s.permanent = true), ok())));
    time.advance(31 * 24 * 3600 + 1);
    let user: unknown = "unset";
    await run((_r, s) => ((user = s.get("user")), ok()), cookie);
    expect(user).toBeUndefined();
    expect(reasons).toEqual(["expired"]);
  });

  test("rotation: a cookie sealed with an older secret is re-issued under the current key without any change", async () => {
    const old = setup(OLD_SECRET);
    const cookie = cookieOf(await old.run((_r, s) => (s.set("user", "ada"), ok())));
    expect(cookie.split(".")[1]).toBe(masterKey(OLD_SECRET).kid);
    const rotated = setup([TEST_SECRET, OLD_SECRET]);
    let user: unknown;
    const res = await rotated.run((_r, s) => ((user = s.get("user")), ok()), cookie);
    expect(user).toBe("ada");
    const reissued = cookieOf(res);
    expect(reissued.split(".")[1]).toBe(masterKey(TEST_SECRET).kid);
    // The re-issued cookie opens with the current secret alone; the old one no longer does.
    const current = setup(TEST_SECRET);
    let again: unknown;
    await current.run((_r, s) => ((again = s.get("user")), ok()), reissued);
    expect(again).toBe("ada");
    let stale: unknown = "unset";
    await current.run((_r, s) => ((stale = s.get("user")), ok()), cookie);
    expect(stale).toBeUndefined();
    // Once current, reading it again writes nothing.
    expect((await rotated.run((_r, s) => (s.get("user"), ok()), reissued)).headers.getSetCookie()).toEqual([]);
  });
});
