// Flask's tagged JSON writer (flask/json/tag.py on Python's json module), byte for byte:
// keys sorted by code point, no whitespace, every code unit outside 0x20-0x7E escaped as
// \uXXXX in lower case (Python's ensure_ascii), Python float repr, exact big ints, and the
// tags " t" tuple, " b" bytes, " m" Markup, " u" UUID, " d" datetime, " di" escape.
// See shared/docs/flask-format.md section 6.

import { base64urlEncode } from "../../encoding.ts";
import { SessionError } from "../../errors.ts";
import { compareCodePoints, httpDate, pythonFloatRepr } from "./python.ts";
import { MAX_JSON_DEPTH, TAG_KEYS } from "./parser.ts";
import { Markup, PyFloat, Tuple, UUID } from "./values.ts";

/**
 * Flask's session JSON for `value`: what `TaggedJSONSerializer.dumps` writes inside a request
 * (sorted keys, compact separators, ASCII only). Throws `SessionError("unserializable")` naming
 * the path of the first value Flask could not read back as the same value.
 */
export function dumpTaggedJson(value: unknown, path = "session"): string {
  return write(value, path, 0);
}

function write(value: unknown, path: string, depth: number): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      return writeNumber(value, path);
    case "object":
      if (value === null) return "null";
      return writeObject(value, path, depth);
    default:
      return fail(path, typeof value);
  }
}

function writeNumber(x: number, path: string): string {
  if (!Number.isInteger(x)) return pythonFloatRepr(x); // NaN and ±Infinity too: Python writes them
  if (Math.abs(x) <= Number.MAX_SAFE_INTEGER) return x === 0 ? "0" : String(x);
  return fail(
    path,
    `the number ${x}, a whole number beyond ±(2^53-1) that may already be rounded; store a BigInt for an exact integer or a PyFloat for a float`,
  );
}

function writeObject(value: object, path: string, depth: number): string {
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (depth + 1 > MAX_JSON_DEPTH) fail(path, `nesting deeper than ${MAX_JSON_DEPTH} levels (or a cycle)`);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    // TagDict: a one-key dict whose key is a tag is escaped, or it would read back as that tag.
    if (keys.length === 1 && TAG_KEYS.has(keys[0]!)) {
      const key = keys[0]!;
      if (depth + 2 > MAX_JSON_DEPTH) fail(path, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
      return `{" di":{${quote(`${key}__`)}:${write(record[key], `${path}${pathKey(key)}`, depth + 2)}}}`;
    }
    keys.sort(compareCodePoints);
    let out = "{";
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i > 0) out += ",";
      out += `${quote(key)}:${write(record[key], `${path}${pathKey(key)}`, depth + 1)}`;
    }
    return `${out}}`;
  }
  if (value instanceof Tuple) return `{" t":${writeList(value, path, depth + 1)}}`;
  if (Array.isArray(value)) return writeList(value, path, depth);
  if (value instanceof Uint8Array) return `{" b":"${base64Encode(value)}"}`;
  if (value instanceof Markup) return `{" m":${quote(value.html)}}`;
  if (value instanceof UUID) return `{" u":"${value.hex}"}`;
  if (value instanceof Date) return `{" d":"${httpDate(checkedDate(value, path))}"}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return fail(
    path,
    `an instance of ${typeof name === "string" && name !== "" ? name : "a class"}; store plain objects, arrays, strings, numbers, BigInts, booleans, null, Tuple, Uint8Array, Date, UUID, Markup or PyFloat`,
  );
}

function writeList(list: readonly unknown[], path: string, depth: number): string {
  if (depth + 1 > MAX_JSON_DEPTH) fail(path, `nesting deeper than ${MAX_JSON_DEPTH} levels (or a cycle)`);
  let out = "[";
  for (let i = 0; i < list.length; i++) {
    if (!(i in list)) fail(`${path}[${i}]`, "a hole in a sparse array");
    if (i > 0) out += ",";
    out += write(list[i], `${path}[${i}]`, depth + 1);
  }
  return `${out}]`;
}

function pathKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function fail(path: string, what: string): never {
  throw new SessionError("unserializable", `session value at ${path} is ${what}, which the flask format cannot carry`);
}

// Python's json with ensure_ascii: the short escapes, and \u + 4 lower-case hex digits for
// every other code unit below 0x20 or above 0x7E (DEL and lone surrogates included).
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;
const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x08: "\\b", 0x0c: "\\f" };

function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i) + (SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`);
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

// Python's datetime holds years 1 to 9999, and an invalid Date has no text at all.
function checkedDate(date: Date, path: string): Date {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) fail(path, "an invalid Date");
  if (year < 1 || year > 9999) fail(path, `a Date in year ${year}; Python's datetime holds years 1 to 9999`);
  return date;
}

function base64Encode(bytes: Uint8Array): string {
  const url = base64urlEncode(bytes);
  return url.replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - (url.length % 4)) % 4);
}
