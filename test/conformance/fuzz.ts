// A mutation fuzzer for websession's whole read path (security bar d.1), runtime-neutral (Web
// globals only), driven by a seeded PRNG so every case can be replayed from (seed, index).
//
// Each target is a real createSessions() configuration (signed, sealed, flask, a memory store,
// chunked signed and sealed) holding a few valid sessions. A case takes valid cookies and
// mutates the token (bit flips, replaced/inserted/deleted bytes, truncation, separator games,
// percent/quote/Unicode variants, splices of two valid tokens) and the header (duplicate and
// nameless pairs, look-alike names, noise, OWS, ";"/"," joins, chunk games), sends it in a real
// Request, and checks the outcome against an independent oracle: a plain 6265bis reading of
// the header. A session is accepted exactly when one valid cookie (or chunk set) stands intact
// under the exact name among few candidates; anything else must be a fresh empty session.
// The "tokens" target hands mutated tokens (any Unicode) straight to each codec's decoder.

import { flaskCodec } from "../../src/codecs/flask/codec.ts";
import { sealedCodec } from "../../src/codecs/sealed.ts";
import { signedCodec } from "../../src/codecs/signed.ts";
import type { Codec } from "../../src/codecs/codec.ts";
import { collectChunks } from "../../src/chunks.ts";
import { readCookie } from "../../src/cookie.ts";
import type { SessionsOptions } from "../../src/options.ts";
import type { SessionState } from "../../src/session.ts";
import { createSessions } from "../../src/sessions.ts";
import type { Sessions } from "../../src/sessions.ts";
import { memoryStore } from "../../src/stores/memory.ts";

/** The configurations the fuzzer attacks. */
export const TARGETS = ["signed", "sealed", "flask", "store", "signed-chunked", "sealed-chunked", "tokens"] as const;
export type TargetName = (typeof TARGETS)[number];

/** One case that went wrong, with what replays it. */
export interface Finding {
  readonly target: TargetName;
  readonly seed: number;
  readonly index: number;
  readonly kind: "crash" | "forgery" | "miss";
  readonly input: string;
  readonly detail: string;
}

/** What a run did. */
export interface FuzzReport {
  readonly target: TargetName;
  readonly seed: number;
  readonly cases: number;
  /** Cases where a valid session was (rightly) accepted. */
  readonly accepted: number;
  /** Header values the platform's Headers refused (never reach websession). */
  readonly refused: number;
  readonly findings: Finding[];
  readonly ms: number;
}

// Test-only secret: public, never use it elsewhere.
const SECRET = "fZ3kQ9wL1xV7nR4tB8mC2hJ6gD0sY5aE_uP-oI";
const T0 = 1_700_000_000_000;
const NAME = "session";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of case `index` of a run seeded with `seed` (so one case replays alone). */
export function caseRandom(seed: number, index: number): () => number {
  return prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

// Characters a mutation inserts: mostly the token alphabet (mutants that reach the MAC), then
// separators, quotes, escapes, controls and Latin-1 (the header's byte range; NUL, CR and LF
// cannot be sent at all).
const SPECIAL = [
  ".",
  ".",
  "=",
  ";",
  ",",
  " ",
  "\t",
  '"',
  "\\",
  "%",
  "+",
  "/",
  "$",
  "!",
  "~",
  "*",
  "'",
  "(",
  ")",
  "\u0001",
  "\u001f",
  "\u007f",
  "\u0080",
  "\u0085",
  "\u00a0",
  "\u00ad",
  "\u00e9",
  "\u00ff",
];
function randomChar(r: Rand): string {
  const roll = r.next();
  if (roll < 0.7) return ALPHABET[r.int(64)]!;
  if (roll < 0.9) return r.pick(SPECIAL);
  let c = 1 + r.int(255);
  if (c === 10 || c === 13) c = 32;
  return String.fromCharCode(c);
}

function randomText(r: Rand, max: number): string {
  let s = "";
  for (let n = r.int(max + 1); n > 0; n--) s += randomChar(r);
  return s;
}

/** One mutation of a token (or chunk value); `others` are other valid tokens to splice with. */
function mutateToken(r: Rand, token: string, others: readonly string[]): string {
  const n = token.length;
  const at = r.int(n + 1);
  switch (r.int(18)) {
    case 0: {
      // flip one bit of one character (kept inside Latin-1, never NUL/CR/LF)
      if (n === 0) return "A";
      const i = r.int(n);
      let c = token.charCodeAt(i) ^ (1 << r.int(8));
      if (c === 0 || c === 10 || c === 13 || c > 255) c = 0x41;
      return token.slice(0, i) + String.fromCharCode(c) + token.slice(i + 1);
    }
    case 1:
    case 2: // replace one character
      return n === 0 ? randomChar(r) : token.slice(0, Math.min(at, n - 1)) + randomChar(r) + token.slice(Math.min(at, n - 1) + 1);
    case 3: // insert
      return token.slice(0, at) + randomText(r, 4) + token.slice(at);
    case 4: // delete a range
      return token.slice(0, at) + token.slice(at + 1 + r.int(8));
    case 5: // truncate
      return token.slice(0, r.int(n));
    case 6: // append (sig=, sig.x, sigXYZ...)
      return token + r.pick(["=", "==", ".", ".x", "X", "XYZ", "A", "%", '"', randomText(r, 6)]);
    case 7: // prepend
      return r.pick([".", "=", " ", "\t", '"', "v1.", "%", randomText(r, 3)]) + token;
    case 8: {
      // separator games
      const v = r.int(5);
      if (v === 0) return token.replaceAll(".", "");
      if (v === 1) return token.replaceAll(".", "..");
      if (v === 2) return token.replaceAll(".", r.pick(["%2E", "%2e", ",", ";", " ", "\u00b7"]));
      const dot = token.indexOf(".", r.int(n));
      return dot === -1 ? `${token}.` : token.slice(0, dot) + token.slice(dot + 1, dot + 2) + "." + token.slice(dot + 2);
    }
    case 9: {
      // percent-encode one character, or all
      if (r.chance(0.2)) return [...token].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
      const i = r.int(Math.max(n, 1));
      return token.slice(0, i) + `%${(token.charCodeAt(i) || 65).toString(16).toUpperCase().padStart(2, "0")}` + token.slice(i + 1);
    }
    case 10: // quotes
      return r.pick([`"${token}"`, `"${token}`, `${token}"`, `'${token}'`, `\\"${token}\\"`]);
    case 11: {
      // Unicode-ish (Latin-1) look-alikes and invisible characters
      const i = r.int(Math.max(n, 1));
      return token.slice(0, i) + r.pick(["\u00a0", "\u0085", "\u00ad", "\u00e2\u0080\u0080", "\u00c3\u00a9", "\u00b7"]) + token.slice(i);
    }
    case 12: {
      // case games
      const v = r.int(3);
      if (v === 0) return token.toUpperCase();
      if (v === 1) return token.toLowerCase();
      const i = r.int(Math.max(n, 1));
      const c = token[i] ?? "a";
      return token.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + token.slice(i + 1);
    }
    case 13: {
      // splice: a prefix of this token and the rest of another valid one
      if (others.length === 0) return token.slice(0, at);
      const other = r.pick(others);
      const cut = r.int(Math.min(n, other.length) + 1);
      return r.chance(0.5) ? token.slice(0, cut) + other.slice(cut) : other.slice(0, cut) + token.slice(cut);
    }
    case 14: {
      // swap the parts (split on ".") of two valid tokens
      if (others.length === 0) return token.split(".").reverse().join(".");
      const a = token.split(".");
      const b = r.pick(others).split(".");
      const i = r.int(Math.max(a.length, 1));
      if (b[i] !== undefined) a[i] = b[i]!;
      return a.join(".");
    }
    case 15: {
      // swap two characters
      if (n < 2) return token + "A";
      const i = r.int(n);
      const j = r.int(n);
      const chars = token.split("");
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
      return chars.join("");
    }
    case 16: {
      // duplicate a range
      const len = 1 + r.int(12);
      return token.slice(0, at) + token.slice(at, at + len) + token.slice(at);
    }
    default: {
      // non-canonical base64: flip the low bit of the last character
      const last = token[n - 1];
      const i = last === undefined ? -1 : ALPHABET.indexOf(last);
      return i === -1 ? token : token.slice(0, -1) + ALPHABET[i ^ 1];
    }
  }
}

type Pair = [name: string, value: string];

interface Valid {
  /** The cookie pairs a browser holds for this session (one, or the chunks). */
  readonly pairs: Pair[];
  /** What the codec verifies: the value, or the chunks joined. */
  readonly token: string;
  readonly data: Record<string, unknown>;
}

interface Setup {
  readonly sessions: Sessions;
  readonly valid: Valid[];
  readonly chunked: boolean;
  readonly store: boolean;
  /** Every valid cookie value (tokens, or chunk values), to splice mutants from. */
  readonly spliceable: string[];
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}

/**
 * The oracle's reading: every value sent under exactly `name` (6265bis, plainly). Pairs end at
 * ";" only: a name after "," inside another pair is not a cookie (CK-13b), so the generator's
 * "," joins are planted cookies the reader must ignore.
 */
export function referenceValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq !== -1 && trimOws(pair.slice(0, eq)) === name) values.push(trimOws(pair.slice(eq + 1)));
  }
  return values;
}

const ID_SHAPE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** The oracle: the data a correct reader must load from `header`, or null for a fresh session. */
function expected(setup: Setup, header: string): Record<string, unknown> | null {
  let candidates = referenceValues(header, NAME);
  if (setup.chunked) {
    const parts: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const values = referenceValues(header, `${NAME}.${i}`);
      if (values.some((v) => v !== values[0])) return null; // a chunk name with two values
      parts.push(values);
    }
    if (parts[0]!.length > 0) {
      let joined = "";
      for (const values of parts) {
        if (values.length === 0) break;
        joined += values[0];
      }
      candidates = [...candidates, joined];
    }
  }
  const distinct = new Set(candidates);
  const counted = setup.store ? [...distinct].filter((v) => ID_SHAPE.test(v)) : [...distinct];
  if (counted.length > 4) return null;
  const hits = setup.valid.filter((v) => distinct.has(v.token));
  return hits.length === 1 ? hits[0]!.data : null;
}

async function setupOf(target: Exclude<TargetName, "tokens">): Promise<Setup> {
  const chunked = target.endsWith("-chunked");
  const store = target === "store";
  const format = target.replace("-chunked", "") as "signed" | "sealed" | "flask" | "store";
  const options: SessionsOptions = { secret: SECRET, now: () => T0 };
  if (store) options.store = memoryStore();
  else options.format = format as "signed" | "sealed" | "flask";
  if (chunked) options.oversize = "chunk";
  const sessions = createSessions(options);
  const datas: Array<Record<string, unknown>> = chunked
    ? [{ blob: "x".repeat(3500), n: 1 }, { blob: "y".repeat(6400), n: 2 }, { n: 3 }] // two chunks, three chunks, one cookie
    : [{ user: "ada" }, { user: "admin", role: "admin" }, { cart: [1, 2, 3], note: "Zo\u00eb \u{1F600}" }];
  // Incompressible filler for the chunked sessions (the sealed format does not compress, but a
  // repeated letter makes mutations of different chunks look alike).
  let x = 7;
  for (const d of datas) {
    if (typeof d.blob === "string") {
      d.blob = d.blob.replace(/./g, () => {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        return ALPHABET[x % 64]!;
      });
    }
  }
  const valid: Valid[] = [];
  // A chunked session sets over 8 KB of cookies, which websession rightly warns about: quietly.
  const warn = console.warn;
  console.warn = () => {};
  try {
    for (const data of datas) {
      const response = await sessions.handle((_r, s) => (s.update(data), new Response("ok")))(new Request("https://fuzz.example/"));
      const pairs: Pair[] = response.headers.getSetCookie().map((line) => {
        const pair = line.slice(0, line.indexOf(";"));
        return [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      });
      const ordered = pairs.filter(([n]) => n.startsWith(NAME)).sort(([a], [b]) => (a < b ? -1 : 1));
      const token = ordered.length === 1 && ordered[0]![0] === NAME ? ordered[0]![1] : ordered.map(([, v]) => v).join("");
      valid.push({ pairs: ordered, token, data });
    }
  } finally {
    console.warn = warn;
  }
  if (chunked && !valid.some((v) => v.pairs.length >= 3)) throw new Error(`${target}: no session spans three chunks`);
  return { sessions, valid, chunked, store, spliceable: valid.flatMap((v) => v.pairs.map(([, value]) => value)) };
}

/** Builds one mutated Cookie header from the valid sessions. */
function mutateHeader(r: Rand, setup: Setup): string {
  const pairs: Pair[] = [];
  const base = r.pick(setup.valid);
  for (const [name, value] of base.pairs) pairs.push([name, value]);
  // 1-3 mutations of values or names, then header games.
  for (let m = 1 + r.int(3); m > 0; m--) {
    const i = r.int(pairs.length);
    const [name, value] = pairs[i]!;
    const roll = r.next();
    if (roll < 0.72) {
      pairs[i] = [name, mutateToken(r, value, setup.spliceable)];
    } else if (roll < 0.84) {
      // name games: case, look-alike prefixes, percent-encoding, chunk index tricks
      pairs[i] = [
        r.pick([
          name.toUpperCase(),
          `\u00a0${name}`,
          ` ${name}`,
          `\t${name}`,
          `${name} `,
          `${name}%00`,
          name.replace("s", "%73"),
          `${name}x`,
          `x${name}`,
          `${NAME}.0${name.slice(NAME.length + 1)}`,
          `${NAME}.${r.int(5)}`,
          `=${name}`,
          `$${name}`,
        ]),
        value,
      ];
    } else if (roll < 0.92) {
      pairs.splice(i, 1); // drop (a chunk, say)
      if (pairs.length === 0) pairs.push([NAME, ""]);
    } else {
      pairs.push([name, mutateToken(r, value, setup.spliceable)]); // a duplicate name with another value
    }
  }
  if (r.chance(0.25)) {
    // another valid session's cookies too (tossing): ambiguous unless identical
    const other = r.pick(setup.valid);
    for (const pair of other.pairs) pairs.splice(r.int(pairs.length + 1), 0, [...pair]);
  }
  if (r.chance(0.15)) pairs.push(...base.pairs.map(([n, v]): Pair => [n, v])); // an identical copy
  if (r.chance(0.03)) {
    // duplicate flooding: one pair (valid or mutated) repeated many times costs one check
    const [name, value] = r.pick(pairs);
    const copy: Pair = [name, r.chance(0.5) ? value : mutateToken(r, value, setup.spliceable)];
    for (let k = 20 + r.int(80); k > 0; k--) pairs.splice(r.int(pairs.length + 1), 0, [...copy]);
  }
  for (let k = r.int(4); k > 0; k--)
    pairs.splice(r.int(pairs.length + 1), 0, [randomText(r, 6).replace(/[=;,]/g, "") || "x", randomText(r, 10).replace(/[;,]/g, "")]);
  if (r.chance(0.1)) pairs.reverse();
  let header = "";
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!;
    if (i > 0) header += r.pick(["; ", "; ", ";", ", ", ",", " ; ", ";;", "; \t"]);
    header += r.chance(0.03) ? value : `${name}=${value}`; // a pair without its name
  }
  if (r.chance(0.1)) header = r.pick([" ", "\t", ";", ", ", "=; "]) + header + r.pick([" ", ";", ";;", "\t", ","]);
  // What a header can carry at all: bytes, without NUL, CR or LF (case changes of Latin-1
  // letters can leave that range: "\u00ff".toUpperCase() is U+0178).
  return header.replace(/[\u0000\n\r\u0100-\uffff]/g, "A");
}

// JSON with object keys sorted (the flask format sorts them as Python does).
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

async function fuzzSessions(target: Exclude<TargetName, "tokens">, seed: number, cases: number, from: number): Promise<FuzzReport> {
  const started = performance.now();
  const setup = await setupOf(target);
  const findings: Finding[] = [];
  let accepted = 0;
  let refused = 0;
  for (let index = from; index < from + cases; index++) {
    const r = new Rand(caseRandom(seed, index));
    const header = mutateHeader(r, setup);
    let request: Request;
    try {
      request = new Request("https://fuzz.example/", { headers: { cookie: header } });
    } catch {
      refused++;
      continue;
    }
    const seen = request.headers.get("cookie") ?? "";
    const want = expected(setup, seen);
    try {
      const session = await setup.sessions.load(request);
      const data = session.toJSON();
      if (session.isNew) {
        if (session.size !== 0) findings.push({ target, seed, index, kind: "forgery", input: header, detail: "a fresh session with data" });
        else if (want !== null) findings.push({ target, seed, index, kind: "miss", input: header, detail: `expected ${JSON.stringify(want)}` });
      } else if (want === null || !same(data, want)) {
        findings.push({
          target,
          seed,
          index,
          kind: "forgery",
          input: header,
          detail: `accepted ${JSON.stringify(data).slice(0, 200)}, expected ${want === null ? "a fresh session" : JSON.stringify(want)}`,
        });
      } else {
        accepted++;
      }
      // Now and then, a write: a rejected cookie is replaced by a brand-new one, never re-issued.
      // (Only for fresh sessions: a write to a valid stored session would change what it holds.)
      if (index % 16 === 0 && session.isNew) {
        session.set("fuzz", index);
        const response = await setup.sessions.commit(session, new Response("ok"));
        const written = response.headers
          .getSetCookie()
          .map((l) => l.slice(l.indexOf("=") + 1, l.indexOf(";")))
          .filter((v) => v !== "");
        if (session.isNew && written.some((v) => referenceValues(seen, NAME).includes(v))) {
          findings.push({ target, seed, index, kind: "forgery", input: header, detail: "a presented cookie value was re-issued" });
        }
      }
    } catch (error) {
      findings.push({ target, seed, index, kind: "crash", input: header, detail: String((error as Error)?.stack ?? error) });
    }
  }
  return { target, seed, cases, accepted, refused, findings, ms: performance.now() - started };
}

async function fuzzTokens(seed: number, cases: number, from: number): Promise<FuzzReport> {
  const started = performance.now();
  const codecs: Array<[string, Codec]> = [
    ["signed", signedCodec([SECRET], NAME, { maxTokenLength: 20_000 })],
    ["sealed", sealedCodec([SECRET], NAME, { maxTokenLength: 20_000 })],
    ["flask", flaskCodec([SECRET])],
  ];
  await Promise.all(codecs.map(([, c]) => c.ready));
  const state = (user: string): SessionState => ({ data: new Map([["user", user]]), flashes: [], permanent: false, created: T0 / 1000, lastActive: T0 / 1000 });
  const valid = await Promise.all(codecs.map(async ([, c]) => [await c.encode(state("ada")), await c.encode(state("admin"))]));
  const findings: Finding[] = [];
  let accepted = 0;
  for (let index = from; index < from + cases; index++) {
    const r = new Rand(caseRandom(seed, index));
    const which = r.int(codecs.length);
    const [name, codec] = codecs[which]!;
    const tokens = valid[which]!;
    let token = r.pick(tokens);
    for (let m = 1 + r.int(3); m > 0; m--)
      token = mutateToken(
        r,
        token,
        tokens.filter((t) => t !== token),
      );
    // Beyond the header's Latin-1: any code point, lone surrogates included.
    if (r.chance(0.3)) {
      const i = r.int(token.length + 1);
      token = token.slice(0, i) + r.pick(["\u2000", "\u{1F600}", "\ud800", "\udc00", "\u0000", "\n", "\u200b", "\uffff", "\u0100"]) + token.slice(i);
    }
    try {
      const result = await codec.decode(token);
      if (typeof result !== "string") {
        if (tokens.includes(token)) accepted++;
        else findings.push({ target: "tokens", seed, index, kind: "forgery", input: `${name}: ${token}`, detail: "a mutated token decoded" });
      } else if (tokens.includes(token)) {
        findings.push({ target: "tokens", seed, index, kind: "miss", input: `${name}: ${token}`, detail: result });
      }
      // The header parsers on the same text: never a throw, only exact names.
      const header = `${r.pick(["", "a=1; ", `${NAME}.1=x; `])}${NAME}=${token}`;
      readCookie(header, NAME);
      collectChunks(header, NAME);
    } catch (error) {
      findings.push({ target: "tokens", seed, index, kind: "crash", input: `${name}: ${token}`, detail: String((error as Error)?.stack ?? error) });
    }
  }
  return { target: "tokens", seed, cases, accepted, refused: 0, findings, ms: performance.now() - started };
}

/** Runs `cases` cases of `target` from case index `from` (default 0), seeded with `seed`. */
export function fuzz(target: TargetName, seed: number, cases: number, from = 0): Promise<FuzzReport> {
  return target === "tokens" ? fuzzTokens(seed, cases, from) : fuzzSessions(target, seed, cases, from);
}

/** A one-line summary of findings, for assertion messages and the CLI. */
export function describeFindings(report: FuzzReport, max = 3): string {
  return report.findings
    .slice(0, max)
    .map(
      (f) =>
        `${f.kind} at seed ${f.seed} case ${f.index} (${f.target}): ${JSON.stringify(f.input.length > 300 ? `${f.input.slice(0, 300)}...` : f.input)}: ${f.detail.split("\n")[0]}`,
    )
    .join("\n");
}
