// Flask's tagged JSON (flask/json/tag.py on Python's json module), both ways, byte for byte.
// See shared/docs/flask-format.md section 6.
//
// Writing: keys sorted by code point, no whitespace, every code unit outside 0x20-0x7E
// escaped as \uXXXX in lower case (Python's ensure_ascii), Python float repr, exact big ints,
// and the tags " t" tuple, " b" bytes, " m" Markup, " u" UUID, " d" datetime, " di" escape.
// Reading: a JSON parser with Python's json.loads rules (NaN/Infinity, exact big ints,
// duplicate keys last wins, lone surrogate escapes), a depth cap, then untagging bottom-up
// exactly as Flask does. The parser never throws: anything it cannot read is `null`.
//
// JavaScript lacks a few of Python's types, so four small classes carry them: Tuple, UUID,
// Markup and PyFloat. Bytes are Uint8Array, datetimes are Date, ints beyond 2^53-1 are BigInt.

import { base64urlDecode, base64urlEncode } from "../encoding.ts";
import { SessionError, describe } from "../errors.ts";

/** Most nested JSON containers (objects and arrays, tag wrappers included) written or read. */
export const MAX_JSON_DEPTH = 128;
// CPython 3.11's default limit for int() from text (sys.int_info.default_max_str_digits):
// longer integers make Flask fail, so they are invalid here too.
const MAX_INT_DIGITS = 4300;
const TAG_KEYS: ReadonlySet<string> = new Set([" di", " t", " b", " m", " u", " d"]);

/**
 * A Python tuple, which Flask writes with the tag `" t"`. It is an ordinary array (index it,
 * iterate it, `Array.isArray` is true) that is written back as a tuple, not a list. Flask's
 * flashed messages are tuples too, but websession exposes those through `session.flashes()`.
 * Methods that build a new array (`map`, `slice`, ...) return plain arrays.
 *
 * @example
 * ```ts
 * session.set("point", new Tuple(3, 4)); // Flask reads (3, 4)
 * ```
 */
export class Tuple extends Array<unknown> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A tuple of `items` (`new Tuple(3)` is the one-item tuple `(3,)`, unlike `new Array(3)`). */
  constructor(...items: unknown[]) {
    super();
    for (const item of items) this.push(item);
  }
}

/**
 * A Python `uuid.UUID`, which Flask writes with the tag `" u"` as 32 lower-case hex digits.
 * Accepts the forms Python's `UUID(text)` does: dashed, plain hex, braced, `urn:uuid:`.
 *
 * @example
 * ```ts
 * session.set("id", new UUID(crypto.randomUUID()));
 * ```
 */
export class UUID {
  /** 32 lower-case hex digits without dashes (Python's `uuid.hex`). */
  readonly hex: string;

  constructor(text: string) {
    const hex = uuidHex(text);
    if (hex === null) throw new TypeError(`UUID needs 32 hex digits (dashes, braces and urn:uuid: allowed), got ${describe(text)}`);
    this.hex = hex;
  }

  /** The canonical dashed form, `12345678-1234-5678-1234-567812345678`. */
  toString(): string {
    const h = this.hex;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** The dashed form. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * markupsafe's `Markup` (Flask tag `" m"`): text that Jinja treats as safe HTML. websession
 * never interprets it; it only keeps the type so a value read from Flask goes back as Markup.
 * Never wrap untrusted input in it: Flask's templates would render it unescaped.
 */
export class Markup {
  /** The HTML text. */
  readonly html: string;

  constructor(html: string) {
    if (typeof html !== "string") throw new TypeError(`Markup needs a string, got ${describe(html)}`);
    this.html = html;
  }

  /** The HTML text. */
  toString(): string {
    return this.html;
  }

  /** The HTML text. */
  toJSON(): string {
    return this.html;
  }
}

/**
 * A Python float whose value is a whole number (`1.0`, `-0.0`, `1e+16`). JavaScript has one
 * number type, and websession writes whole numbers as Python ints, so a float read from Flask
 * with a whole value comes back as a PyFloat and is written back as a float. Every other float
 * (`0.5`, `1e-07`, `NaN`, `Infinity`) is a plain number. Use `+value` or `.value` for arithmetic.
 *
 * @example
 * ```ts
 * session.set("ratio", new PyFloat(1)); // Flask reads 1.0, not 1
 * ```
 */
export class PyFloat {
  /** The number. */
  readonly value: number;

  constructor(value: number) {
    if (typeof value !== "number") throw new TypeError(`PyFloat needs a number, got ${describe(value)}`);
    this.value = value;
  }

  /** The number, so `+f` and `f * 2` work. */
  valueOf(): number {
    return this.value;
  }

  /** Python's `repr`: `1.0`, `-0.0`, `1e+16`. */
  toString(): string {
    return pythonFloatRepr(this.value);
  }

  /** The number. */
  toJSON(): number {
    return this.value;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

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
  return fail(path, `the number ${x}, a whole number beyond ±(2^53-1) that may already be rounded; store a BigInt for an exact integer or a PyFloat for a float`);
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
  if (value instanceof Date) return `{" d":"${httpDate(value, path)}"}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return fail(path, `an instance of ${typeof name === "string" && name !== "" ? name : "a class"}; store plain objects, arrays, strings, numbers, BigInts, booleans, null, Tuple, Uint8Array, Date, UUID, Markup or PyFloat`);
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

/**
 * Orders strings by Unicode code point, as Python sorts `str` (not by UTF-16 code unit, which
 * puts U+1F600 before U+FF21). A lone surrogate counts as its own code point, as in Python.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  // Step back when the common prefix ends in a high surrogate, so a pair is compared whole.
  const prev = i > 0 ? a.charCodeAt(i - 1) : 0;
  if (prev >= 0xd800 && prev <= 0xdbff) i--;
  return a.codePointAt(i)! - b.codePointAt(i)!;
}

/**
 * Python's `repr(float)` as `json.dumps` writes it: the shortest round-trip digits (the same
 * digits as JavaScript), positional when the decimal exponent is in (-4, 16] and then always
 * with a fraction (`1.0`, `1000000000000000.0`), otherwise `d[.ddd]e±XX` (`1e+16`, `1e-05`,
 * `5e-324`); `-0.0`, `NaN`, `Infinity`, `-Infinity`.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // Number#toString gives the shortest round-trip digits, closest to x (as Python's repr).
  const text = String(Math.abs(x));
  const e = text.indexOf("e");
  const mantissa = e === -1 ? text : text.slice(0, e);
  const dot = mantissa.indexOf(".");
  const whole = dot === -1 ? mantissa : mantissa.slice(0, dot);
  let digits = whole + (dot === -1 ? "" : mantissa.slice(dot + 1));
  // value = 0.digits * 10^point
  let point = whole.length + (e === -1 ? 0 : Number(text.slice(e + 1)));
  const zeros = /^0*/.exec(digits)![0].length;
  digits = digits.slice(zeros).replace(/0+$/, "");
  point -= zeros;
  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const exponent = point - 1;
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
  return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// Werkzeug's http_date: `Www, DD Mmm YYYY HH:MM:SS GMT` in UTC, sub-second part dropped.
function httpDate(date: Date, path: string): string {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) fail(path, "an invalid Date");
  if (year < 1 || year > 9999) fail(path, `a Date in year ${year}; Python's datetime holds years 1 to 9999`);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${String(year).padStart(4, "0")} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} GMT`;
}

function base64Encode(bytes: Uint8Array): string {
  const url = base64urlEncode(bytes);
  return url.replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - (url.length % 4)) % 4);
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses Flask session JSON with Python's `json.loads` rules and untags it as Flask does.
 * Returns `{ value }`, or `null` for anything Flask could not load or websession refuses (see
 * docs/flask.md: tag values Flask never writes, nesting over {@link MAX_JSON_DEPTH}). Never throws.
 */
export function parseTaggedJson(text: string): { value: unknown } | null {
  const p: Parser = { text, pos: 0, depth: 0, firstKeys: new WeakMap() };
  try {
    skipWhitespace(p);
    const value = parseValue(p);
    skipWhitespace(p);
    return p.pos === text.length ? { value } : null;
  } catch {
    return null;
  }
}

interface Parser {
  readonly text: string;
  pos: number;
  depth: number;
  /** The first key of each parsed dict in Python's order (JS objects put integer keys first). */
  readonly firstKeys: WeakMap<object, string>;
}

// Thrown inside the parser only; a constant, so no stack trace is captured.
const INVALID = Object.freeze({ invalid: true });

function invalid(): never {
  throw INVALID;
}

function skipWhitespace(p: Parser): void {
  const t = p.text;
  let i = p.pos;
  for (;;) {
    const c = t.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  p.pos = i;
}

function parseValue(p: Parser): unknown {
  const t = p.text;
  switch (t.charCodeAt(p.pos)) {
    case 0x7b /* { */:
      return parseObject(p);
    case 0x5b /* [ */:
      return parseArray(p);
    case 0x22 /* " */:
      return parseString(p);
    case 0x74 /* t */:
      return literal(p, "true", true);
    case 0x66 /* f */:
      return literal(p, "false", false);
    case 0x6e /* n */:
      return literal(p, "null", null);
    case 0x4e /* N */:
      return literal(p, "NaN", NaN);
    case 0x49 /* I */:
      return literal(p, "Infinity", Infinity);
    case 0x2d /* - */:
      if (t.charCodeAt(p.pos + 1) === 0x49) return literal(p, "-Infinity", -Infinity);
      return parseNumber(p);
    default:
      return parseNumber(p);
  }
}

function literal<T>(p: Parser, word: string, value: T): T {
  if (!p.text.startsWith(word, p.pos)) invalid();
  p.pos += word.length;
  return value;
}

// Python's NUMBER_RE: -?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

function parseNumber(p: Parser): unknown {
  NUMBER.lastIndex = p.pos;
  const m = NUMBER.exec(p.text);
  if (m === null) invalid();
  const text = m[0];
  p.pos += text.length;
  if (m[1] === undefined && m[2] === undefined) {
    if (text.length - (text.charCodeAt(0) === 0x2d ? 1 : 0) > MAX_INT_DIGITS) invalid();
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
    return BigInt(text); // exact, never rounded
  }
  const x = Number(text);
  return Number.isInteger(x) ? new PyFloat(x) : x;
}

function parseString(p: Parser): string {
  const t = p.text;
  let i = p.pos + 1;
  let start = i;
  let out = "";
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === 0x22) break;
    if (Number.isNaN(c) || c < 0x20) invalid(); // unterminated, or a raw control character
    if (c !== 0x5c) {
      i++;
      continue;
    }
    out += t.slice(start, i);
    const e = t.charCodeAt(i + 1);
    switch (e) {
      case 0x22: out += '"'; break;
      case 0x5c: out += "\\"; break;
      case 0x2f: out += "/"; break;
      case 0x62: out += "\b"; break;
      case 0x66: out += "\f"; break;
      case 0x6e: out += "\n"; break;
      case 0x72: out += "\r"; break;
      case 0x74: out += "\t"; break;
      case 0x75: {
        const hex = t.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) invalid();
        // Surrogates stay code units: a pair makes the astral character, a lone one stays lone.
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        invalid();
    }
    i += 2;
    start = i;
  }
  p.pos = i + 1;
  return out + t.slice(start, i);
}

function enter(p: Parser): void {
  if (++p.depth > MAX_JSON_DEPTH) invalid();
  p.pos++;
  skipWhitespace(p);
}

function parseArray(p: Parser): unknown[] {
  enter(p);
  const list: unknown[] = [];
  if (p.text.charCodeAt(p.pos) === 0x5d) {
    p.pos++;
    p.depth--;
    return list;
  }
  for (;;) {
    list.push(parseValue(p));
    skipWhitespace(p);
    const c = p.text.charCodeAt(p.pos++);
    if (c === 0x5d) break;
    if (c !== 0x2c) invalid();
    skipWhitespace(p);
  }
  p.depth--;
  return list;
}

function parseObject(p: Parser): unknown {
  enter(p);
  // A Map keeps Python's dict semantics: a repeated key keeps its first place, last value wins.
  const entries = new Map<string, unknown>();
  if (p.text.charCodeAt(p.pos) === 0x7d) {
    p.pos++;
  } else {
    for (;;) {
      if (p.text.charCodeAt(p.pos) !== 0x22) invalid();
      const key = parseString(p);
      skipWhitespace(p);
      if (p.text.charCodeAt(p.pos++) !== 0x3a) invalid();
      skipWhitespace(p);
      entries.set(key, parseValue(p));
      skipWhitespace(p);
      const c = p.text.charCodeAt(p.pos++);
      if (c === 0x7d) break;
      if (c !== 0x2c) invalid();
      skipWhitespace(p);
    }
  }
  p.depth--;
  return untag(p, entries);
}

// TaggedJSONSerializer.untag, applied to each dict once its values are untagged (bottom-up).
function untag(p: Parser, entries: Map<string, unknown>): unknown {
  if (entries.size === 1) {
    const [key, value] = entries.entries().next().value!;
    if (TAG_KEYS.has(key)) return fromTag(p, key, value);
  }
  const record: Record<string, unknown> = {};
  for (const [key, value] of entries) setOwn(record, key, value);
  const first = entries.keys().next();
  if (first.done !== true) p.firstKeys.set(record, first.value);
  return record;
}

// Rejects tag values Flask never writes (a " t" string, a " b" with junk), where Python would
// sometimes guess; see docs/flask.md.
function fromTag(p: Parser, tag: string, value: unknown): unknown {
  switch (tag) {
    case " t":
      if (!Array.isArray(value)) invalid();
      return Tuple.from(value);
    case " b": {
      const bytes = typeof value === "string" ? base64Decode(value) : null;
      return bytes ?? invalid();
    }
    case " m":
      return typeof value === "string" ? new Markup(value) : invalid();
    case " u": {
      const hex = uuidHex(value);
      return hex === null ? invalid() : new UUID(hex);
    }
    case " d":
      return typeof value === "string" ? parseHttpDate(value) : invalid();
    default: {
      // " di": the inner dict's first key without its last two characters (code points).
      if (!isPlainRecord(value)) invalid();
      const key = p.firstKeys.get(value) ?? Object.keys(value)[0];
      if (key === undefined) invalid();
      const record: Record<string, unknown> = {};
      const stripped = Array.from(key).slice(0, -2).join("");
      setOwn(record, stripped, value[key]);
      p.firstKeys.set(record, stripped);
      return record;
    }
  }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

// `__proto__` is an ordinary key: define it, never assign it (which would set the prototype).
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

// Python's uuid.UUID(hex): drops "urn:" and "uuid:", strips braces at both ends, removes
// dashes, then needs exactly 32 hex digits.
function uuidHex(text: unknown): string | null {
  if (typeof text !== "string") return null;
  const hex = text.replaceAll("urn:", "").replaceAll("uuid:", "").replace(/^[{}]+|[{}]+$/g, "").replaceAll("-", "");
  return /^[0-9a-fA-F]{32}$/.test(hex) ? hex.toLowerCase() : null;
}

// Canonical standard base64 with padding (what Python's b64encode writes); null otherwise.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Decode(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null;
  return base64urlDecode(text.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_"));
}

const MONTH_NAMES = [
  "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
  "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
];
const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONES = new Map(Object.entries({
  UT: 0, UTC: 0, GMT: 0, Z: 0, AST: -400, ADT: -300, EST: -500, EDT: -400,
  CST: -600, CDT: -500, MST: -700, MDT: -600, PST: -800, PDT: -700,
}));

/**
 * Werkzeug's `parse_date` (Python's `email.utils._parsedate_tz`, ported step by step): an
 * RFC 2822 date, as a Date, or `null` when Python would not parse it (Flask then reads None).
 * Dates without a zone, or with `-0000`, are UTC.
 */
export function parseHttpDate(text: string): Date | null {
  const data = text.split(/\s+/).filter((s) => s !== "");
  if (data.length === 0) return null;
  if (data[0]!.endsWith(",") || DAY_NAMES.includes(data[0]!.toLowerCase())) {
    data.shift();
  } else {
    const comma = data[0]!.lastIndexOf(",");
    if (comma >= 0) data[0] = data[0]!.slice(comma + 1);
  }
  if (data.length === 3) {
    const stuff = data[0]!.split("-");
    if (stuff.length === 3) data.splice(0, 1, ...stuff);
  }
  if (data.length === 4) {
    const s = data[3]!;
    let i = s.indexOf("+");
    if (i === -1) i = s.indexOf("-");
    if (i > 0) data.splice(3, 1, s.slice(0, i), s.slice(i));
    else data.push("");
  }
  if (data.length < 5) return null;
  let [dd, mm, yy, tm, tz] = data as [string, string, string, string, string];
  if (dd === "" || mm === "" || yy === "") return null;
  mm = mm.toLowerCase();
  if (!MONTH_NAMES.includes(mm)) {
    [dd, mm] = [mm, dd.toLowerCase()];
    if (!MONTH_NAMES.includes(mm)) return null;
  }
  let month = MONTH_NAMES.indexOf(mm) + 1;
  if (month > 12) month -= 12;
  if (dd.endsWith(",")) dd = dd.slice(0, -1);
  if (yy.indexOf(":") > 0) [yy, tm] = [tm, yy];
  if (yy.endsWith(",")) {
    yy = yy.slice(0, -1);
    if (yy === "") return null;
  }
  if (!/^\d/.test(yy)) [yy, tz] = [tz, yy];
  if (tm.endsWith(",")) tm = tm.slice(0, -1);
  let parts = tm.split(":");
  if (parts.length === 1 && tm.includes(".")) {
    parts = tm.split(".");
    if (parts.length !== 2 && parts.length !== 3) return null;
  } else if (parts.length !== 2 && parts.length !== 3) {
    return null;
  }
  const year0 = pyInt(yy), day = pyInt(dd), hour = pyInt(parts[0]!), minute = pyInt(parts[1]!), second = pyInt(parts[2] ?? "0");
  if (year0 === null || day === null || hour === null || minute === null || second === null) return null;
  const year = year0 < 100 ? year0 + (year0 > 68 ? 1900 : 2000) : year0;
  tz = tz.toUpperCase();
  let offset = ZONES.get(tz) ?? pyInt(tz) ?? 0; // -0000, unknown names and no zone: UTC
  offset = Math.sign(offset) * (Math.floor(Math.abs(offset) / 100) * 3600 + (Math.abs(offset) % 100) * 60);
  // Python's datetime() then rejects what is out of range (Flask reads None).
  if (year < 1 || year > 9999 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (day < 1 || day > new Date(Date.UTC(2000, month, 0)).getUTCDate() || (month === 2 && day === 29 && !isLeap(year))) return null;
  if (hour < 0 || minute < 0 || second < 0 || Math.abs(offset) >= 86400) return null;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  return new Date(utc.getTime() - offset * 1000);
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

// int() on the ASCII forms Python accepts here: optional sign, digits.
function pyInt(s: string): number | null {
  return /^[+-]?\d+$/.test(s) ? Number(s) : null;
}
