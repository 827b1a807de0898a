// Cookie mode: the session lives in the cookie, written by a codec (signed, sealed, flask),
// over one cookie or, with oversize: "chunk", over name.0, name.1, ...
//
//   open: Cookie header -> candidates -> codec.decode (lazily when it is synchronous) -> time rules
//   save: policy.decide -> codec.encode -> one cookie or chunks, deleting what the browser no longer needs

import { collectChunks, maxChunkedLength, splitIntoChunks, staleCookieNames } from "../chunks.ts";
import type { SentCookies } from "../chunks.ts";
import type { Codec, Decoded } from "../codecs/codec.ts";
import { flaskCodec } from "../codecs/flask/codec.ts";
import { sealedCodec } from "../codecs/sealed.ts";
import { signedCodec } from "../codecs/signed.ts";
import { MAX_COOKIE_SIZE, cookieWrite, deleteCookieWrite, readCookie } from "../cookie.ts";
import type { CookieWrite, ResolvedCookieOptions, SetCookieParts } from "../cookie.ts";
import { base64urlEncode, randomBytes } from "../encoding.ts";
import { SessionError } from "../errors.ts";
import type { InvalidReason } from "../errors.ts";
import { expiryOf } from "../lifetime.ts";
import type { ResolvedOptions } from "../options.ts";
import type { OwnerApi } from "../owners.ts";
import { cookieExpiry, createdAt, decide } from "../policy.ts";
import { REVOCATION_KEY, revocation } from "../revocation.ts";
import type { RequestLike } from "../request.ts";
import { Session, isEmpty, sessionInternals, wasChanged } from "../session.ts";
import type { SessionState } from "../session.ts";
import { candidates } from "./mode.ts";
import type { Mode, Opened, Reject, SaveContext } from "./mode.ts";

/** With chunking: which of name, name.0, name.1, ... the browser holds; otherwise nothing. */
type Ticket = SentCookies | undefined;

/** The cookie mode for one configuration, with the codec of its format. */
export function cookieMode(config: ResolvedOptions, reject: Reject): Mode<Ticket> & { owners?: OwnerApi } {
  const { cookie, now } = config;
  const chunking = config.oversize === "chunk";
  // The longest token read from a request: one cookie's worth, or all that chunks can carry.
  const maxToken = chunking ? maxChunkedLength(cookie.name) : MAX_COOKIE_SIZE;
  const codec = createCodec(config, maxToken);
  // Only called when codec.synchronous says decode never returns a Promise.
  const decodeSync = codec.decode as (token: string) => Decoded;
  let keysReady = false;
  const settled = codec.ready.then(() => {
    keysReady = true;
  });
  // Keep an early failure (there should be none) from surfacing as an unhandled rejection.
  settled.catch(() => {});
  // Stateless revocation (revocation.ts): the cookie is decoded and, when due, checked in load.
  const revocable = config.revocation === undefined ? undefined : revocation(config.revocation, config.owners!, config);

  // Applies the time rules to a decoded state; null (and the hook) when it has expired.
  function checkTimes(state: SessionState): SessionState | null {
    // A revocable cookie's stamp, read while revocation was on: never the app's to see.
    if (revocable === undefined) state.data.delete(REVOCATION_KEY);
    return expiryOf(state, Math.floor(now() / 1000), config, codec.clockSkew) === undefined ? state : reject("expired");
  }

  // All values sent under the cookie name; two different valid ones are ambiguous (a tossed
  // cookie), and then no session is used at all. `null`: a chunk name came with two values.
  function pick(values: string[] | null, decode: (token: string) => Decoded): SessionState | null {
    if (values === null) return reject("ambiguous");
    if (values.length === 0) return null;
    const distinct = candidates(values);
    if (distinct === null) return reject("ambiguous");
    let found: SessionState | null = null;
    let firstReason: InvalidReason | undefined;
    for (const token of distinct) {
      const result = token.length > maxToken ? "malformed" : decode(token);
      if (typeof result === "string") {
        firstReason ??= result;
        continue;
      }
      if (found !== null) return reject("ambiguous");
      found = result;
    }
    if (found === null) return reject(firstReason!);
    return checkTimes(found);
  }

  function open(request: RequestLike): Opened<Ticket> | Promise<Opened<Ticket>> {
    if (keysReady && !chunking && codec.synchronous && revocable === undefined) {
      // The common case: nothing to wait for, and the Cookie header is not read until the
      // session is used.
      return { session: new Session(() => pick(readCookie(request.headers.get("cookie"), cookie.name), decodeSync)), ticket: undefined };
    }
    return openAsync(request);
  }

  async function openAsync(request: RequestLike): Promise<Opened<Ticket>> {
    if (!keysReady) await settled;
    const header = request.headers.get("cookie");
    const sent = chunking ? collectChunks(header, cookie.name) : undefined;
    const values = sent !== undefined ? sent.tokens : readCookie(header, cookie.name);
    if (revocable !== undefined && codec.synchronous) return { session: await revocable.open(pick(values, decodeSync)), ticket: sent };
    if (codec.synchronous) return { session: new Session(() => pick(values, decodeSync)), ticket: sent };
    // An asynchronous codec decodes now (a Session's methods are synchronous), each distinct
    // candidate once.
    const results = new Map<string, Decoded>();
    for (const token of (values === null ? null : candidates(values)) ?? []) {
      results.set(token, token.length > maxToken ? "malformed" : await codec.decode(token));
    }
    const state = pick(values, (token) => results.get(token)!);
    if (revocable !== undefined) return { session: await revocable.open(state), ticket: sent };
    return { session: new Session(() => state), ticket: sent };
  }

  // The options for cookie `name`: the session cookie's own, or the same attributes for a chunk.
  function named(name: string): ResolvedCookieOptions {
    return name === cookie.name ? cookie : { ...cookie, name };
  }

  // Deletions of whatever the browser holds under the session's names (with chunking) that
  // this response does not write, so its jar ends up holding exactly what was written.
  function deleteStale(sent: Ticket, written: string[], secure: boolean): CookieWrite[] {
    if (sent === undefined) return [];
    return staleCookieNames(sent, cookie.name, written).map((name) => deleteCookieWrite(named(name), secure));
  }

  // The writes for `value`: one cookie when it fits, else chunks (when chunking;
  // splitIntoChunks throws past MAX_CHUNKS, before any header exists).
  function setCookies(sent: Ticket, value: string, parts: SetCookieParts): CookieWrite[] {
    const cookies = cookie.name.length + value.length <= MAX_COOKIE_SIZE ? [{ name: cookie.name, value }] : splitIntoChunks(cookie.name, value);
    const writes = cookies.map((c) => cookieWrite(named(c.name), c.value, parts));
    return [
      ...writes,
      ...deleteStale(
        sent,
        cookies.map((c) => c.name),
        parts.secure,
      ),
    ];
  }

  async function save(session: Session<any>, sent: Ticket, { secure, decided }: SaveContext): Promise<CookieWrite[]> {
    const i = sessionInternals(session);
    const state = i.state;
    const nowS = Math.floor(now() / 1000);
    const facts = {
      empty: isEmpty(state),
      changed: wasChanged(i),
      destroyed: i.destroyed,
      regenerated: i.regenerated,
      isNew: i.isNew,
      stale: state.stale === true,
      permanent: state.permanent,
      lastActive: state.lastActive,
    };
    const decision = decide(facts, nowS, config.refresh);
    decided?.(decision);
    if (decision.action === "none") return [];
    if (decision.action === "delete") return [deleteCookieWrite(cookie, secure), ...deleteStale(sent, [cookie.name], secure)];
    // write or refresh: a cookie carries all of its state, so both re-encode it.
    const written: SessionState = {
      ...state,
      created: createdAt(state.created, nowS, i),
      lastActive: nowS,
      // Two tokens of the same second still differ after regenerate().
      nonce: decision.action === "write" && decision.rotate ? base64urlEncode(randomBytes(9)) : state.nonce,
    };
    const value = await codec.encode(revocable === undefined ? written : await revocable.seal(session, written, nowS));
    if (!chunking && cookie.name.length + value.length > MAX_COOKIE_SIZE) {
      throw new SessionError(
        "cookie_too_large",
        `the session cookie would be ${cookie.name.length + value.length} bytes (name + value), over the ${MAX_COOKIE_SIZE}-byte limit browsers enforce; store less in the session or use a server-side store. Nothing was written; the previous cookie stays.`,
      );
    }
    return setCookies(sent, value, { ...cookieExpiry(state.permanent, written.created, nowS, config), secure });
  }

  return { open, save, owners: revocable?.api };
}

function createCodec(config: ResolvedOptions, maxTokenLength: number): Codec {
  switch (config.format) {
    case "signed":
      return signedCodec(config.secrets, config.cookie.name, { maxTokenLength });
    case "sealed":
      return sealedCodec(config.secrets, config.cookie.name, { maxTokenLength });
    case "flask":
      return flaskCodec(config.secrets);
  }
}
