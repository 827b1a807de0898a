// The typed description of Python values that shared/vectors/flask-sessions.json and the
// Flask peer (shared/flask-peer/app.py) use ({"$tuple": [...]}, {"$bytes_b64": "..."}, ...),
// converted to and from websession's values. Web globals only (the suites run everywhere).

import { pythonFloatRepr } from "../../src/codecs/flask/python.ts";
import { Markup, PyFloat, Tuple, UUID } from "../../src/codecs/flask/values.ts";
import type { Flash } from "../../src/session.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TYPED_KEYS = new Set(["$tuple", "$bytes_b64", "$uuid", "$datetime", "$markup", "$float", "$int", "$dict"]);

/** The websession value for a typed description (the mapping docs/flask.md documents). */
export function fromTyped(d: unknown): unknown {
  if (Array.isArray(d)) return d.map(fromTyped);
  // A plain JSON number beyond 2^53-1 is a Python float (a big int would be "$int").
  if (typeof d === "number") return Number.isInteger(d) && Math.abs(d) > MAX_SAFE ? new PyFloat(d) : d;
  if (typeof d !== "object" || d === null) return d;
  const keys = Object.keys(d);
  const v = (d as Record<string, unknown>)[keys[0]!];
  if (keys.length === 1) {
    switch (keys[0]) {
      case "$tuple":
        return Tuple.from((v as unknown[]).map(fromTyped));
      case "$bytes_b64":
        return Uint8Array.from(atob(v as string), (c) => c.charCodeAt(0));
      case "$uuid":
        return new UUID(v as string);
      case "$datetime":
        return new Date(v as string);
      case "$markup":
        return new Markup(v as string);
      case "$float": {
        // Whole-valued floats are PyFloat; the others are plain numbers.
        const x = Number(v);
        return Number.isInteger(x) ? new PyFloat(x) : x;
      }
      case "$int":
        return BigInt(v as string);
      case "$dict":
        return record(v as Record<string, unknown>);
    }
  }
  return record(d as Record<string, unknown>);
}

function record(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(d)) {
    Object.defineProperty(out, key, { value: fromTyped(d[key]), writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/** The typed description of a websession value, as the peer's `describe()` writes it. */
export function toTyped(v: unknown): unknown {
  if (v instanceof Markup) return { $markup: v.html };
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "bigint") return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : { $int: String(v) };
  if (typeof v === "number" || v instanceof PyFloat) {
    const x = Number(v);
    if (typeof v === "number" && Number.isInteger(x)) return x === 0 ? 0 : x; // written as a Python int
    const text = pythonFloatRepr(x);
    return text === jsNumberString(x) ? x : { $float: text };
  }
  if (v instanceof Uint8Array) return { $bytes_b64: btoa(String.fromCharCode(...v)) };
  if (v instanceof Tuple) return { $tuple: [...v].map(toTyped) };
  if (Array.isArray(v)) return v.map(toTyped);
  if (v instanceof UUID) return { $uuid: v.toString() };
  if (v instanceof Date) return { $datetime: v.toISOString().replace(/\.\d{3}Z$/, "Z") };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    Object.defineProperty(out, key, { value: toTyped(value), writable: true, enumerable: true, configurable: true });
  }
  return Object.keys(out).length === 1 && TYPED_KEYS.has(Object.keys(out)[0]!) ? { $dict: out } : out;
}

// What JSON.stringify writes for a double (the peer compares Python's text with it).
function jsNumberString(x: number): string {
  return Number.isFinite(x) ? String(x) : "null";
}

/** What a typed Flask session means in websession: data, the permanent flag and flashes. */
export interface ExpectedSession {
  readonly data: Map<string, unknown>;
  readonly permanent: boolean;
  readonly flashes: Flash[];
}

/** Splits a typed Flask session dict into websession's data, `permanent` and flashes. */
export function expectedSession(typed: Record<string, unknown>): ExpectedSession {
  const data = new Map<string, unknown>();
  let permanent = false;
  let flashes: Flash[] = [];
  for (const [key, value] of Object.entries(typed)) {
    if (key === "_permanent") permanent = value === true;
    else if (key === "_flashes") flashes = (fromTyped(value) as string[][]).map(([c, m]): Flash => [c!, m!]);
    else data.set(key, fromTyped(value));
  }
  return { data, permanent, flashes };
}

/** One entry of shared/vectors/flask-sessions.json (`vectors` and `lenient_vectors`). */
export interface FlaskVector {
  name: string;
  secret_key: string;
  fallbacks: string[];
  timestamp?: number;
  now: number;
  max_age: number;
  session?: Record<string, unknown>;
  cookie_value: string;
  expect: string;
  payload_json?: string;
  compressed?: boolean;
  signed_with?: string;
  reason?: string;
  canonical_cookie_value?: string;
}
