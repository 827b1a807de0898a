// A runtime-neutral test harness: suites written once against this tiny API run under
// vitest (Node and workerd), `deno test` and `bun test`. Suites may use only Web globals
// and import from src/ and adapters/ with relative `.ts` paths.

/** Registers one test case. */
export type TestFn = (name: string, fn: () => void | Promise<void>) => void;

/** A suite: a function that registers its cases. */
export interface Suite {
  readonly name: string;
  readonly register: (test: TestFn) => void;
}

/** Declares a suite. */
export function defineSuite(name: string, register: (test: TestFn) => void): Suite {
  return { name, register };
}

/** Throws unless `actual` deep-equals `expected` (structural; Maps, Uint8Arrays, Dates, BigInts). */
export function expectEqual(actual: unknown, expected: unknown, message = ""): void {
  const path = diff(actual, expected, "$");
  if (path !== undefined) {
    throw new Error(`${message ? `${message}: ` : ""}mismatch at ${path}\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`);
  }
}

/** Throws unless `value` is truthy. */
export function expectTrue(value: unknown, message = "expected a truthy value"): void {
  if (!value) throw new Error(message);
}

/** Awaits `fn` and throws unless it rejects/throws; returns the error. */
export async function expectRejects(fn: () => unknown, message = "expected an error"): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error(message);
}

function diff(a: unknown, b: unknown, path: string): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return path;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime() ? undefined : path;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return path;
    return a.every((x, i) => x === b[i]) ? undefined : path;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return path;
    for (const [k, v] of a) {
      if (!b.has(k)) return `${path}.get(${String(k)})`;
      const d = diff(v, b.get(k), `${path}.get(${String(k)})`);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path} (prototype)`;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return `${path} (keys ${ka.join(",")} vs ${kb.join(",")})`;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return `${path}.${k}`;
    const d = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Map ? Object.fromEntries(x) : x));
  } catch {
    return String(v);
  }
}
