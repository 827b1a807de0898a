// Flask's tagged JSON reader: a JSON parser with Python's json.loads rules (NaN/Infinity,
// exact big ints, duplicate keys last wins, lone surrogate escapes), a depth cap, then
// untagging bottom-up exactly as Flask does. It never throws: anything it cannot read is
// `null`. See shared/docs/flask-format.md section 6.

import { base64urlDecode } from "../../encoding.ts";
import { parseHttpDate, uuidHex } from "./python.ts";
import { Markup, PyFloat, Tuple, UUID } from "./values.ts";

/** Most nested JSON containers (objects and arrays, tag wrappers included) written or read. */
export const MAX_JSON_DEPTH = 128;
// CPython 3.11's default limit for int() from text (sys.int_info.default_max_str_digits):
// longer integers make Flask fail, so they are invalid here too.
const MAX_INT_DIGITS = 4300;
/** The keys that make a one-key dict a tag (TaggedJSONSerializer's default tags). */
export const TAG_KEYS: ReadonlySet<string> = new Set([" di", " t", " b", " m", " u", " d"]);

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
      case 0x22:
        out += '"';
        break;
      case 0x5c:
        out += "\\";
        break;
      case 0x2f:
        out += "/";
        break;
      case 0x62:
        out += "\b";
        break;
      case 0x66:
        out += "\f";
        break;
      case 0x6e:
        out += "\n";
        break;
      case 0x72:
        out += "\r";
        break;
      case 0x74:
        out += "\t";
        break;
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

// Canonical standard base64 with padding (what Python's b64encode writes); null otherwise.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Decode(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null;
  return base64urlDecode(text.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_"));
}
