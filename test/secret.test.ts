import { describe, expect, test } from "vitest";
import { SessionError } from "../src/errors.ts";
import { checkSecretPolicy, generateSecret, normalizeSecrets } from "../src/secret.ts";

function reason(secret: string | Uint8Array): string | undefined {
  try {
    checkSecretPolicy(secret, "option secret");
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    expect((e as SessionError).code).toBe("weak_secret");
    return (e as Error).message;
  }
}

describe("secret policy", () => {
  test("accepts random secrets of the usual shapes", () => {
    expect(reason("0d9f5c2ab7e14863a0f1c9d2e7b54a31")).toBeUndefined(); // 32 hex = 128 bits, the minimum
    expect(reason("4c1f0e9a7d3b2a8e5f6c0d1b9a8e7f6c5d4b3a2918e7f6d5c4b3a29180f7e6d5")).toBeUndefined();
    expect(reason("kR8vN2qXw5LmT9zB4cYhJ7pD1sG6fA3eU0oIyQ_-tWx")).toBeUndefined();
    expect(reason(crypto.getRandomValues(new Uint8Array(32)))).toBeUndefined();
  });

  test("rule 1: at least 32 bytes", () => {
    expect(reason("kR8vN2qXw5LmT9zB4cYhJ7pD1sG6fA3")).toMatch(/too short: 31 bytes/);
    expect(reason(new Uint8Array(16).fill(7))).toMatch(/too short: 16 bytes/);
  });

  test("rule 2: variety (distinct characters, dominance, runs)", () => {
    expect(reason("abababababababababababababababababab")).toMatch(/distinct/);
    expect(reason("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).toMatch(/run of 8|distinct/);
    expect(reason("kR8vN2qXw5Lm12345678T9zB4cYhJ7pD1sG6")).toMatch(/run of 8/);
    expect(reason("kR8vN2qXw5Lmhgfedcba9zB4cYhJ7pD1sG6")).toMatch(/run of 8/);
    expect(reason("xAxBxCxDxExFxGxHxIxJxKxLxMxNxOxPxQxR")).toMatch(/quarter/);
    expect(reason(new Uint8Array(32))).toMatch(/run of 8|distinct/);
  });

  test("rule 3: at least 128 estimated bits", () => {
    // 33 hex characters pass (132 bits); a 31-byte hex string fails on length first.
    expect(reason("0d9f5c2ab7e14863a0f1c9d2e7b54a31f")).toBeUndefined();
  });

  test.each([
    "my-secret-key-0d9f5c2ab7e14863a0f1c9",
    "changeme0d9f5c2ab7e14863a0f1c9d2e7b5",
    "ReplaceWithRandom0d9f5c2ab7e14863a0f",
    "<0d9f5c2ab7e14863a0f1c9d2e7b54a31>",
    "some_not_random_password_that_is_also_long_enough",
  ])("rule 4: placeholder %j", (secret) => {
    expect(reason(secret)).toMatch(/placeholder/);
  });

  test("rule 5: published example keys are refused", () => {
    expect(reason("192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf")).toMatch(/published key/);
  });

  test("messages say how to get a good secret", () => {
    expect(reason("short")).toMatch(/npx websession secret|generateSecret/);
  });
});

describe("normalizeSecrets", () => {
  test("one secret or a list, current first", () => {
    expect(normalizeSecrets("a")).toEqual(["a"]);
    expect(normalizeSecrets(["a", "b"])).toEqual(["a", "b"]);
  });

  test("refuses missing, empty, wrong types, duplicates and more than 5 (KR-06)", () => {
    expect(() => normalizeSecrets(undefined)).toThrow(/option secret is required/);
    expect(() => normalizeSecrets([])).toThrow(/option secret is required/);
    expect(() => normalizeSecrets("")).toThrow(/empty/);
    expect(() => normalizeSecrets(42)).toThrow(/must be a string or Uint8Array/);
    expect(() => normalizeSecrets(["a", "b", "a"])).toThrow(/same secret twice/);
    expect(() => normalizeSecrets(["a", "b", "c", "d", "e", "f"])).toThrow(RangeError);
  });

  test("the same secret as text and as UTF-8 bytes counts as the same (KR-09)", () => {
    expect(() => normalizeSecrets(["abc\u00e9", new TextEncoder().encode("abc\u00e9")])).toThrow(/same secret twice/);
  });
});

describe("generateSecret", () => {
  test("43 base64url characters that pass the policy, never the same twice", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = generateSecret();
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(reason(s)).toBeUndefined();
      seen.add(s);
    }
    expect(seen.size).toBe(200);
  });
});
