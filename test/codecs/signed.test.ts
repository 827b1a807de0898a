import { createHmac, hkdfSync } from "node:crypto";
import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { signedCodec } from "../../src/codecs/signed.ts";
import { parseEnvelope, serializeEnvelope } from "../../src/codecs/envelope.ts";
import { emptyState } from "../../src/session.ts";
import type { SessionState } from "../../src/session.ts";
import { OLD_SECRET, TEST_SECRET } from "../helpers.ts";

function state(data: Record<string, unknown>, extra: Partial<SessionState> = {}): SessionState {
  return { ...emptyState(), data: new Map(Object.entries(data)), created: 1_700_000_000, lastActive: 1_700_000_000, ...extra };
}

// An independent implementation of the token format on node:crypto, to check ours against.
function referenceToken(secret: string, cookieName: string, envelope: string): string {
  const okm = Buffer.from(hkdfSync("sha256", secret, "websession/v1", "websession/sign/v1", 36));
  const kid = okm.subarray(32, 36).toString("base64url").slice(0, 6);
  const signedText = `${Buffer.from(envelope).toString("base64url")}.${kid}`;
  const sig = createHmac("sha256", okm.subarray(0, 32)).update(`${cookieName}\u0000${signedText}`).digest("base64url");
  return `${signedText}.${sig}`;
}

describe("signed codec", () => {
  test("fixed vector, equal to an independent node:crypto implementation", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const token = codec.encode(state({ user: "ada" }));
    expect(token).toBe(referenceToken(TEST_SECRET, "session", '{"c":1700000000,"a":1700000000,"d":{"user":"ada"}}'));
    expect(token).toBe("eyJjIjoxNzAwMDAwMDAwLCJhIjoxNzAwMDAwMDAwLCJkIjp7InVzZXIiOiJhZGEifX0.IYJ6tw.T2dNO0pE3lg72g6L5ooC0ZJc1NyCLALdg_y6F2AzdcI");
  });

  test("envelope carries permanent, nonce and flashes", () => {
    const text = serializeEnvelope(state({ a: 1 }, { permanent: true, nonce: "xyz", flashes: [["message", "hi"]] }));
    expect(text).toBe('{"c":1700000000,"a":1700000000,"p":1,"n":"xyz","f":[["message","hi"]],"d":{"a":1}}');
    const back = parseEnvelope(new TextEncoder().encode(text))!;
    expect(back.permanent).toBe(true);
    expect(back.nonce).toBe("xyz");
    expect(back.flashes).toEqual([["message", "hi"]]);
    expect([...back.data]).toEqual([["a", 1]]);
  });

  test("round trip of unicode, nesting and prototype-like keys", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    // JSON.parse makes "__proto__" an own key, as a decoded cookie would.
    const data = JSON.parse('{"__proto__":{"isAdmin":true},"constructor":"c","😀":["\u00e9",{"deep":[null,true,1.5]}]}');
    const back = codec.decode(codec.encode(state(data)));
    expect(typeof back).toBe("object");
    const m = (back as SessionState).data;
    expect(m.get("__proto__")).toEqual({ isAdmin: true });
    expect(m.get("😀")).toEqual(["\u00e9", { deep: [null, true, 1.5] }]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  test("the cookie name is bound into the signature (SIG-10)", async () => {
    const a = signedCodec([TEST_SECRET], "a");
    const b = signedCodec([TEST_SECRET], "b");
    await Promise.all([a.ready, b.ready]);
    expect(b.decode(a.encode(state({ x: 1 })))).toBe("bad_signature");
  });

  test("rotation: an old key verifies and is marked stale; a removed key does not (KR-01)", async () => {
    const old = signedCodec([OLD_SECRET], "session");
    const rotated = signedCodec([TEST_SECRET, OLD_SECRET], "session");
    const current = signedCodec([TEST_SECRET], "session");
    await Promise.all([old.ready, rotated.ready, current.ready]);
    const token = old.encode(state({ x: 1 }));
    const back = rotated.decode(token) as SessionState;
    expect(back.stale).toBe(true);
    expect(current.decode(token)).toBe("bad_signature");
    const fresh = rotated.encode(state({ x: 1 }));
    expect((current.decode(fresh) as SessionState).stale).toBeUndefined();
  });

  test("every tampered byte position is rejected (SIG-01)", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const token = codec.encode(state({ user: "ada", role: "user" }));
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    for (let i = 0; i < token.length; i++) {
      const c = token[i]!;
      const other = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!;
      const tampered = token.slice(0, i) + other + token.slice(i + 1);
      expect(typeof codec.decode(tampered), `position ${i}`).toBe("string");
    }
  });

  test("structure games are malformed or bad signatures (SIG-03, SIG-04, SIG-05, SIG-08, ENC-02)", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const token = codec.encode(state({ a: 1 }));
    const [body, kid, sig] = token.split(".") as [string, string, string];
    const cases = [
      "",
      ".",
      "..",
      "...",
      token.slice(0, -1),
      `${body}.${kid}.`,
      `${token}X`,
      `${token}.x`,
      `${token}=`,
      `.${token}`,
      `${body}..${kid}.${sig}`,
      `${body}.${kid}.${"A".repeat(43)}`,
      token.toUpperCase(),
      `${body}.${kid}.${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`,
      `${body}.${kid}.${sig.slice(0, 5)}+${sig.slice(6)}`,
      `${body}.${kid}.${sig.slice(0, 5)}/${sig.slice(6)}`,
    ];
    for (const bad of cases) expect(typeof codec.decode(bad), JSON.stringify(bad)).toBe("string");
  });

  test("nothing is decoded before the signature verifies (SIG-12)", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const token = codec.encode(state({ a: 1 }));
    const forged = `${Buffer.from('{"c":1,"a":1,"d":').toString("base64url")}${token.slice(token.indexOf("."))}`;
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
      parsed++;
      return parse(...args);
    }) as typeof JSON.parse;
    try {
      expect(codec.decode(forged)).toBe("bad_signature");
      expect(parsed).toBe(0);
    } finally {
      JSON.parse = parse;
    }
  });

  test("valid signature over a bad body is malformed, never a throw (JSN-05, JSN-12, ENC-06)", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const okm = Buffer.from(hkdfSync("sha256", TEST_SECRET, "websession/v1", "websession/sign/v1", 36));
    const kid = okm.subarray(32, 36).toString("base64url").slice(0, 6);
    function signRaw(bytes: Uint8Array): string {
      const signedText = `${Buffer.from(bytes).toString("base64url")}.${kid}`;
      return `${signedText}.${createHmac("sha256", okm.subarray(0, 32)).update(`session\u0000${signedText}`).digest("base64url")}`;
    }
    const bodies = [
      "[1,2]",
      '"s"',
      "null",
      "1",
      '{"c":1,"a":1,"d":[1]}',
      '{"c":-1,"a":1,"d":{}}',
      '{"c":1.5,"a":1,"d":{}}',
      '{"c":1,"a":1,"d":{}} x',
      "\ufeff{}",
      "{c:1}",
      '{"c":1,"a":1,"d":{},"p":true}',
      '{"c":1,"a":1,"d":{},"f":[["m"]]}',
    ];
    for (const body of bodies) expect(codec.decode(signRaw(new TextEncoder().encode(body))), body).toBe("malformed");
    expect(codec.decode(signRaw(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe("malformed");
    const deep = `{"c":1,"a":1,"d":{"x":${"[".repeat(10000)}${"]".repeat(10000)}}}`;
    expect(typeof codec.decode(signRaw(new TextEncoder().encode(deep)))).toBe("string");
  });

  test("lossless writing: NaN, Infinity, BigInt, undefined, Date, Map, sparse arrays, cycles, lone surrogates (JSN-10, JSN-11)", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    // eslint-disable-next-line no-sparse-arrays
    const bad: Array<[string, unknown, RegExp]> = [
      ["nan", NaN, /session\.nan is NaN/],
      ["inf", [1, Infinity], /session\.inf\[1\] is Infinity/],
      ["big", 1n, /BigInt/],
      ["undef", { a: undefined }, /session\.undef\.a is undefined/],
      ["date", new Date(0), /instance of Date/],
      ["map", new Map(), /instance of Map/],
      ["sparse", [1, , 3], /hole/],
      ["cycle", cyclic, /deeper than 64/],
      ["surrogate", "\ud800", /lone surrogate/],
      ["fn", () => 1, /function/],
    ];
    for (const [key, value, message] of bad) {
      expect(() => codec.encode(state({ [key]: value }))).toThrow(message);
    }
  });
});

// The fast paths (token bytes decoded once, reused HMAC state and buffers, WebCrypto signing
// in workerd) must give exactly the bytes and the verdicts of the plain implementation.
describe("signed codec fast paths", () => {
  function randomData(seed: number): Record<string, unknown> {
    let x = seed;
    const next = (): number => (x = (x * 1103515245 + 12345) & 0x7fffffff);
    const text = (n: number): string =>
      Array.from({ length: n }, () => String.fromCodePoint([0x41 + (next() % 26), 0xe9, 0x4e2d, 0x1f600][next() % 4]!)).join("");
    const data: Record<string, unknown> = {};
    for (let i = next() % 12; i >= 0; i--)
      data[text(1 + (next() % 6))] = next() % 3 === 0 ? text(next() % 300) : { n: next(), list: [text(3), null, true, next() / 7] };
    return data;
  }

  test("tokens equal the independent node:crypto implementation for 200 random sessions, both signers", async () => {
    const noble = signedCodec([TEST_SECRET], "session", { signer: "noble" });
    const webcrypto = signedCodec([TEST_SECRET], "session", { signer: "webcrypto" });
    await Promise.all([noble.ready, webcrypto.ready]);
    for (let seed = 1; seed <= 200; seed++) {
      const s = state(randomData(seed), { permanent: seed % 2 === 0, nonce: seed % 3 === 0 ? "n0nce" : undefined });
      const expected = referenceToken(TEST_SECRET, "session", serializeEnvelope(s));
      expect(noble.encode(s), `seed ${seed}`).toBe(expected);
      expect(await webcrypto.encode(s), `seed ${seed}`).toBe(expected);
      const back = noble.decode(expected) as SessionState;
      expect(Object.fromEntries(back.data)).toEqual(Object.fromEntries(s.data));
    }
  });

  test("interleaved WebCrypto signing keeps each token whole", async () => {
    const codec = signedCodec([TEST_SECRET], "session", { signer: "webcrypto" });
    await codec.ready;
    const states = Array.from({ length: 20 }, (_, i) => state(randomData(1000 + i)));
    const tokens = await Promise.all(states.map((s) => codec.encode(s)));
    tokens.forEach((token, i) => expect(token).toBe(referenceToken(TEST_SECRET, "session", serializeEnvelope(states[i]!))));
  });

  test("tokens larger than the shared buffers round-trip, and small ones after them", async () => {
    const codec = signedCodec([TEST_SECRET], "session", { maxTokenLength: 200_000 });
    await codec.ready;
    const big = state({ blob: "x".repeat(100_000), more: "é".repeat(2_000) });
    const small = state({ user: "ada" });
    const bigToken = codec.encode(big) as string;
    const smallToken = codec.encode(small) as string;
    expect(bigToken).toBe(referenceToken(TEST_SECRET, "session", serializeEnvelope(big)));
    expect(smallToken).toBe(referenceToken(TEST_SECRET, "session", serializeEnvelope(small)));
    expect((codec.decode(bigToken) as SessionState).data.get("blob")).toBe("x".repeat(100_000));
    expect((codec.decode(smallToken) as SessionState).data.get("user")).toBe("ada");
  });

  test("non-ASCII characters give the verdicts of the plain implementation", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const token = codec.encode(state({ a: 1 })) as string;
    const [body, kid, sig] = token.split(".") as [string, string, string];
    expect(codec.decode(`${body.slice(0, 3)}é${body.slice(4)}.${kid}.${sig}`)).toBe("bad_signature");
    expect(codec.decode(`${body}.${kid.slice(0, 5)}é.${sig}`)).toBe("bad_signature");
    expect(codec.decode(`${body}.${kid}.${sig.slice(0, 10)}é${sig.slice(11)}`)).toBe("malformed");
    expect(codec.decode(`${body}\ud800.${kid}.${sig}`)).toBe("bad_signature");
  });
});
