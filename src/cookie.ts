// Cookie header parsing and Set-Cookie serialization (draft-ietf-httpbis-rfc6265bis).
// Nothing here decodes, unquotes or normalises: names match byte for byte.

import { describe, suggestOption } from "./errors.ts";

/** `SameSite` values as written on the wire. */
export type SameSite = "Strict" | "Lax" | "None";

/** Cookie attributes a user may configure. */
export interface CookieOptions {
  /** Cookie name. Default `"session"`; `__Host-session` is recommended in production. */
  name?: string;
  /** `Domain` attribute. Default: none (host-only cookie). */
  domain?: string;
  /** `Path` attribute. Default `"/"`. */
  path?: string;
  /**
   * `Secure` attribute. Default `"auto"`: on, except for plain-http requests to a loopback host
   * (`localhost`, `*.localhost`, `127.0.0.1`, `[::1]`) that carry no proxy header. `true`/`false`
   * force it.
   */
  secure?: boolean | "auto";
  /** `HttpOnly` attribute. Default `true`. */
  httpOnly?: boolean;
  /** `SameSite` attribute. Default `"Lax"`. */
  sameSite?: SameSite;
  /** `Partitioned` attribute (CHIPS). Default `false`; requires `Secure`. */
  partitioned?: boolean;
}

/** Validated cookie attributes. `secure` is `"auto"` when it depends on the request. */
export interface ResolvedCookieOptions {
  readonly name: string;
  readonly domain: string | undefined;
  readonly path: string;
  readonly secure: boolean | "auto";
  readonly httpOnly: boolean;
  readonly sameSite: SameSite | undefined;
  readonly partitioned: boolean;
}

// token = 1*tchar ; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//                           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA     (RFC 9110 5.6.2)
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E   (6265bis 4.1.1)
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// path-value = *av-octet ; av-octet = %x20-3A / %x3C-7E   (any CHAR except CTLs or ";"),
// not ending in a space: user agents trim the attribute value (6265bis 5.6), so the cookie
// would be stored under another path than the one configured.
const PATH_VALUE = /^(?:[\x20-\x3A\x3C-\x7E]*[\x21-\x3A\x3C-\x7E])?$/;
// A domain label (RFC 1034 3.5, as RFC 1123 relaxes it): letters, digits, inner hyphens.
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** 6265bis 5.6/5.7: browsers ignore a cookie whose name plus value exceeds 4096 octets. */
export const MAX_COOKIE_SIZE = 4096;
/** The longest cookie name accepted. */
export const MAX_NAME_LENGTH = 256;
// 6265bis 5.6: user agents ignore attribute values longer than 1024 octets.
const MAX_ATTRIBUTE_LENGTH = 1024;

const OPTION_KEYS = new Set(["name", "domain", "path", "secure", "httpOnly", "sameSite", "partitioned"]);
// Cookie attributes other libraries accept here that websession takes elsewhere, or spells otherwise.
const COOKIE_ALIASES: Readonly<Record<string, string>> = {
  maxAge: "the top-level option lifetime (in seconds): websession sets Max-Age and Expires from it",
  expires: "the top-level option lifetime (in seconds): websession sets Max-Age and Expires from it",
  ttl: "the top-level option lifetime (in seconds)",
  http_only: "httpOnly",
  same_site: "sameSite",
  cookieName: "name",
  key: "name",
  signed: "the top-level option format",
  encode: "the top-level option format",
};

/**
 * Validates cookie options once, at start-up. Throws a `TypeError` naming the option and
 * the value for anything a browser would reject or that could inject into the header.
 */
export function resolveCookieOptions(options: CookieOptions | undefined, defaultName = "session"): ResolvedCookieOptions {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError(`option cookie must be an object, got ${describe(options)}`);
  }
  const o = options ?? {};
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key))
      throw new TypeError(`option cookie.${key} is unknown${suggestOption(key, COOKIE_ALIASES, OPTION_KEYS)}; valid keys: ${[...OPTION_KEYS].join(", ")}`);
  }
  const name = o.name ?? defaultName;
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw new TypeError(`option cookie.name is invalid: ${describe(name)}; use letters, digits and !#$%&'*+-.^_\`|~ only`);
  }
  // Name and value share 4096 bytes; a name this long would leave too little for any session.
  if (name.length > MAX_NAME_LENGTH) {
    throw new TypeError(`option cookie.name is ${name.length} characters long; use at most ${MAX_NAME_LENGTH} (name and value share a cookie's 4096 bytes)`);
  }
  let domain = o.domain;
  if (domain !== undefined) {
    if (typeof domain !== "string" || domain.length > MAX_ATTRIBUTE_LENGTH) {
      throw new TypeError(`option cookie.domain is invalid: ${describe(domain)}`);
    }
    // A leading dot is legacy syntax that user agents ignore (6265bis 5.6.3); drop it.
    const bare = domain.startsWith(".") ? domain.slice(1) : domain;
    if (bare === "" || !bare.split(".").every((label) => DOMAIN_LABEL.test(label))) {
      throw new TypeError(`option cookie.domain is invalid: ${describe(domain)}; give a host name such as "example.com"`);
    }
    domain = bare.toLowerCase();
  }
  const path = o.path ?? "/";
  if (typeof path !== "string" || !path.startsWith("/") || path.length > MAX_ATTRIBUTE_LENGTH || !PATH_VALUE.test(path)) {
    throw new TypeError(
      `option cookie.path is invalid: ${describe(path)}; it must start with "/", contain no ";" or control characters, and not end in a space`,
    );
  }
  const secure = o.secure === "auto" ? undefined : o.secure;
  if (secure !== undefined && typeof secure !== "boolean") {
    throw new TypeError(`option cookie.secure must be true, false or "auto", got ${describe(secure)}`);
  }
  const httpOnly = o.httpOnly ?? true;
  if (typeof httpOnly !== "boolean") throw new TypeError(`option cookie.httpOnly must be a boolean, got ${describe(httpOnly)}`);
  const partitioned = o.partitioned ?? false;
  if (typeof partitioned !== "boolean") throw new TypeError(`option cookie.partitioned must be a boolean, got ${describe(partitioned)}`);
  const sameSite = resolveSameSite(o.sameSite);

  // Secure is forced (never "auto") where a browser would otherwise refuse the cookie.
  let resolvedSecure: boolean | "auto" = secure ?? "auto";
  const needsSecure = name.startsWith("__Host-")
    ? "a __Host- name"
    : name.startsWith("__Secure-")
      ? "a __Secure- name"
      : sameSite === "None"
        ? 'sameSite: "None"'
        : partitioned
          ? "partitioned: true"
          : undefined;
  if (needsSecure !== undefined) {
    if (secure === false) throw new TypeError(`option cookie.secure is false, but ${needsSecure} requires Secure; remove secure: false`);
    resolvedSecure = true;
  }
  if (name.startsWith("__Host-")) {
    if (domain !== undefined) throw new TypeError(`option cookie.domain must not be set with a __Host- name (got ${describe(o.domain)}); remove it`);
    if (path !== "/") throw new TypeError(`option cookie.path must be "/" with a __Host- name (got ${describe(path)})`);
  }
  return { name, domain, path, secure: resolvedSecure, httpOnly, sameSite, partitioned };
}

function resolveSameSite(value: unknown): SameSite | undefined {
  if (value === undefined) return "Lax";
  if (typeof value === "string") {
    const lower = value.toLowerCase();
    if (lower === "lax") return "Lax";
    if (lower === "strict") return "Strict";
    if (lower === "none") return "None";
  }
  throw new TypeError(`option cookie.sameSite is invalid: ${describe(value)}; use "Strict", "Lax" or "None"`);
}

/** Per-cookie attributes decided at commit time. */
export interface SetCookieParts {
  /** Seconds until expiry for a persistent cookie; `0` deletes; omitted for a session cookie. */
  maxAge?: number;
  /** Absolute expiry in milliseconds since the epoch, written as `Expires`. */
  expires?: number;
  /** The resolved value of `Secure` for this response. */
  secure: boolean;
}

/**
 * One cookie a committed session writes, as structured attributes (for a framework's cookie
 * jar: SvelteKit's `cookies.set`, Next's `cookies().set`, ...) and as the equivalent
 * `Set-Cookie` header value. A deletion has value `""` and `maxAge` 0.
 */
export interface CookieWrite {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  readonly domain: string | undefined;
  /** Seconds until expiry; `0` deletes; `undefined` for a browser-session cookie. */
  readonly maxAge: number | undefined;
  /** The same expiry as a date (`Expires`), or `undefined` for a browser-session cookie. */
  readonly expires: Date | undefined;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite: SameSite | undefined;
  readonly partitioned: boolean;
  /** The whole write as a `Set-Cookie` header value. */
  readonly header: string;
}

/**
 * Builds a cookie write. Options were validated at start-up; the value is checked here
 * against the cookie-octet grammar as a last line of defence against header injection.
 */
export function cookieWrite(options: ResolvedCookieOptions, value: string, parts: SetCookieParts): CookieWrite {
  if (!COOKIE_VALUE.test(value)) throw new TypeError("cookie value contains characters outside cookie-octet");
  const maxAge = parts.maxAge === undefined ? undefined : Math.max(0, Math.floor(parts.maxAge));
  const expires = parts.expires === undefined ? undefined : new Date(parts.expires);
  let header = `${options.name}=${value}`;
  if (maxAge !== undefined) header += `; Max-Age=${maxAge}`;
  if (expires !== undefined) header += `; Expires=${expires.toUTCString()}`;
  if (options.domain !== undefined) header += `; Domain=${options.domain}`;
  header += `; Path=${options.path}`;
  if (parts.secure) header += "; Secure";
  if (options.httpOnly) header += "; HttpOnly";
  if (options.sameSite !== undefined) header += `; SameSite=${options.sameSite}`;
  if (options.partitioned) header += "; Partitioned";
  return {
    name: options.name,
    value,
    path: options.path,
    domain: options.domain,
    maxAge,
    expires,
    secure: parts.secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    partitioned: options.partitioned,
    header,
  };
}

/** Serializes a `Set-Cookie` value (the header of {@link cookieWrite}). */
export function serializeSetCookie(options: ResolvedCookieOptions, value: string, parts: SetCookieParts): string {
  return cookieWrite(options, value, parts).header;
}

/** A write that deletes the cookie, with the attributes it was set with. */
export function deleteCookieWrite(options: ResolvedCookieOptions, secure: boolean): CookieWrite {
  return cookieWrite(options, "", { maxAge: 0, expires: 0, secure });
}

/** A `Set-Cookie` value that deletes the cookie, with the attributes it was set with. */
export function serializeDeleteCookie(options: ResolvedCookieOptions, secure: boolean): string {
  return deleteCookieWrite(options, secure).header;
}

/**
 * Every value sent for cookie `name`, in header order. Pairs end only at ";" (6265bis 5.7:
 * a browser sends one Cookie header of pairs joined with "; ", and HTTP/2 crumbs are rejoined
 * with "; ", RFC 9113 8.2.3). Never at ",": a cookie set by someone else (a sibling
 * subdomain, a plain-http attacker) may carry `x=1,session=<token>` as one pair, and a name
 * that appears only after a "," inside another pair is not a cookie. Only SP and HTAB are
 * trimmed (never `String.prototype.trim`, which also strips U+00A0 and friends); names are
 * compared byte for byte; pairs without "=" are skipped. Linear in the header length, never
 * throws.
 */
export function readCookie(header: string | null, name: string): string[] {
  const values: string[] = [];
  if (header === null || header.indexOf(name) === -1) return values;
  const len = header.length;
  let start = 0;
  // The next "=" at or after `start`, kept across pairs so that pairs without one cost no
  // rescans (len when there is none): the loop stays linear.
  let eq = -1;
  while (start < len) {
    let end = header.indexOf(";", start);
    if (end === -1) end = len;
    if (eq < start) {
      eq = header.indexOf("=", start);
      if (eq === -1) eq = len;
    }
    if (eq < end) {
      const nameStart = skipWhitespace(header, start, eq);
      const nameEnd = trimWhitespaceEnd(header, nameStart, eq);
      if (nameEnd - nameStart === name.length && header.startsWith(name, nameStart)) {
        const valueStart = skipWhitespace(header, eq + 1, end);
        values.push(header.slice(valueStart, trimWhitespaceEnd(header, valueStart, end)));
      }
    }
    start = end + 1;
  }
  return values;
}

function skipWhitespace(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

function trimWhitespaceEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}
