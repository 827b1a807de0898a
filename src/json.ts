// Lossless JSON for session data: what is written must read back as the same value.

import { SessionError } from "./errors.ts";

const MAX_DEPTH = 64;

/**
 * Throws `SessionError("unserializable")` naming the path of the first value that JSON
 * cannot carry without loss: NaN, Infinity, BigInt, functions, symbols, `undefined`,
 * sparse arrays, class instances (Date, Map, ...), cycles, lone surrogates, or nesting
 * deeper than 64 levels.
 */
export function assertLosslessJson(value: unknown, path: string, depth = 0): void {
  // Every commit checks the whole session, so the check builds no path strings; only when it
  // fails does the walk below run again to name the offending value.
  if (isLossless(value, depth)) return;
  explainLoss(value, path, depth);
  fail(path, "not plain JSON"); // unreachable: the walks reject the same values
}

/**
 * Whether {@link assertLosslessJson} would accept `value`. Readers use it on decoded data, so a
 * verified payload that could never have been written (nesting over the cap, `1e999`, a lone
 * surrogate escape) is refused on the way in, not at the next commit.
 */
export function isLosslessJson(value: unknown): boolean {
  return isLossless(value, 0);
}

function isLossless(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
      return value.isWellFormed();
    case "number":
      return Number.isFinite(value);
    case "boolean":
      return true;
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        // A hole reads as undefined, which fails like undefined itself.
        for (let i = 0; i < value.length; i++) if (!isLossless(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) if (!isLossless((value as Record<string, unknown>)[keys[i]!], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

function explainLoss(value: unknown, path: string, depth: number): void {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) fail(path, "a string with a lone surrogate");
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, String(value));
      return;
    case "boolean":
      return;
    case "object": {
      if (value === null) return;
      if (depth >= MAX_DEPTH) fail(path, `nesting deeper than ${MAX_DEPTH} levels (or a cycle)`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) fail(`${path}[${i}]`, "a hole in a sparse array");
          explainLoss(value[i], `${path}[${i}]`, depth + 1);
        }
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        fail(path, `an instance of ${(value as object).constructor?.name ?? "a class"}; store plain objects, arrays, strings, numbers, booleans or null`);
      }
      for (const key of Object.keys(value)) {
        explainLoss((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      }
      return;
    }
    default:
      fail(path, typeof value === "bigint" ? "a BigInt" : typeof value);
  }
}

function fail(path: string, what: string): never {
  throw new SessionError("unserializable", `session value at ${path} is ${what}, which JSON cannot carry without loss`);
}
