// Python's number, ordering, UUID and date rules that Flask's session JSON depends on: float repr,
// code-point ordering of dict keys, Werkzeug's http_date and parse_date.

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

/**
 * Werkzeug's `http_date`: `Www, DD Mmm YYYY HH:MM:SS GMT` in UTC, sub-second part dropped.
 * The date must be valid and in years 1 to 9999 (Python's datetime); the writer checks.
 */
export function httpDate(date: Date): string {
  const year = date.getUTCFullYear();
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${String(year).padStart(4, "0")} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} GMT`;
}

const MONTH_NAMES = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec",
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONES = new Map(
  Object.entries({
    UT: 0,
    UTC: 0,
    GMT: 0,
    Z: 0,
    AST: -400,
    ADT: -300,
    EST: -500,
    EDT: -400,
    CST: -600,
    CDT: -500,
    MST: -700,
    MDT: -600,
    PST: -800,
    PDT: -700,
  }),
);

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
  const year0 = pyInt(yy),
    day = pyInt(dd),
    hour = pyInt(parts[0]!),
    minute = pyInt(parts[1]!),
    second = pyInt(parts[2] ?? "0");
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

/**
 * Python's uuid.UUID(hex): drops "urn:" and "uuid:", strips braces at both ends, removes
 * dashes, then needs exactly 32 hex digits. `null` when it has not.
 */
export function uuidHex(text: unknown): string | null {
  if (typeof text !== "string") return null;
  const hex = text
    .replaceAll("urn:", "")
    .replaceAll("uuid:", "")
    .replace(/^[{}]+|[{}]+$/g, "")
    .replaceAll("-", "");
  return /^[0-9a-fA-F]{32}$/.test(hex) ? hex.toLowerCase() : null;
}
