// Python types that JavaScript lacks, as Flask's tagged JSON carries them: Tuple (" t"),
// UUID (" u"), Markup (" m") and PyFloat (a float that is a whole number). Bytes are
// Uint8Array, datetimes are Date, ints beyond 2^53-1 are BigInt. Public: `websession/flask`.

import { describe } from "../../errors.ts";
import { pythonFloatRepr, uuidHex } from "./python.ts";

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
