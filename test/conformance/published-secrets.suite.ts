// Security finding 4 (#12): published secrets pass the secret policy. Every runtime must refuse
// the 34,337 published Flask and express-session keys (src/published-secrets.ts) at start-up,
// in every format, and still accept random secrets. The table's match with the data file is
// checked on Node (test/published-secrets.test.ts), which can read ../shared.

import { SessionError } from "../../src/errors.ts";
import type { SessionFormat, SessionsOptions } from "../../src/options.ts";
import { PUBLISHED_FALSE_POSITIVE_RATE, isPublishedDigest, isPublishedSecret } from "../../src/published.ts";
import { generateSecret } from "../../src/secret.ts";
import { createSessions } from "../../src/sessions.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { defineSuite, expectEqual, expectRejects, expectTrue } from "./harness.ts";

/** Redash's hard-coded default Flask SECRET_KEY (CVE-2021-41192); a cookie forged with it logs in as user 1. */
const REDASH_KEY = "c292a0a3aa32397cdb050e233733900f";
/** Flask's configuration docs: the printed example of secrets.token_hex(). */
const FLASK_DOCS_KEY = "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf";
const GOOD_SECRET = "Ec3JyiFTT7HIG5dKpn5kHq3lNvN6_jAwRF4Si0f8f3o";

// Lines 1, 2289, 4578, ... and the last of ../shared/data/published-secrets.sha256-16.txt.
const SAMPLE = [
  "00015487cf031f1d",
  "1156dd977567d398",
  "222be796f473ca21",
  "32abce86f38347eb",
  "43f0f1143f437699",
  "54cdabfe6305efb5",
  "65d7c8dbdbc5789d",
  "769a7172da0a43d1",
  "87c13830fb35f455",
  "998a7d3037f788cb",
  "aa58b7c11cd27604",
  "bbce4138e099cb9f",
  "cd1b31f02965976f",
  "de1a1637ae82215e",
  "ef1401b8c39f7302",
  "fffe26b770463df6",
  "ffff8599cb2895f2",
];

const FORMATS: { label: string; options: Partial<SessionsOptions> }[] = [
  { label: "signed", options: { format: "signed" } },
  { label: "sealed", options: { format: "sealed" } },
  { label: "flask", options: { format: "flask" as SessionFormat } },
  { label: "a store", options: { store: memoryStore() } },
];

function bytesOfHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => Number.parseInt(pair, 16));
}

function refusal(options: SessionsOptions): string {
  try {
    createSessions(options);
  } catch (error) {
    expectTrue(error instanceof SessionError, `expected a SessionError, got ${String(error)}`);
    expectEqual((error as SessionError).code, "weak_secret");
    return (error as Error).message;
  }
  throw new Error("createSessions accepted a published secret");
}

export const publishedSecrets = defineSuite("published secrets (#12 finding 4)", (test) => {
  for (const { label, options } of FORMATS) {
    test(`finding 4: Redash's default key (CVE-2021-41192) is refused at start-up, format ${label}, saying what to do`, () => {
      const message = refusal({ ...options, secret: REDASH_KEY });
      expectTrue(/option secret is a published key/.test(message), message);
      expectTrue(/npx websession secret/.test(message), message);
      expectTrue(!message.includes(REDASH_KEY), "the message must not repeat the secret");
    });
  }

  test("finding 4: a published key is refused as a fallback too, as bytes too, naming its index", () => {
    const message = refusal({ secret: [GOOD_SECRET, REDASH_KEY] });
    expectTrue(/option secret\[1\] is a published key/.test(message), message);
    expectTrue(/published key/.test(refusal({ secret: new TextEncoder().encode(FLASK_DOCS_KEY) })));
  });

  test("finding 4: unsafeAllowWeakSecret still admits a published Flask key, with a warning that names no secret", async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    try {
      createSessions({ secret: REDASH_KEY, format: "flask", unsafeAllowWeakSecret: true });
    } finally {
      console.warn = original;
    }
    expectEqual(warnings.length, 1);
    expectTrue(/WARNING: unsafeAllowWeakSecret is on and the secret is a published key/.test(warnings[0]!), warnings[0]);
    expectTrue(!warnings[0]!.includes(REDASH_KEY), "the warning must not print the secret");
    await expectRejects(async () => createSessions({ secret: REDASH_KEY, format: "flask" }));
  });

  test("finding 4: a sample of the listed fingerprints is refused through the fingerprint check", () => {
    for (const hex of SAMPLE) expectTrue(isPublishedDigest(bytesOfHex(hex)), `${hex} is listed`);
    // Neighbours one below and one above each listed prefix are not listed.
    for (const hex of SAMPLE.slice(1, -1)) {
      const prefix = Number.parseInt(hex.slice(0, 10), 16);
      for (const near of [prefix - 1, prefix + 1]) {
        expectTrue(!isPublishedDigest(bytesOfHex(near.toString(16).padStart(10, "0"))), `${near.toString(16)} is not listed`);
      }
    }
    expectTrue(isPublishedSecret(new TextEncoder().encode(REDASH_KEY)));
  });

  test("finding 4: random secrets pass (false-positive rate below 1e-7) and generateSecret() works", () => {
    expectTrue(PUBLISHED_FALSE_POSITIVE_RATE < 1e-7, `rate ${PUBLISHED_FALSE_POSITIVE_RATE}`);
    for (let i = 0; i < 1000; i++) {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      expectTrue(!isPublishedSecret(secret), "a random secret was refused as published");
    }
    for (let i = 0; i < 20; i++) createSessions({ secret: generateSecret() });
    expectTrue(!isPublishedDigest(new Uint8Array(8)), "the all-zero digest is not listed");
    expectTrue(!isPublishedDigest(new Uint8Array(8).fill(255)), "the all-ones digest is not listed");
  });
});
