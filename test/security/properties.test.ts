// Property tests (fast-check) over what the security bar asks to hold for any input:
//  - load(commit(x)) is x in every format, for any session data (unicode with astral and
//    combining characters, nesting, prototype-like keys), flashes and permanent flag;
//  - any single-character change, truncation or splice of a valid cookie is an empty session;
//  - any Cookie header (noise, duplicates, control characters, huge) loads without throwing,
//    accepts only the untouched cookie, and takes time linear in its size;
//  - any options object makes createSessions return a working manager or throw a SessionError,
//    TypeError or RangeError that names the option.

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { readCookie } from "../../src/cookie.ts";
import { SessionError, createSessions, memoryStore } from "../../src/index.ts";
import type { Session, SessionsOptions } from "../../src/index.ts";
import { MODES, OLD_SECRET, TEST_SECRET, Target, request, valueOf } from "./target.ts";
import type { Mode } from "./target.ts";

const PROTOTYPE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "then",
  "__defineGetter__",
  "isPrototypeOf",
  "toJSON",
];

const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "grapheme-composite", maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom("e\u0301", "\u{1F600}", "\u{1F469}\u200D\u{1F4BB}", "\u0000", "\u007f", "\u2028", '"\\/', "</script>", ""),
);
const key = fc.oneof(text, fc.constantFrom(...PROTOTYPE_KEYS));

/** JSON values every format carries unchanged (flask: no whole-number double beyond 2^53). */
function jsonValue(flask: boolean): fc.Arbitrary<unknown> {
  const number = fc.oneof(
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0) && (!flask || !Number.isInteger(x) || Number.isSafeInteger(x))),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", maxDepth: 5 }, fc.constant(null), fc.boolean(), number, text, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.uniqueArray(fc.tuple(key, tie("value")), { maxLength: 4, selector: ([k]) => k }).map((entries) => Object.fromEntries(entries)),
  }));
  return value;
}

/** Top-level entries (own keys, "__proto__" included), flashes and the permanent flag. */
function sessionContent(mode: Mode) {
  const flask = mode === "flask";
  const topKey = flask ? key.filter((k) => k !== "_permanent" && k !== "_flashes") : key;
  return fc.record({
    entries: fc.uniqueArray(fc.tuple(topKey, jsonValue(flask)), { maxLength: 6, selector: ([k]) => k }),
    flashes: fc.array(fc.tuple(text, text), { maxLength: 3 }),
    permanent: fc.boolean(),
  });
}

/** What a Cookie header sends under `name`, by the plain reading of 6265bis (an independent oracle). */
function referenceValues(header: string, name: string): string[] {
  const trim = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, "");
  return header
    .split(";")
    .filter((pair) => pair.includes("="))
    .map((pair) => [trim(pair.slice(0, pair.indexOf("="))), trim(pair.slice(pair.indexOf("=") + 1))] as const)
    .filter(([n]) => n === name)
    .map(([, v]) => v);
}

/** A request for `header`, or undefined when the platform refuses the header value itself. */
function tryRequest(header: string): Request | undefined {
  try {
    return request(header);
  } catch {
    return undefined;
  }
}

describe("properties", () => {
  test.each(MODES)("round trip: load(commit(x)) is x for any data, flashes and permanent flag [%s]", async (mode) => {
    const t = new Target(mode);
    await fc.assert(
      fc.asyncProperty(sessionContent(mode), async ({ entries, flashes, permanent }) => {
        const written = await t.run((s) => {
          for (const [k, v] of entries) s.set(k as never, v as never);
          for (const [category, message] of flashes) s.flash(message, category);
          s.permanent = permanent;
        });
        const value = valueOf(written.headers.getSetCookie(), "session");
        const empty = entries.length === 0 && flashes.length === 0 && !permanent;
        if (empty) return;
        expect(value).toBeTruthy();
        const session: Session = await t.sessions.load(request(t.pair(value!)));
        expect(new Map(session.entries())).toEqual(new Map(entries));
        expect(session.permanent).toBe(permanent);
        expect(session.flashes({ withCategories: true })).toEqual(flashes);
        expect(Object.getPrototypeOf(session.toJSON())).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).then).toBeUndefined();
      }),
      { numRuns: mode === "sealed" ? 150 : 300 },
    );
  });

  test.each(MODES)("mutation: any single-character change, truncation or splice of a valid cookie is an empty session [%s]", async (mode) => {
    const t = new Target(mode);
    const tokens = [await t.issue({ user: "ada", role: "user" }), await t.issue({ n: 1 }, { permanent: true })];
    const latin1 = fc
      .integer({ min: 1, max: 255 })
      .filter((c) => c !== 10 && c !== 13)
      .map((c) => String.fromCharCode(c));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("change" as const), at: fc.nat(), to: latin1 }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("splice" as const), at: fc.nat(), remove: fc.nat({ max: 8 }), insert: fc.string({ unit: latin1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), other: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), mutation, async (which, m) => {
        const token = tokens[which]!;
        const at = m.at % (token.length + 1);
        let mutated: string;
        if (m.kind === "change") mutated = token.slice(0, at) + m.to + token.slice(at + 1);
        else if (m.kind === "truncate") mutated = token.slice(0, at);
        else if (m.kind === "splice") mutated = token.slice(0, at) + m.insert + token.slice(at + m.remove);
        else {
          const b = m.other % token.length;
          const chars = [...token];
          [chars[at % token.length], chars[b]] = [chars[b]!, chars[at % token.length]!];
          mutated = chars.join("");
        }
        const header = t.pair(mutated);
        const req = tryRequest(header);
        // A header the platform refuses never reaches websession; the parser still sees nothing.
        if (req === undefined) return void expect(readCookie(header, t.name).includes(token)).toBe(false);
        const session = await t.sessions.load(req);
        // Accepted only if the untouched token still stands as a value (say, text added after a ';').
        const intact = referenceValues(req.headers.get("cookie") ?? "", t.name).includes(token);
        expect(!session.isNew, `${mode} ${JSON.stringify(mutated)}`).toBe(intact);
        if (!intact) expect(session.size).toBe(0);
      }),
      { numRuns: mode === "sealed" ? 400 : 1000 },
    );
  });

  test.each(MODES)(
    "headers: any Cookie header (noise, duplicates, control characters, huge) loads without throwing and accepts nothing but the valid cookie [%s]",
    async (mode) => {
      const t = new Target(mode);
      const valid = await t.issue({ user: "ada" });
      const other = await t.issue({ user: "bob" });
      const noise = fc.string({
        unit: fc.constantFrom(...'; ,=\t"\\%$'.split(""), "a", "session", "session.0", "\u0001", "\u007f", "\u00a0", "\u00ff", "="),
        maxLength: 12,
      });
      const piece = fc.oneof(
        noise,
        fc.constant(t.pair(valid)),
        fc.constant(t.pair(other)),
        fc.constant(` ${t.pair(valid)}\t`),
        fc.constant(`${t.pair(valid)}X`),
        fc.constant(`=${t.pair(valid)}`),
        fc.string({ unit: "binary-ascii", maxLength: 20 }).map((s) => `session=${s}`),
        fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
        fc.nat({ max: 20_000 }).map((n) => `big=${"x".repeat(n)}`),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.constantFrom("; ", ";", ", ", ""), async (pieces, separator) => {
          const header = pieces.join(separator);
          const req = tryRequest(header);
          if (req === undefined) return;
          const session = await t.sessions.load(req);
          const data = session.toJSON();
          const sent = new Set(referenceValues(req.headers.get("cookie") ?? "", t.name));
          const validSent = [valid, other].filter((v) => sent.has(v));
          if (session.isNew) {
            expect(data).toEqual({});
          } else {
            // Only an untouched valid cookie, alone among the valid ones and among few candidates
            // (any value for a cookie format, well-formed ids for a store).
            expect(validSent).toHaveLength(1);
            expect(data).toEqual(validSent[0] === valid ? { user: "ada" } : { user: "bob" });
            const candidates = mode === "store" ? [...sent].filter((v) => /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(v)) : [...sent];
            expect(candidates.length).toBeLessThanOrEqual(4);
          }
        }),
        { numRuns: 500 },
      );
    },
  );

  test.each(MODES)(
    "headers: load time is linear in the header size, 64 KB vs 1 KB of random noise with the session last (security bar d.2: ratio <= 80) [%s]",
    async (mode) => {
      const t = new Target(mode);
      const valid = await t.issue({ user: "ada" });
      const fragments = fc.sample(
        fc.string({ unit: fc.constantFrom(...'abcdefghij=; ,\t"%'.split(""), "session=", `${t.name}=${valid.slice(0, 20)}`), minLength: 5, maxLength: 40 }),
        { numRuns: 4000, seed: 42 },
      );
      const build = (bytes: number): string => {
        let header = "";
        for (let i = 0; header.length < bytes; i++) header += `${fragments[i % fragments.length]}; `;
        return `${header.slice(0, bytes)}; ${t.pair(valid)}`;
      };
      const small = build(1024);
      const big = build(64 * 1024);
      const time = async (header: string, runs: number): Promise<number> => {
        const samples: number[] = [];
        for (let i = 0; i < runs; i++) {
          const start = performance.now();
          const session = await t.sessions.load(request(header));
          session.size;
          samples.push(performance.now() - start);
        }
        return samples.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
      };
      await time(big, 10);
      await time(small, 50);
      // The median of several rounds, each the median of many runs: robust to a noisy machine.
      const ratios: number[] = [];
      for (let round = 0; round < 5; round++) ratios.push((await time(big, 15)) / (await time(small, 101)));
      const ratio = ratios.sort((a, b) => a - b)[2]!;
      expect(ratio, `t(64 KB) / t(1 KB) = ${ratio.toFixed(1)} (rounds: ${ratios.map((r) => r.toFixed(1)).join(", ")})`).toBeLessThan(80);
    },
  );

  test("headers: readCookie never throws and returns only exact-name values for any string at all (lone surrogates, any code point)", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom("session", "=", ";", ",", " ", "\t"),
            fc.string({ unit: "binary", maxLength: 1 }),
            fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
          ),
          maxLength: 60,
        }),
        (header) => {
          const values = readCookie(header, "session");
          expect(values).toEqual(referenceValues(header, "session"));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("options: any options object either gives a working manager or throws a SessionError, TypeError or RangeError that names the option", async () => {
    const KEYS = [
      "secret",
      "format",
      "oversize",
      "cookie",
      "lifetime",
      "absoluteLifetime",
      "refresh",
      "now",
      "onInvalid",
      "store",
      "storeTimeout",
      "unsafeAllowWeakSecret",
    ];
    const anything = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      maxDepth: 2,
    });
    const plausible: Record<string, fc.Arbitrary<unknown>> = {
      secret: fc.oneof(
        fc.constant(TEST_SECRET),
        fc.constant([TEST_SECRET, , OLD_SECRET]),
        fc.array(fc.oneof(fc.constant(TEST_SECRET), anything), { maxLength: 6 }),
        fc.string(),
        anything,
      ),
      format: fc.oneof(fc.constantFrom("signed", "sealed", "flask", "jwt", "__proto__", "toString"), anything),
      oversize: fc.oneof(fc.constantFrom("error", "chunk", "split"), anything),
      cookie: fc.oneof(
        fc.record(
          {
            name: fc.oneof(fc.constantFrom("session", "__Host-s", "__Secure-s", "a b", ""), anything),
            path: fc.oneof(fc.constantFrom("/", "/a", "a", "/a;b", "/ "), anything),
            domain: fc.oneof(fc.constantFrom("example.com", ".x.y", "a..b", ""), anything),
            secure: fc.oneof(fc.boolean(), anything),
            sameSite: fc.oneof(fc.constantFrom("Lax", "none", "x"), anything),
            partitioned: fc.oneof(fc.boolean(), anything),
            httpOnly: fc.oneof(fc.boolean(), anything),
          },
          { requiredKeys: [] },
        ),
        anything,
      ),
      lifetime: fc.oneof(fc.integer({ min: -10, max: 400 * 86400 + 10 }), anything),
      absoluteLifetime: fc.oneof(fc.integer({ min: -10, max: 400 * 86400 + 10 }), anything),
      refresh: fc.oneof(fc.boolean(), fc.integer({ min: -5, max: 5000 }), anything),
      now: fc.oneof(
        fc.constant(() => 1_700_000_000_000),
        fc.constant(() => NaN),
        anything,
      ),
      onInvalid: fc.oneof(
        fc.constant(() => {}),
        anything,
      ),
      store: fc.oneof(
        fc.constant(memoryStore()),
        fc.record(
          {
            get: fc.constant(async () => null),
            set: fc.constant(async () => {}),
            delete: fc.constant(async () => {}),
            touchInterval: fc.oneof(fc.nat(), anything),
          },
          { requiredKeys: ["get", "set", "delete"] },
        ),
        anything,
      ),
      storeTimeout: fc.oneof(fc.integer({ min: -1, max: 70_000 }), anything),
      unsafeAllowWeakSecret: fc.oneof(fc.boolean(), anything),
    };
    // A valid secret and one or two other options: these mostly succeed, and then must work.
    const nearlyValid = fc
      .tuple(fc.constantFrom(...KEYS.slice(1)), fc.constantFrom(...KEYS.slice(1)))
      .chain(([a, b]) => fc.record({ secret: fc.constant(TEST_SECRET), [a]: plausible[a]!, [b]: plausible[b]! }, { requiredKeys: ["secret"] }));
    const options = fc.oneof(
      { weight: 4, arbitrary: nearlyValid },
      { weight: 4, arbitrary: fc.record(plausible, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.record({ ...plausible, [`x${"y"}`]: anything }, { requiredKeys: ["xy"] }) },
      { weight: 1, arbitrary: anything },
    );
    let returned = 0;
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const warn = console.warn;
        console.warn = () => {}; // unsafeAllowWeakSecret and http warnings
        try {
          let sessions;
          try {
            sessions = createSessions(opts as SessionsOptions);
          } catch (error) {
            expect(error instanceof SessionError || error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
            const message = (error as Error).message;
            if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
              expect(message).toMatch(/^createSessions needs an options object/);
            } else {
              const present = Object.keys(opts);
              expect(
                [...KEYS, ...present].some((k) => message.includes(`option ${k}`)),
                message,
              ).toBe(true);
            }
            return;
          }
          returned++;
          // It returned: then it works, for a bad cookie, no cookie, and a write.
          for (const cookie of [undefined, "session=garbage", "session=a.b.c"]) {
            const session = await sessions.load(request(cookie));
            session.get("x");
            session.set("x", 1);
            await sessions.commit(session, new Response("ok")).catch((error: unknown) => {
              expect(error).toBeInstanceOf(SessionError);
            });
          }
        } finally {
          console.warn = warn;
        }
      }),
      { numRuns: 600 },
    );
    expect(returned).toBeGreaterThan(10);
  });
});
