// Store mode (the store engine): the cookie holds a random id, a SessionStore holds the data
// under a hash of it. A store driver (stores/*.ts) knows nothing of this file: it implements
// the contract in stores/store.ts; this engine carries out policy.ts's decision with it.
//
//   id  = base64url(32 bytes from crypto.getRandomValues)          ; 43 chars, never stored
//   key = base64url(SHA-256(id))                                   ; what the store sees
//
// Ids are checked (exact length, strict base64url) before any store call and never adopted:
// an id the store does not hold is a fresh session, and its first write mints a new id.
// Writes carry only the top-level keys whose JSON changed, as a patch that applies only to
// an existing record, so a concurrent destroy() wins and different keys never overwrite
// each other. Every store call runs under a deadline; failures become
// SessionError("store_unavailable") before any header is written.

import { sha256 } from "@noble/hashes/sha2.js";
import { cookieWrite, deleteCookieWrite, readCookie } from "../cookie.ts";
import type { CookieWrite } from "../cookie.ts";
import { base64urlDecode, base64urlEncode, randomBytes, utf8Encoder } from "../encoding.ts";
import type { InvalidReason } from "../errors.ts";
import { callWithin } from "../deadline.ts";
import { assertLosslessJson, isLosslessJson } from "../json.ts";
import { CLOCK_SKEW, expiryOf, remainingSeconds } from "../lifetime.ts";
import type { ResolvedOptions } from "../options.ts";
import { OWNER_FIELDS, ownerTracker, rememberOpened } from "../owners.ts";
import type { OwnedFields, OwnerStep } from "../owners.ts";
import { cookieExpiry, createdAt, decide } from "../policy.ts";
import type { RequestLike } from "../request.ts";
import { Session, isEmpty, sessionInternals, wasChanged } from "../session.ts";
import type { Flash, SessionState } from "../session.ts";
import type { SessionStore, StorePatch, StoreRecord } from "../stores/store.ts";
import { candidates } from "./mode.ts";
import type { Mode, Opened, Reject, SaveContext } from "./mode.ts";
import type { OwnerApi } from "../owners.ts";

/** Length of a session id: 32 random bytes in base64url without padding. */
export const ID_LENGTH = 43;
const DATA = "d:";

/** A new session id: 256 bits from the platform's CSPRNG, 43 base64url characters. */
export function newSessionId(): string {
  return base64urlEncode(randomBytes(32));
}

/** Whether `value` has the exact shape of a session id (checked before any store call). */
export function isSessionId(value: string): boolean {
  return value.length === ID_LENGTH && base64urlDecode(value) !== null;
}

/** The store key of a session id: base64url(SHA-256(id)). A store dump yields no live id. */
export function storeKeyOf(id: string): string {
  return base64urlEncode(sha256(utf8Encoder.encode(id)));
}

/** What open() learned from the store, carried to save() as the session's ticket. */
interface Loaded {
  readonly id: string;
  readonly key: string;
  /** Top-level key -> JSON text as stored. */
  readonly values: Map<string, string>;
  readonly flashes: string | undefined;
  readonly permanent: boolean;
  readonly created: number;
  readonly lastActive: number;
  /** The owner fields of the record (owners.ts). */
  readonly owned: OwnedFields;
}

/** The store mode for one configuration: the engine over `config.store`. */
export function storeMode(config: ResolvedOptions, store: SessionStore, reject: Reject): Mode<Loaded | undefined> & { owners?: OwnerApi } {
  const { cookie, refresh, now } = config;
  const timeout = config.storeTimeout;
  const touchInterval = store.touchInterval ?? 0;

  // One store call under the deadline of the load or commit it belongs to (deadline.ts).
  function call<T>(deadline: number, operation: string, run: () => Promise<T>): Promise<T> {
    return callWithin(deadline, timeout, "session store", operation, run);
  }
  const owners = config.owners === undefined ? undefined : ownerTracker(config.owners, store, config, call);

  // The state a stored record describes, or null for anything that is not one of our records.
  function parse(record: unknown, id: string, key: string): [SessionState, Loaded] | null {
    if (typeof record !== "object" || record === null || Array.isArray(record)) return null;
    const values = new Map<string, string>();
    const data = new Map<string, unknown>();
    let k: unknown, c: unknown, a: unknown, p: unknown, f: unknown;
    const owned: Record<string, string> = {};
    for (const field of Object.keys(record)) {
      const text = (record as Record<string, unknown>)[field];
      if (typeof text !== "string") return null;
      if (field.startsWith(DATA)) {
        const name = field.slice(DATA.length);
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          return null;
        }
        // Only what encode() could have written: anything else would fail the next commit.
        if (!isLosslessJson(value)) return null;
        data.set(name, value);
        values.set(name, text);
      } else if (field === "k") k = text;
      else if (field === "c") c = text;
      else if (field === "a") a = text;
      else if (field === "p") p = text;
      else if (field === "f") f = text;
      else if (OWNER_FIELDS.has(field)) owned[field] = text;
      // Unknown fields are ignored: a later version may add some.
    }
    const created = seconds(c);
    const lastActive = seconds(a);
    if (k !== key || created === null || lastActive === null || (p !== undefined && p !== "1")) return null;
    const flashes = f === undefined ? [] : parseFlashes(f as string);
    if (flashes === null) return null;
    const loaded: Loaded = { id, key, values, flashes: f as string | undefined, permanent: p === "1", created, lastActive, owned: owned as OwnedFields };
    return [{ data, flashes, permanent: loaded.permanent, created, lastActive }, loaded];
  }

  async function open(request: RequestLike): Promise<Opened<Loaded | undefined>> {
    // The store is read now, since a Session's methods are synchronous.
    const found = await load(request.headers.get("cookie"));
    const opened = found === null ? { session: new Session(null), ticket: undefined } : { session: new Session(found[0]), ticket: found[1] };
    if (owners !== undefined) rememberOpened(opened.session, request, found?.[1].key);
    return opened;
  }

  async function load(header: string | null): Promise<[SessionState, Loaded] | null> {
    const values = readCookie(header, cookie.name);
    if (values.length === 0) return null;
    // Syntax first: a malformed id never reaches the store.
    const distinct = [...new Set(values)];
    const ids = distinct.filter(isSessionId);
    if (ids.length === 0) return reject("malformed");
    if (candidates(ids) === null) return reject("ambiguous");
    const deadline = Date.now() + timeout;
    const keys = ids.map(storeKeyOf);
    const records = await Promise.all(keys.map((key) => call(deadline, "get", () => store.get(key))));
    const nowS = Math.floor(now() / 1000);
    let found: [SessionState, Loaded] | undefined;
    let reason: InvalidReason | undefined = ids.length < distinct.length ? "malformed" : undefined;
    let ambiguous = false;
    const stale: string[] = [];
    for (let n = 0; n < ids.length; n++) {
      const record = records[n];
      if (record === null || record === undefined) {
        reason ??= "unknown_id";
        continue;
      }
      const parsed = parse(record, ids[n]!, keys[n]!);
      if (parsed === null) {
        reason ??= "malformed";
        continue;
      }
      const expiry = expiryOf(parsed[0], nowS, config, CLOCK_SKEW);
      if (expiry !== undefined) {
        // A record past its limits is never revived, even if the store forgot to expire it.
        if (expiry === "past") stale.push(keys[n]!);
        reason ??= "expired";
        continue;
      }
      if (found !== undefined) ambiguous = true;
      found = parsed;
    }
    if (stale.length > 0) {
      await Promise.all(stale.map((key) => call(deadline, "delete", () => store.delete(key)).catch(() => {})));
    }
    if (ambiguous) return reject("ambiguous");
    if (found === undefined) return reject(reason ?? "unknown_id");
    return found;
  }

  function idCookie(id: string, permanent: boolean, created: number, nowS: number, secure: boolean): CookieWrite {
    return cookieWrite(cookie, id, { ...cookieExpiry(permanent, created, nowS, config), secure });
  }

  // Without store.patch: read, merge the changed fields, write back. Not atomic (documented).
  async function applyPatch(deadline: number, key: string, patch: StorePatch, ttl: number): Promise<boolean> {
    if (store.patch !== undefined) return call(deadline, "patch", () => store.patch!(key, patch, ttl));
    const current = await call(deadline, "get", () => store.get(key));
    if (typeof current !== "object" || current === null || current.k !== key) return false;
    const next: StoreRecord = patch.replace ? {} : { ...current };
    for (const field of patch.delete) delete next[field];
    for (const field of Object.keys(patch.set)) next[field] = patch.set[field]!;
    await call(deadline, "set", () => store.set(key, next, ttl));
    return true;
  }

  async function save(session: Session<any>, loaded: Loaded | undefined, { secure, waitUntil, decided }: SaveContext): Promise<CookieWrite[]> {
    const i = sessionInternals(session);
    const state = i.state;
    const nowS = Math.floor(now() / 1000);
    const deadline = Date.now() + timeout;
    const touched = wasChanged(i);
    // What would change in the stored record (serialized now, before any store call).
    const patch = touched && loaded !== undefined && !i.regenerated && !i.destroyed ? diff(state, loaded, i.cleared, nowS) : null;
    const decision = decide(
      {
        empty: isEmpty(state),
        changed: loaded === undefined || i.regenerated || i.destroyed ? touched : patch !== null,
        destroyed: i.destroyed,
        regenerated: i.regenerated,
        isNew: loaded === undefined,
        stale: false,
        permanent: state.permanent,
        lastActive: loaded?.lastActive ?? nowS,
      },
      nowS,
      refresh,
      touchInterval,
    );
    decided?.(decision);

    switch (decision.action) {
      case "none":
        return [];
      case "delete":
        // Emptied or destroyed: the record goes, and so does the cookie (Flask deletes an empty session).
        if (loaded !== undefined) await call(deadline, "delete", () => store.delete(loaded.key));
        if (owners !== undefined && loaded !== undefined) await owners.dropped(loaded.owned, loaded.key, deadline);
        return [deleteCookieWrite(cookie, secure)];
      case "refresh":
        return touch(loaded!, nowS, deadline, secure, waitUntil);
    }
    const created = createdAt(loaded?.created ?? 0, nowS, { isNew: loaded === undefined, cleared: i.cleared, fresh: i.fresh });
    if (loaded === undefined || decision.rotate) {
      // A new id: a fresh session's first write, regenerate(), or destroy() followed by new data.
      const id = newSessionId();
      const key = storeKeyOf(id);
      const record = fullRecord(state, key, created, nowS); // serialized before any store call
      const ttl = remainingSeconds(created, nowS, config);
      const owned = owners === undefined ? undefined : await owners.forRecord(session, state, loaded?.owned, nowS, ttl, deadline);
      if (owned !== undefined) Object.assign(record, owned.set);
      if (loaded !== undefined) {
        // The old entry goes first: if it is already gone (destroyed meanwhile), nothing is revived.
        const existed = await call(deadline, "delete", () => store.delete(loaded.key));
        if (owners !== undefined) await owners.dropped(loaded.owned, loaded.key, deadline);
        if (existed === false) return [];
      }
      await call(deadline, "set", () => store.set(key, record, ttl));
      if (owned !== undefined && !(await owned.after(key))) return revoked(key, deadline, secure);
      return [idCookie(id, state.permanent, created, nowS, secure)];
    }
    const ttl = remainingSeconds(created, nowS, config);
    const owned = owners === undefined ? undefined : await owners.forPatch(session, state, loaded.owned, i.cleared, nowS, ttl, deadline);
    const applied = await applyPatch(deadline, loaded.key, owned === undefined ? patch! : withOwner(patch!, owned), ttl);
    // false: the record was destroyed (or expired) while this request ran; destroy wins.
    if (!applied) return [];
    if (owned !== undefined && !(await owned.after(loaded.key))) return revoked(loaded.key, deadline, secure);
    return state.permanent || loaded.permanent ? [idCookie(loaded.id, state.permanent, created, nowS, secure)] : [];
  }

  // A write that met a revoke (the owner's generation moved on): the record goes, and the cookie.
  async function revoked(key: string, deadline: number, secure: boolean): Promise<CookieWrite[]> {
    await call(deadline, "delete", () => store.delete(key));
    return [deleteCookieWrite(cookie, secure)];
  }

  // A refresh-only write changes no data: if it fails, the request still stands, unrefreshed.
  async function touch(loaded: Loaded, nowS: number, deadline: number, secure: boolean, waitUntil: SaveContext["waitUntil"]): Promise<CookieWrite[]> {
    const ttl = remainingSeconds(loaded.created, nowS, config);
    const owned = owners?.forTouch(loaded.owned, nowS, ttl);
    const patched = applyPatch(deadline, loaded.key, { set: { a: String(nowS), ...owned?.set }, delete: [], replace: false }, ttl);
    const touched = (
      owned === undefined ? patched : patched.then(async (ok) => ok && ((await owned.after(loaded.key)) || (await store.delete(loaded.key), false)))
    ).catch(() => false);
    if (waitUntil !== undefined) {
      // After the response (Workers' ctx.waitUntil): should the touch fail, the record simply
      // keeps its older last-active time and ends that much sooner; nothing is lost or revived.
      waitUntil(touched);
      return [idCookie(loaded.id, true, loaded.created, nowS, secure)];
    }
    return (await touched) ? [idCookie(loaded.id, true, loaded.created, nowS, secure)] : [];
  }

  return { open, save, owners: owners?.api };
}

// A patch with the owner fields added (or removed).
function withOwner(patch: StorePatch, owned: OwnerStep): StorePatch {
  return { set: { ...patch.set, ...owned.set }, delete: [...patch.delete, ...owned.delete], replace: patch.replace };
}

/** The whole record for `state` under `key`; throws `unserializable` before anything is written. */
function fullRecord(state: SessionState, key: string, created: number, nowS: number): StoreRecord {
  const record: StoreRecord = { k: key, c: String(created), a: String(nowS) };
  if (state.permanent) record.p = "1";
  if (state.flashes.length > 0) record.f = encode(state.flashes, "flashes");
  for (const [name, value] of state.data) record[DATA + name] = encode(value, `session.${name}`);
  return record;
}

// The fields that differ from what was loaded; null when nothing did (then only a refresh may write).
function diff(state: SessionState, loaded: Loaded, cleared: boolean, nowS: number): StorePatch | null {
  const set: StoreRecord = {};
  const removed: string[] = [];
  let changed = cleared;
  for (const [name, value] of state.data) {
    const text = encode(value, `session.${name}`);
    if (cleared || loaded.values.get(name) !== text) {
      set[DATA + name] = text;
      changed = true;
    }
  }
  if (!cleared) {
    for (const name of loaded.values.keys()) {
      if (!state.data.has(name)) {
        removed.push(DATA + name);
        changed = true;
      }
    }
  }
  const flashes = state.flashes.length > 0 ? encode(state.flashes, "flashes") : undefined;
  if (flashes !== (cleared ? undefined : loaded.flashes)) {
    if (flashes === undefined) removed.push("f");
    else set.f = flashes;
    changed = true;
  }
  if (state.permanent !== (cleared ? false : loaded.permanent)) {
    if (state.permanent) set.p = "1";
    else removed.push("p");
    changed = true;
  }
  if (!changed) return null;
  set.a = String(nowS);
  if (cleared) {
    set.k = loaded.key;
    set.c = String(nowS);
  }
  return { set, delete: cleared ? [] : removed, replace: cleared };
}

function encode(value: unknown, path: string): string {
  assertLosslessJson(value, path);
  return JSON.stringify(value);
}

function seconds(text: unknown): number | null {
  if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function parseFlashes(text: string): Flash[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || !isLosslessJson(value)) return null;
  for (const f of value) {
    if (!Array.isArray(f) || f.length !== 2 || typeof f[0] !== "string" || typeof f[1] !== "string") return null;
  }
  return value as Flash[];
}
