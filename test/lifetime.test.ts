import { describe, expect, test } from "vitest";
import type { InvalidReason } from "../src/errors.ts";
import { expiryOf, invalidReporter, remainingSeconds } from "../src/lifetime.ts";

const limits = { lifetime: 100, absoluteLifetime: 1000 };

describe("expiryOf", () => {
  test("idle limit: age == lifetime is live, one second more is past", () => {
    expect(expiryOf({ created: 0, lastActive: 0 }, 100, limits, 0)).toBeUndefined();
    expect(expiryOf({ created: 0, lastActive: 0 }, 101, limits, 0)).toBe("past");
  });

  test("absolute limit from creation, whatever the last write", () => {
    expect(expiryOf({ created: 0, lastActive: 990 }, 1000, limits, 0)).toBeUndefined();
    expect(expiryOf({ created: 0, lastActive: 990 }, 1001, limits, 0)).toBe("past");
    expect(expiryOf({ created: 0, lastActive: 990 }, 1_000_000, { lifetime: 100, absoluteLifetime: undefined }, 0)).toBe("past");
  });

  test("future timestamps beyond the skew, and out-of-order ones", () => {
    expect(expiryOf({ created: 160, lastActive: 160 }, 100, limits, 60)).toBeUndefined();
    expect(expiryOf({ created: 161, lastActive: 161 }, 100, limits, 60)).toBe("future");
    expect(expiryOf({ created: 101, lastActive: 101 }, 100, limits, 0)).toBe("future");
    expect(expiryOf({ created: 50, lastActive: 40 }, 100, limits, 0)).toBe("future");
  });

  test("a NaN anywhere fails closed", () => {
    expect(expiryOf({ created: 0, lastActive: 0 }, NaN, limits, 0)).not.toBeUndefined();
    expect(expiryOf({ created: NaN, lastActive: 0 }, 10, limits, 0)).not.toBeUndefined();
    expect(expiryOf({ created: 0, lastActive: NaN }, 10, limits, 0)).not.toBeUndefined();
  });
});

describe("remainingSeconds", () => {
  test("the idle limit, cut at the absolute one, never below 1", () => {
    expect(remainingSeconds(0, 0, limits)).toBe(100);
    expect(remainingSeconds(0, 950, limits)).toBe(50);
    expect(remainingSeconds(0, 1000, limits)).toBe(1);
    expect(remainingSeconds(0, 5, { lifetime: 100, absoluteLifetime: undefined })).toBe(100);
  });
});

describe("invalidReporter", () => {
  test("calls the hook with the reason and returns null; a throwing hook is contained", () => {
    const seen: InvalidReason[] = [];
    expect(invalidReporter((r) => seen.push(r))("expired")).toBeNull();
    expect(seen).toEqual(["expired"]);
    expect(
      invalidReporter(() => {
        throw new Error("boom");
      })("malformed"),
    ).toBeNull();
    expect(invalidReporter(undefined)("ambiguous")).toBeNull();
  });
});
