import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { base64urlDecode, base64urlDecodeBytes, base64urlEncode, base64urlEncodeInto, randomBytes, timingSafeEqual } from "../src/encoding.ts";

describe("base64url", () => {
  test("matches Node's encoder for every length 0..64 and random content", () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = randomBytes(n);
      const text = base64urlEncode(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64url"));
      expect(base64urlDecode(text)).toEqual(bytes);
    }
  });

  test("RFC 4648 test vectors", () => {
    const cases: Array<[string, string]> = [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of cases) {
      expect(base64urlEncode(new TextEncoder().encode(plain))).toBe(encoded);
      expect(new TextDecoder().decode(base64urlDecode(encoded)!)).toBe(plain);
    }
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
  });

  test.each([
    ["padding", "Zg=="],
    ["standard alphabet +", "+/8"],
    ["length 1 mod 4", "Zm9vY"],
    ["non-zero unused bits (2 chars)", "Zh"],
    ["non-zero unused bits (3 chars)", "Zm9"],
    ["space", "Zm 9v"],
    ["non-ASCII", "Zm9\u00e9"],
    ["percent", "Zm%39"],
  ])("rejects %s", (_name, text) => {
    expect(base64urlDecode(text)).toBeNull();
  });
});

describe("timingSafeEqual", () => {
  test("compares content and length", () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array(), new Uint8Array())).toBe(true);
  });
});

describe("base64url fast paths", () => {
  test("encode into a buffer and decode from bytes match Node for lengths 0..300 and 100 KB", () => {
    for (const n of [...Array.from({ length: 301 }, (_, i) => i), 100_000]) {
      const bytes = n <= 65_536 ? randomBytes(n) : Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 8)) & 255);
      const expected = Buffer.from(bytes).toString("base64url");
      expect(base64urlEncode(bytes)).toBe(expected);
      const out = new Uint8Array(Math.ceil(n / 3) * 4 + 3);
      const end = base64urlEncodeInto(bytes, out, 3);
      expect(Buffer.from(out.subarray(3, end)).toString("latin1")).toBe(expected);
      expect(base64urlDecodeBytes(out, 3, end)).toEqual(bytes);
      expect(base64urlDecode(expected)).toEqual(bytes);
    }
  });

  test("decoding rejects any non-ASCII character, whatever its UTF-8 bytes", () => {
    for (const text of ["Zm9\u0141", "\u00e9\u00e9", "Zm\u00e99v", "Zm9v\ud800", "\u{1f600}Zm9", "Zm9v\u0080"]) {
      expect(base64urlDecode(text), JSON.stringify(text)).toBeNull();
    }
    const utf8 = new TextEncoder().encode("Zm9\u00e9");
    expect(base64urlDecodeBytes(utf8, 0, utf8.length)).toBeNull();
  });
});
