// Header tokens for API and mobile clients: the session token travels in a request header
// (`Authorization: Bearer <token>` or a named header) and comes back in a response header
// instead of Set-Cookie. The token is exactly the value the session cookie would carry, so
// the modes are untouched: a header request is opened through a view whose Cookie header
// holds only that token, and the cookie writes of its save become one response header.
//
//   request:  Authorization: Bearer <token>   -> the mode reads `<cookie name>=<token>`
//   response: the session cookie's write      -> Set-Auth-Token: <token>   ("" when deleted)

import type { CookieWrite } from "./cookie.ts";
import { describe } from "./errors.ts";
import type { RequestLike } from "./request.ts";

/** Option `token` of `createSessions`: header tokens for API and mobile clients. */
export interface TokenOptions {
  /**
   * The request header that carries the token. Default `"authorization"`, read as
   * `Authorization: <scheme> <token>`; any other name carries the bare token (h3's
   * `x-<name>-session` style). Only this header counts.
   */
  header?: string;
  /** The `Authorization` scheme. Default `"Bearer"`; only with `header: "authorization"`. */
  scheme?: string;
  /**
   * The response header that returns a new token (an empty value: the session ended, drop the
   * token). Default `"Set-Auth-Token"` (better-auth's bearer plugin) with `authorization`,
   * otherwise the request header's own name.
   */
  responseHeader?: string;
  /**
   * Whether browsers keep using the cookie (default `true`): a request that carries the token
   * header is answered in the response header, any other with `Set-Cookie`. With `false` the
   * Cookie header is ignored and every answer is a response header.
   */
  cookie?: boolean;
}

/** How one `createSessions` moves tokens through headers. */
export interface TokenTransport {
  /** The request header name (lower case). */
  readonly header: string;
  /** The response header name. */
  readonly responseHeader: string;
  /** Whether cookies are used at all. */
  readonly cookie: boolean;
  /**
   * What the mode should open for `request`: the request itself (a cookie request), or a view
   * whose Cookie header holds only the header token; `viaHeader` says how to answer.
   */
  open(request: RequestLike): { readonly request: RequestLike; readonly viaHeader: boolean };
  /** The response headers that replace the session cookie's writes of a header request. */
  headersFor(cookies: readonly CookieWrite[]): Record<string, string>;
  /** The request header (name, value) that presents `token`, as a client sends it. */
  present(token: string): [name: string, value: string];
}

// RFC 9110 5.1 field names; Cookie and Set-Cookie are the cookie transport's own.
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED = new Set(["cookie", "set-cookie", "host", "content-type", "content-length"]);
// The cookie-octet grammar the session cookie's value obeys (src/cookie.ts): a token outside it
// could smuggle a second `name=value` pair into the view's Cookie header.
const TOKEN_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;
// The longest token read, as for one cookie: name and value share 4096 bytes.
const MAX_TOKEN = 4096;

/**
 * Validates option `token` and builds its transport, or `undefined` when it is not set.
 * `reject` reports a token outside the grammar (`malformed`) like a bad cookie.
 */
export function tokenTransport(
  options: unknown,
  context: { readonly cookieName: string; readonly chunked: boolean; readonly reject: (reason: "malformed") => null },
): TokenTransport | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`option token must be an object such as { header: "authorization" }, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!["header", "scheme", "responseHeader", "cookie"].includes(key)) {
      throw new TypeError(`option token.${key} is unknown; valid options: header, scheme, responseHeader, cookie`);
    }
  }
  const header = fieldName("token.header", o.header ?? "authorization");
  const bearer = header === "authorization";
  if (o.scheme !== undefined && !bearer)
    throw new TypeError(`option token.scheme applies only to header: "authorization" (got header: ${describe(o.header)}); remove scheme`);
  const schemeOption: unknown = o.scheme ?? "Bearer";
  if (typeof schemeOption !== "string" || !FIELD_NAME.test(schemeOption))
    throw new TypeError(`option token.scheme is invalid: ${describe(schemeOption)}; use a word such as "Bearer"`);
  const scheme: string = schemeOption;
  const responseHeader = fieldName("token.responseHeader", o.responseHeader ?? (bearer ? "Set-Auth-Token" : header));
  if (responseHeader.toLowerCase() === "authorization" || responseHeader.toLowerCase() === "www-authenticate") {
    throw new TypeError(`option token.responseHeader cannot be ${describe(responseHeader)}; use a header of its own such as "Set-Auth-Token"`);
  }
  const cookie = o.cookie ?? true;
  if (typeof cookie !== "boolean") throw new TypeError(`option token.cookie must be a boolean, got ${describe(cookie)}`);
  if (context.chunked) {
    throw new TypeError(
      `option oversize: "chunk" cannot be used with option token: a header carries one token of at most ${MAX_TOKEN} bytes; keep the session small, or use a server-side store`,
    );
  }
  const prefix = `${scheme.toLowerCase()} `;
  const name = context.cookieName;

  // The token a request presents: undefined when the header is absent (or another scheme),
  // "" when present without a token (a client that has none yet), null when it is malformed.
  function tokenOf(request: RequestLike): string | null | undefined {
    const value = request.headers.get(header);
    if (value === null) return undefined;
    let token = value.trim();
    if (bearer) {
      if (token.toLowerCase() === scheme.toLowerCase()) return "";
      if (token.slice(0, prefix.length).toLowerCase() !== prefix) return undefined;
      token = token.slice(prefix.length).trim();
    }
    if (token === "") return "";
    // Several headers arrive joined with ", " and fail here: only one token counts.
    return token.length > MAX_TOKEN - name.length - 1 || !TOKEN_VALUE.test(token) ? context.reject("malformed") : token;
  }

  function view(request: RequestLike, token: string | null | undefined): RequestLike {
    const cookieHeader = token === undefined || token === null || token === "" ? null : `${name}=${token}`;
    return {
      url: request.url,
      headers: { get: (field: string) => (field.toLowerCase() === "cookie" ? cookieHeader : request.headers.get(field)) },
    };
  }

  return {
    header,
    responseHeader,
    cookie,
    open(request) {
      const token = tokenOf(request);
      if (token === undefined && cookie) return { request, viaHeader: false };
      return { request: view(request, token), viaHeader: true };
    },
    headersFor(cookies) {
      const write = cookies.find((c) => c.name === name);
      return write === undefined ? {} : { [responseHeader]: write.maxAge === 0 ? "" : write.value };
    },
    present(token) {
      return bearer ? ["Authorization", `${scheme} ${token}`] : [header, token];
    },
  };
}

function fieldName(option: string, value: unknown): string {
  if (typeof value !== "string" || !FIELD_NAME.test(value) || RESERVED.has(value.toLowerCase())) {
    throw new TypeError(
      `option ${option} is invalid: ${describe(value)}; use a header name such as "authorization" or "x-session-token" (not Cookie or Set-Cookie)`,
    );
  }
  return option === "token.header" ? value.toLowerCase() : value;
}

/**
 * `response` carrying the token headers of a header request, with `Vary` on the request header
 * and `Cache-Control: private` (a token must never sit in a shared cache). A response with
 * immutable headers gets a copy.
 */
export function withTokenHeaders(response: Response, headers: Readonly<Record<string, string>>, varyOn: string): Response {
  try {
    applyTokenHeaders(response.headers, headers, varyOn);
    return response;
  } catch {
    if (response.status < 200) return response;
  }
  const copy = new Headers(response.headers);
  applyTokenHeaders(copy, headers, varyOn);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: copy });
}

function applyTokenHeaders(target: Headers, headers: Readonly<Record<string, string>>, varyOn: string): void {
  const vary = target.get("Vary");
  const listed = vary !== null && vary.split(",").some((v) => ["*", varyOn].includes(v.trim().toLowerCase()));
  if (!listed) target.set("Vary", vary === null || vary.trim() === "" ? varyOn : `${vary}, ${varyOn}`);
  const names = Object.keys(headers);
  if (names.length === 0) return;
  for (const name of names) target.set(name, headers[name]!);
  if (!target.has("Cache-Control")) target.set("Cache-Control", "private");
}
