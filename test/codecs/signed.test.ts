import { createHmac, hkdfSync } from "node:crypto";
import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { signedCodec, parseEnvelope, serializeEnvelope } from "../../src/codecs/signed.ts";
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
    const back = codec.decodeSync!(codec.encode(state(data)));
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
    expect(b.decodeSync!(a.encode(state({ x: 1 })))).toBe("bad_signature");
  });

  test("rotation: an old key verifies and is marked stale; a removed key does not (KR-01)", async () => {
    const old = signedCodec([OLD_SECRET], "session");
    const rotated = signedCodec([TEST_SECRET, OLD_SECRET], "session");
    const current = signedCodec([TEST_SECRET], "session");
    await Promise.all([old.ready, rotated.ready, current.ready]);
    const token = old.encode(state({ x: 1 }));
    const back = rotated.decodeSync!(token) as SessionState;
    expect(back.stale).toBe(true);
    expect(current.decodeSync!(token)).toBe("bad_signature");
    const fresh = rotated.encode(state({ x: 1 }));
    expect((current.decodeSync!(fresh) as SessionState).stale).toBeUndefined();
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
      expect(typeof codec.decodeSync!(tampered), `position ${i}`).toBe("string");
    }
  });

  test("structure games are malformed or bad signatures (SIG-03, SIG-04, SIG-05, SIG-08, ENC-02)", async () => {
    const codec = signedCodec([TEST_SECRET], "session");
    await codec.ready;
    const token = codec.encode(state({ a: 1 }));
    const [body, kid, sig] = token.split(".") as [string, string, string];
    const cases = [
      "", ".", "..", "...", token.slice(0, -1), `${body}.${kid}.`, `${token}X`, `${token}.x`, `${token}=`,
      `.${token}`, `${body}..${kid}.${sig}`, `${body}.${kid}.${"A".repeat(43)}`, token.toUpperCase(),
      `${body}.${kid}.${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`,
      `${body}.${kid}.${sig.slice(0, 5)}+${sig.slice(6)}`, `${body}.${kid}.${sig.slice(0, 5)}/${sig.slice(6)}`,
    ];
    for (const bad of cases) expect(typeof codec.decodeSync!(bad), JSON.stringify(bad)).toBe("string");
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
      expect(codec.decodeSync!(forged)).toBe("bad_signature");
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
    const bodies = ["[1,2]", '"s"', "null", "1", '{"c":1,"a":1,"d":[1]}', '{"c":-1,"a":1,"d":{}}', '{"c":1.5,"a":1,"d":{}}', '{"c":1,"a":1,"d":{}} x', "\ufeff{}", "{c:1}", '{"c":1,"a":1,"d":{},"p":true}', '{"c":1,"a":1,"d":{},"f":[["m"]]}'];
    for (const body of bodies) expect(codec.decodeSync!(signRaw(new TextEncoder().encode(body))), body).toBe("malformed");
    expect(codec.decodeSync!(signRaw(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe("malformed");
    const deep = `{"c":1,"a":1,"d":{"x":${"[".repeat(10000)}${"]".repeat(10000)}}}`;
    expect(typeof codec.decodeSync!(signRaw(new TextEncoder().encode(deep)))).toBe("string");
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
