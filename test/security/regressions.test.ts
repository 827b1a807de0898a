// One regression test per bug the security-bar work found (test/security/README.md, "Bugs found
// and fixed"). Each failed before its fix.

import { afterEach, describe, expect, test, vi } from "vitest";
import { createSessions } from "../../src/index.ts";
import type { InvalidReason } from "../../src/index.ts";
import { b64, envelope, flaskToken, sealedToken, signedToken } from "./forge.ts";
import { nobleDecrypt } from "./sealed-helpers.ts";
import { OLD_SECRET, T0S, TEST_SECRET, Target, request } from "./target.ts";

// @noble/ciphers' AES-GCM (the sealed engine off workerd), with its decryptions counted.
vi.mock("@noble/ciphers/aes.js", async (original) => (await import("./sealed-helpers.ts")).countingAes(await original()));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("regressions", () => {
  test("a sparse secret list ([current, , old]) is refused by createSessions, not met as undefined by the first request (KR-06)", async () => {
    // eslint-disable-next-line no-sparse-arrays
    for (const secret of [[TEST_SECRET, , OLD_SECRET], [, TEST_SECRET], new Array(2)]) {
      for (const format of ["signed", "sealed", "flask"] as const) {
        expect(() => createSessions({ secret: secret as never, format }), `${format} ${JSON.stringify(secret)}`).toThrow(
          /option secret\[\d\] must be a string or Uint8Array, got undefined/,
        );
      }
    }
  });

  test("a validly signed session that commit could never write back (nesting past the cap, 1e999, a lone surrogate escape) is refused when loaded, not a failing commit later (JSN-06, JSN-11)", async () => {
    const payloads = [`{"x":${"[".repeat(100)}${"]".repeat(100)}}`, '{"x":1e999}', '{"x":"\\ud800"}', '{"x":[-1e400]}'];
    for (const mode of ["signed", "sealed"] as const) {
      const t = new Target(mode);
      for (const data of payloads) {
        const token = (mode === "signed" ? signedToken : sealedToken)(TEST_SECRET, "session", `{"c":${T0S},"a":${T0S},"d":${data}}`);
        const response = await t.run((s) => void s.set("more", 1), t.pair(token));
        expect(response.status, `${mode} ${data}`).toBe(200);
        expect((await t.read(t.pair(token))).isNew, `${mode} ${data}`).toBe(true);
      }
      // Flashes are held to the same rule.
      const flashes = (mode === "signed" ? signedToken : sealedToken)(TEST_SECRET, "session", `{"c":${T0S},"a":${T0S},"f":[["m","\\udc00"]],"d":{}}`);
      expect((await t.read(t.pair(flashes))).isNew).toBe(true);
    }
  });

  test("a byte-order mark before a validly signed envelope is refused, as Python's json.loads refuses it (JSN-12)", async () => {
    for (const mode of ["signed", "sealed"] as const) {
      const t = new Target(mode);
      const make = mode === "signed" ? signedToken : sealedToken;
      expect((await t.read(t.pair(make(TEST_SECRET, "session", `\ufeff${envelope({ user: "ada" }, T0S)}`)))).isNew).toBe(true);
      expect((await t.read(t.pair(make(TEST_SECRET, "session", envelope({ user: "ada" }, T0S))))).isNew).toBe(false);
    }
  });

  test("a clock that returns NaN fails closed: no cookie is ever within the limits (TM-10)", async () => {
    for (const mode of ["signed", "sealed", "flask", "store"] as const) {
      const t = new Target(mode);
      const token = await t.issue({ user: "ada" });
      const broken = new Target(mode, { now: () => NaN }, { store: t.store });
      const seen = await broken.read(broken.pair(token));
      expect([mode, seen.isNew, broken.reasons]).toEqual([mode, true, ["expired"]]);
    }
  });

  test("more than 4 distinct values under the session name are ambiguous before any cryptography: a request cannot buy hundreds of decryptions (d.2, SZ-03)", async () => {
    const t = new Target("sealed");
    const forged = Array.from({ length: 300 }, (_, i) => sealedToken(OLD_SECRET, "session", `{"c":${T0S},"a":${T0S},"d":{"i":${i}}}`));
    const decrypt = vi.spyOn(crypto.subtle, "decrypt");
    const reasons: InvalidReason[] = [];
    const sessions = createSessions({ secret: TEST_SECRET, format: "sealed", now: t.time.now, onInvalid: (r) => reasons.push(r) });
    const header = forged.map((v) => `session=${v}`).join("; ");
    nobleDecrypt.calls = 0;
    expect((await sessions.load(request(header))).isNew).toBe(true);
    expect(decrypt.mock.calls.length + nobleDecrypt.calls).toBe(0);
    expect(reasons).toEqual(["ambiguous"]);
    // Four are still each tried (a browser may hold one per Path and Domain).
    expect(
      (
        await sessions.load(
          request(
            forged
              .slice(0, 4)
              .map((v) => `session=${v}`)
              .join("; "),
          ),
        )
      ).isNew,
    ).toBe(true);
    expect(decrypt.mock.calls.length + nobleDecrypt.calls).toBe(4);
    // The same value repeated is one candidate.
    const valid = await t.issue({ user: "ada" });
    await t.accepts(Array.from({ length: 20 }, () => t.pair(valid)).join("; "), { user: "ada" });
  });

  test("flask: a timestamp with a leading zero byte (which itsdangerous never writes) is refused (TM-05)", async () => {
    const t = new Target("flask");
    const padded = flaskToken(TEST_SECRET, '{"user":"ada"}', { segment: b64(new Uint8Array([0, 0x65, 0x53, 0xf1, 0x00])) });
    await t.anon(t.pair(padded), { reason: "malformed" });
    await t.accepts(t.pair(flaskToken(TEST_SECRET, '{"user":"ada"}', T0S)), { user: "ada" });
  });

  test("cookie.path ending in a space is refused: browsers trim it and would store the cookie under another path (CK-16)", () => {
    expect(() => createSessions({ secret: TEST_SECRET, cookie: { path: "/app " } })).toThrow(/option cookie\.path is invalid: "\/app "; .*not end in a space/);
    expect(() => createSessions({ secret: TEST_SECRET, cookie: { path: "/a b" } })).not.toThrow();
  });

  test("an array as the options object is refused as not an options object (no 'option 0 is unknown')", () => {
    expect(() => createSessions([{ secret: TEST_SECRET }] as never)).toThrow(/^createSessions needs an options object/);
  });
});
