// fast-check arbitraries for values the flask format carries (Node tests only).

import fc from "fast-check";
import { Markup, PyFloat, Tuple, UUID } from "../../src/codecs/flask/values.ts";

/** Any UTF-16 string, lone surrogates included (Python strings hold them too). */
export const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 8 });

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.double().filter((x) => !Number.isInteger(x)),
  fc
    .double()
    .filter((x) => Number.isInteger(x))
    .map((x) => new PyFloat(x)),
  fc.bigInt().filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)),
  anyText,
  fc.uint8Array({ maxLength: 8 }),
  fc.uuid().map((u) => new UUID(u)),
  anyText.map((s) => new Markup(s)),
  // Python reads years below 100 as 19xx/20xx, so only 100-9999 round-trip (as in Flask).
  fc.integer({ min: Date.UTC(100, 0, 1) / 1000, max: Date.UTC(9999, 11, 31, 23, 59, 59) / 1000 }).map((s) => new Date(s * 1000)),
);

const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("list"), tie("tuple"), tie("dict")),
  list: fc.array(tie("value"), { maxLength: 4 }),
  tuple: fc.array(tie("value"), { maxLength: 4 }).map((items) => Tuple.from(items)),
  dict: fc.dictionary(fc.oneof(anyText, fc.constantFrom(" t", " b", " m", " u", " d", " di", "__proto__")), tie("value"), {
    maxKeys: 3,
    noNullPrototype: true,
  }),
}));

/** Any value of the flask format's value model (see docs/flask.md). */
export const flaskValue: fc.Arbitrary<unknown> = tree.value;

/** A session's data: up to 4 keys (never Flask's own `_permanent` / `_flashes`). */
export const flaskData: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  anyText.filter((k) => k !== "_permanent" && k !== "_flashes"),
  flaskValue,
  { minKeys: 1, maxKeys: 4, noNullPrototype: true },
);
