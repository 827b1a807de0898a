// The flask format's reused deflater gives exactly pako's one-shot bytes (which equal Python's
// zlib.compress: the Flask vectors check those), and answers null exactly when the result would
// not fit the room it was given.

import fc from "fast-check";
import { deflate } from "pako";
import { expect, test } from "vitest";
import { zlibCompressWithin, zlibDecompress } from "../../src/codecs/flask/zlib.ts";

const text = new TextEncoder();

test("the reused deflater equals a fresh one-shot deflate, payload after payload, whatever came before", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ maxLength: 3000 }), fc.json({ maxDepth: 4 }), fc.uint8Array({ maxLength: 2000 })), { minLength: 1, maxLength: 6 }),
      (inputs) => {
        for (const input of inputs) {
          const bytes = typeof input === "string" ? text.encode(input) : input;
          const expected = deflate(bytes, { level: 6 });
          expect(zlibCompressWithin(bytes, expected.length)).toEqual(expected);
          // One byte less room than it needs: null, and the next call is unaffected.
          expect(zlibCompressWithin(bytes, expected.length - 1)).toBeNull();
          expect(zlibDecompress(zlibCompressWithin(bytes, expected.length + 10)!, 1 << 20)).toEqual(bytes);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("Flask's rule: compressed only when at least 2 bytes shorter", () => {
  const small = text.encode('{"user":"ada"}');
  expect(zlibCompressWithin(small, small.length - 2)).toBeNull(); // zlib cannot shrink 14 bytes
  const repetitive = text.encode(JSON.stringify({ cart: Array(50).fill("the same item") }));
  const compressed = zlibCompressWithin(repetitive, repetitive.length - 2);
  expect(compressed).not.toBeNull();
  expect(compressed!.length).toBeLessThan(repetitive.length - 1);
  expect(zlibCompressWithin(repetitive, 0)).toBeNull();
});
