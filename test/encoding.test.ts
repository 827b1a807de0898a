import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { base64urlDecode, base64urlEncode, randomBytes, timingSafeEqual } from "../src/encoding.ts";

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
    const cases: Array<[string, string]> = [["", ""], ["f", "Zg"], ["fo", "Zm8"], ["foo", "Zm9v"], ["foob", "Zm9vYg"], ["fooba", "Zm9vYmE"], ["foobar", "Zm9vYmFy"]];
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
