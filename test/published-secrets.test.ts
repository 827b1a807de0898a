// The generated table (src/published-secrets.ts) matches the data file it was made from,
// ../shared/data/published-secrets.sha256-16.txt (CI clones shared/ next to the repository).
// Behaviour on every runtime: test/conformance/published-secrets.suite.ts.

import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { PUBLISHED_SECRETS } from "../src/published-secrets.ts";
import { isPublishedDigest, publishedPrefixes } from "../src/published.ts";
import { BITS, DATA_FILE, generate, prefixesOf } from "../scripts/published-secrets.ts";

function data(): string {
  if (!existsSync(DATA_FILE)) throw new Error(`${DATA_FILE} is missing: clone shared/ next to the repository`);
  return readFileSync(DATA_FILE, "utf8");
}

function bytesOfHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => Number.parseInt(pair, 16));
}

describe("published secrets table (#12 finding 4)", () => {
  test("is exactly what the generator makes from the data file (regenerate: npx tsx scripts/published-secrets.ts)", () => {
    const source = readFileSync(new URL("../src/published-secrets.ts", import.meta.url), "utf8");
    expect(source === generate(data())).toBe(true);
  });

  test("decodes to the data file's distinct prefixes, and listed fingerprints across the whole table are refused", () => {
    const lines = data()
      .split("\n")
      .filter((line) => line !== "");
    expect(lines.length).toBe(34_337);
    const prefixes = prefixesOf(data());
    expect(PUBLISHED_SECRETS.bits).toBe(BITS);
    expect(PUBLISHED_SECRETS.count).toBe(prefixes.length);
    expect(publishedPrefixes()).toEqual(prefixes);
    // The equality above covers every entry; the lookup (one block decoded per call) is checked
    // on every 17th line and each block's first and last entry, which keeps this test quick.
    const probe = lines.filter((_, i) => i % 17 === 0 || i % 512 === 0 || i % 512 === 511 || i === lines.length - 1);
    expect(probe.length).toBeGreaterThan(2000);
    const missed = probe.filter((hex) => !isPublishedDigest(bytesOfHex(hex)));
    expect(missed).toEqual([]);
  });
});
