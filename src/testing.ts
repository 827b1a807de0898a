// websession/testing: log a test user in without the login flow, read the session a response
// set, and follow Set-Cookie across requests like a browser. Everything goes through
// createSessions with the app's own options, so a minted cookie is exactly what the app would
// have written (any format; with a store the record is written and the id cookie returned).

import { resolveCookieOptions } from "./cookie.ts";
import type { SessionsOptions } from "./options.ts";
import type { StorableOptions } from "./schema.ts";
import type { Session, SessionData } from "./session.ts";
import { createSessions } from "./sessions.ts";
import type { SessionWrites } from "./sessions.ts";
import { tokenTransport } from "./tokens.ts";

/** Options of {@link sessionCookie} and {@link sessionToken}. */
export interface MintOptions {
  /** Mint a permanent session (a cookie with `Max-Age`). Default `false`. */
  permanent?: boolean;
  /** The URL the session is minted for (decides `Secure: "auto"`). Default `https://localhost/`. */
  url?: string;
}

// Writes a session holding `data`, as the app's sessions would on a response.
async function mint(options: SessionsOptions, data: object, mintOptions: MintOptions | undefined): Promise<SessionWrites> {
  const sessions = createSessions<SessionData>(options);
  const session = await sessions.load(new Request(mintOptions?.url ?? "https://localhost/"));
  session.update(data as SessionData);
  if (mintOptions?.permanent === true) session.permanent = true;
  session.modified = true;
  return sessions.save(session);
}

/**
 * A `Cookie` header value (`name=value`, or `name.0=...; name.1=...` when chunked) that carries
 * a session holding `data`, as the app configured by `options` would have set it. With a store,
 * the record is written to that store and the cookie holds its id. Like iron-session's
 * `sealData`, for tests that need a logged-in user without the login flow.
 */
export async function sessionCookie<Data extends object = SessionData>(
  options: SessionsOptions,
  data: Partial<Data>,
  mintOptions?: MintOptions,
): Promise<string> {
  const writes = await mint(options, data, mintOptions);
  const pairs = writes.cookies.filter((c) => c.maxAge !== 0).map((c) => `${c.name}=${c.value}`);
  if (pairs.length === 0)
    throw new TypeError(
      "sessionCookie: no cookie was written: give some data (an empty session has no cookie), or, with token.cookie: false, use sessionToken()",
    );
  return pairs.join("; ");
}

/**
 * The session token for `data`: the value the session cookie would carry, to send as
 * `Authorization: Bearer <token>` (or the header of option `token`).
 */
export async function sessionToken<Data extends object = SessionData>(
  options: SessionsOptions,
  data: Partial<Data>,
  mintOptions?: MintOptions,
): Promise<string> {
  const writes = await mint(options, data, mintOptions);
  const header = writes.headers === undefined ? undefined : Object.values(writes.headers)[0];
  if (header !== undefined) return header;
  const name = resolveCookieOptions(options.cookie).name;
  const cookie = writes.cookies.find((c) => c.name === name);
  if (cookie === undefined)
    throw new TypeError('sessionToken: the session was split over several cookies (oversize: "chunk"); a token is one value, so keep the test session smaller');
  return cookie.value;
}

/**
 * The session `response` set (its `Set-Cookie`, or with option `token` its token header), loaded
 * as the next request would see it; `null` when the response set none or deleted it.
 */
export async function readSession<Data extends object = SessionData>(options: SessionsOptions, response: Response): Promise<Session<Data> | null> {
  const name = resolveCookieOptions(options.cookie).name;
  const headers = new Headers();
  const pairs: string[] = [];
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const eq = pair!.indexOf("=");
    const cookieName = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    if (cookieName !== name && !(cookieName.startsWith(`${name}.`) && /^\d+$/.test(cookieName.slice(name.length + 1)))) continue;
    const deleted = value === "" || attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
    if (!deleted) pairs.push(`${cookieName}=${value}`);
  }
  if (pairs.length > 0) {
    headers.set("Cookie", pairs.join("; "));
  } else {
    const tokens = tokenTransport(options.token, { cookieName: name, chunked: false, reject: () => null });
    const token = tokens === undefined ? null : response.headers.get(tokens.responseHeader);
    if (token === null || token === "") return null;
    headers.set(...tokens!.present(token));
  }
  const session = await createSessions<Data>(options as StorableOptions<Data>).load(new Request("https://localhost/", { headers }));
  return session.isNew ? null : session;
}

/** Options of {@link CookieJar}. */
export interface CookieJarOptions {
  /** The clock (milliseconds) that `Max-Age` and `Expires` count against. Default `Date.now`. */
  now?: () => number;
  /** The URL used when a call names none: the last URL used, at first this one. Default `https://localhost/`. */
  url?: string;
  /** What {@link CookieJar.fetch} sends requests to: your app's `fetch` handler. Default `globalThis.fetch`. */
  fetch?: (request: Request) => Response | Promise<Response>;
}

/** Options of the URL-taking {@link CookieJar} methods. */
export interface JarUrlOptions {
  /** The request URL (its host, path and scheme decide what is stored and sent). */
  url?: string | URL;
}

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly domain: string;
  readonly hostOnly: boolean;
  readonly path: string;
  readonly secure: boolean;
  /** Milliseconds since the epoch, or `undefined` for a browser-session cookie. */
  readonly expiresAt: number | undefined;
  readonly order: number;
}

/**
 * A browser's cookie jar for tests (RFC 6265bis 5.6-5.8, without public suffixes): follows
 * `Set-Cookie` across requests with `Max-Age` (wins over `Expires`), `Expires`, deletion,
 * `Path` (default and matching), `Domain` (host-only unless given; a foreign domain is
 * ignored), `Secure` (stored and sent only over https or to a loopback host, as browsers
 * treat them), the `__Host-`/`__Secure-` prefixes and the 4096-byte limit. A response that
 * sets one cookie (name, domain, path) twice throws: 6265bis 4.1.1 forbids it.
 */
export class CookieJar {
  readonly #cookies: StoredCookie[] = [];
  readonly #now: () => number;
  #url: string;
  readonly #fetch: ((request: Request) => Response | Promise<Response>) | undefined;
  #order = 0;

  constructor(options: CookieJarOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#url = options.url ?? "https://localhost/";
    this.#fetch = options.fetch;
  }

  // The URL a call is about; it becomes the default for calls that name none (one host's jar).
  #target(url: string | URL | undefined, fallback?: string): URL {
    const target = new URL(url ?? (fallback !== undefined && fallback !== "" ? fallback : this.#url));
    this.#url = target.href;
    return target;
  }

  /** Applies every `Set-Cookie` of `response`, received for `url` (default: `response.url`, else the jar's URL). */
  apply(response: Response, options?: JarUrlOptions): void {
    const url = this.#target(options?.url, response.url);
    const host = url.hostname.toLowerCase();
    const secureUrl = isSecureUrl(url);
    const seen = new Set<string>();
    const parsed: Array<{
      name: string;
      value: string;
      domain: string | undefined;
      cookieDomain: string;
      cookiePath: string;
      secure: boolean;
      maxAge: number | undefined;
      expires: number | undefined;
    }> = [];
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair!.indexOf("=");
      if (eq === -1) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (name === "" || name.length + value.length > 4096) continue;
      let maxAge: number | undefined;
      let expires: number | undefined;
      let domain: string | undefined;
      let path: string | undefined;
      let secure = false;
      for (const attribute of attributes) {
        const i = attribute.indexOf("=");
        const key = (i === -1 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
        const v = i === -1 ? "" : attribute.slice(i + 1).trim();
        if (key === "max-age" && /^-?\d+$/.test(v)) maxAge = Number(v);
        else if (key === "expires" && !Number.isNaN(Date.parse(v))) expires = Date.parse(v);
        else if (key === "domain" && v !== "") domain = v.replace(/^\./, "").toLowerCase();
        else if (key === "path") path = v.startsWith("/") ? v : undefined;
        else if (key === "secure") secure = true;
      }
      if (secure && !secureUrl) continue;
      if (domain !== undefined && !domainMatches(host, domain)) continue;
      if ((name.startsWith("__Secure-") || name.startsWith("__Host-")) && !secure) continue;
      if (name.startsWith("__Host-") && (domain !== undefined || path !== "/")) continue;
      const cookiePath = path ?? defaultPath(url.pathname);
      const cookieDomain = domain ?? host;
      const id = `${name}\u0000${cookieDomain}\u0000${cookiePath}`;
      if (seen.has(id)) throw new Error(`the response sets cookie ${name} twice`);
      seen.add(id);
      parsed.push({ name, value, domain, cookieDomain, cookiePath, secure, maxAge, expires });
    }
    // Applied only once the whole response is known to be valid.
    for (const { name, value, domain, cookieDomain, cookiePath, secure, maxAge, expires } of parsed) {
      const index = this.#cookies.findIndex((c) => c.name === name && c.domain === cookieDomain && c.path === cookiePath);
      const expiresAt = maxAge !== undefined ? this.#now() + maxAge * 1000 : expires;
      const old = index === -1 ? undefined : this.#cookies.splice(index, 1)[0];
      if (expiresAt !== undefined && expiresAt <= this.#now()) continue;
      this.#cookies.push({
        name,
        value,
        domain: cookieDomain,
        hostOnly: domain === undefined,
        path: cookiePath,
        secure,
        expiresAt,
        order: old?.order ?? this.#order++,
      });
    }
  }

  // The cookies a request to `url` carries, longest path first, then oldest first.
  #matching(url: URL): StoredCookie[] {
    const now = this.#now();
    for (let i = this.#cookies.length - 1; i >= 0; i--) {
      const expiresAt = this.#cookies[i]!.expiresAt;
      if (expiresAt !== undefined && expiresAt <= now) this.#cookies.splice(i, 1);
    }
    const host = url.hostname.toLowerCase();
    const secureUrl = isSecureUrl(url);
    return this.#cookies
      .filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)) && pathMatches(url.pathname, c.path) && (!c.secure || secureUrl))
      .sort((a, b) => b.path.length - a.path.length || a.order - b.order);
  }

  /** The `Cookie` header a browser would send to `url`, or `undefined` when none applies. */
  header(options?: JarUrlOptions): string | undefined {
    const cookies = this.#matching(this.#target(options?.url));
    return cookies.length === 0 ? undefined : cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /** The names of the cookies sent to `url`, sorted. */
  names(options?: JarUrlOptions): string[] {
    return this.#matching(this.#target(options?.url))
      .map((c) => c.name)
      .sort();
  }

  /** The value of cookie `name` sent to `url`. */
  get(name: string, options?: JarUrlOptions): string | undefined {
    return this.#matching(this.#target(options?.url)).find((c) => c.name === name)?.value;
  }

  /**
   * Sends a request with this jar's cookies (to the `fetch` option's handler, else the network)
   * and applies the response's `Set-Cookie`, following redirects like a browser (each hop's
   * cookies applied; 301/302/303 continue as GET) unless `init.redirect` is `"manual"`.
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    let url = new URL(input, this.#url);
    let current = init;
    for (let hop = 0; hop <= 20; hop++) {
      const headers = new Headers(current.headers);
      const cookie = this.header({ url });
      if (cookie !== undefined) headers.set("Cookie", cookie);
      const request = new Request(url, { ...current, headers, redirect: "manual" });
      const response = await (this.#fetch ?? globalThis.fetch)(request);
      this.apply(response, { url });
      const location = response.headers.get("location");
      if (init.redirect === "manual" || location === null || ![301, 302, 303, 307, 308].includes(response.status)) return response;
      const next = new URL(location, url);
      if (response.status <= 303) current = { ...current, method: "GET", body: null };
      // As the Fetch standard does: credentials never follow a redirect to another origin.
      if (next.origin !== url.origin) {
        const kept = new Headers(current.headers);
        kept.delete("Authorization");
        current = { ...current, headers: kept };
      }
      url = next;
    }
    throw new Error(`CookieJar.fetch: more than 20 redirects from ${String(input)}`);
  }
}

function isSecureUrl(url: URL): boolean {
  const host = url.hostname;
  return url.protocol === "https:" || host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$/.test(host) && !host.startsWith("["));
}

function defaultPath(pathname: string): string {
  if (!pathname.startsWith("/")) return "/";
  const last = pathname.lastIndexOf("/");
  return last <= 0 ? "/" : pathname.slice(0, last);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length) === "/";
}
