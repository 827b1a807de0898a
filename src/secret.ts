// The secret policy (shared/docs/security-bar.md part c), checked once at start-up.

import { sha256 } from "@noble/hashes/sha2.js";
import { base64urlEncode, randomBytes, utf8Encoder } from "./encoding.ts";
import { SessionError, describe } from "./errors.ts";
import { isPublishedSecret } from "./published.ts";

/** A secret as users give it: text (taken as UTF-8 bytes, no normalisation) or raw bytes. */
export type Secret = string | Uint8Array;

/** The most secrets one configuration accepts: the current one and four fallbacks. */
export const MAX_SECRETS = 5;
const MIN_BYTES = 32;
const MIN_BITS = 128;

const PLACEHOLDERS = [
  "changeme",
  "change_me",
  "change-me",
  "secret",
  "password",
  "example",
  "your",
  "replace",
  "insert",
  "todo",
  "xxxx",
  "placeholder",
  "default",
  "dummy",
  "sample",
  "not_random",
  "<",
  ">",
  "{",
  "}",
];

/**
 * Throws a {@link SessionError} (`weak_secret`) saying what to change when `secret` is too
 * short, too regular, a placeholder or a published key (one of the 34,337 Flask and
 * express-session secrets in src/published-secrets.ts). `label` names it in the message.
 * Runs at start-up only: the first call decodes the published table (a few milliseconds).
 */
export function checkSecretPolicy(secret: Secret, label: string): void {
  const bytes = typeof secret === "string" ? utf8Encoder.encode(secret) : secret;
  const fix = "generate one with `npx websession secret` or generateSecret()";
  if (bytes.length < MIN_BYTES) {
    throw new SessionError("weak_secret", `${label} is too short: ${bytes.length} bytes, at least ${MIN_BYTES} are needed; ${fix}`);
  }
  if (isPublishedSecret(bytes)) {
    throw new SessionError(
      "weak_secret",
      `${label} is a published key (it appears in public code or a list of leaked Flask and express-session secrets, so anyone can forge sessions with it); ${fix}, and replace it everywhere it is used`,
    );
  }
  const units: ArrayLike<number> = typeof secret === "string" ? codePoints(secret) : bytes;
  const variety = varietyProblem(units);
  if (variety !== undefined) throw new SessionError("weak_secret", `${label} ${variety}; ${fix}`);
  if (typeof secret === "string") {
    const lower = secret.toLowerCase();
    const placeholder = PLACEHOLDERS.find((p) => lower.includes(p));
    if (placeholder !== undefined) {
      throw new SessionError("weak_secret", `${label} looks like a placeholder (it contains ${JSON.stringify(placeholder)}); ${fix}`);
    }
    const bits = estimatedBits(secret);
    if (bits < MIN_BITS) {
      throw new SessionError(
        "weak_secret",
        `${label} carries about ${Math.floor(bits)} bits, at least ${MIN_BITS} are needed; use a longer random value, or ${fix}`,
      );
    }
  }
}

/** Checks the shape of a secret option and returns the secrets, current first. */
export function normalizeSecrets(value: unknown): Secret[] {
  const list = Array.isArray(value) ? value : [value];
  if (value === undefined || value === null || list.length === 0) {
    throw new TypeError(
      "option secret is required: a string or Uint8Array of at least 32 random bytes (or an array of them, current first); generate one with `npx websession secret`",
    );
  }
  if (list.length > MAX_SECRETS) {
    throw new RangeError(
      `option secret lists ${list.length} secrets; at most ${MAX_SECRETS} (the current one and ${MAX_SECRETS - 1} fallbacks) are allowed, drop the oldest`,
    );
  }
  const seen = new Set<string>();
  // An index loop, not forEach: a hole in a sparse array ([key, , old]) must be refused here,
  // not skipped here and met later as `undefined` by the first request.
  for (let i = 0; i < list.length; i++) {
    const s: unknown = list[i];
    if (typeof s !== "string" && !(s instanceof Uint8Array)) {
      throw new TypeError(`option secret${Array.isArray(value) ? `[${i}]` : ""} must be a string or Uint8Array, got ${describe(s)}`);
    }
    if ((typeof s === "string" ? s.length : s.byteLength) === 0) {
      throw new TypeError(`option secret${Array.isArray(value) ? `[${i}]` : ""} is empty`);
    }
    const id = fingerprint(typeof s === "string" ? utf8Encoder.encode(s) : s);
    if (seen.has(id)) throw new TypeError(`option secret lists the same secret twice (at index ${i}); remove the duplicate`);
    seen.add(id);
  }
  return [...list] as Secret[];
}

/**
 * A new random secret: 32 bytes from the platform's CSPRNG as 43 base64url characters,
 * which always passes the secret policy.
 *
 * @example
 * ```ts
 * import { generateSecret } from "websession";
 * console.log(generateSecret()); // e.g. "q1Xb...": put it in SESSION_SECRET
 * ```
 */
export function generateSecret(): string {
  // A random string can, very rarely, contain a placeholder word such as "todo"; draw again.
  for (;;) {
    const candidate = base64urlEncode(randomBytes(32));
    try {
      checkSecretPolicy(candidate, "secret");
      return candidate;
    } catch {
      // try another
    }
  }
}

function fingerprint(bytes: Uint8Array): string {
  let hex = "";
  for (const b of sha256(bytes).subarray(0, 8)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

function codePoints(s: string): number[] {
  return Array.from(s, (ch) => ch.codePointAt(0)!);
}

function varietyProblem(units: ArrayLike<number>): string | undefined {
  const counts = new Map<number, number>();
  let run = 1;
  let direction = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    counts.set(u, (counts.get(u) ?? 0) + 1);
    if (i > 0) {
      const step = u - units[i - 1]!;
      if ((step === 0 || step === 1 || step === -1) && (run === 1 || step === direction)) {
        run++;
        direction = step;
      } else {
        run = step === 0 || step === 1 || step === -1 ? 2 : 1;
        direction = step;
      }
      if (run >= 8) return "contains a run of 8 repeated or sequential characters";
    }
  }
  if (counts.size < 8) return `uses only ${counts.size} distinct characters, at least 8 are needed`;
  for (const n of counts.values()) {
    if (n > units.length / 4) return "repeats one character in more than a quarter of its length";
  }
  return undefined;
}

// Length times the bits per character of the smallest standard alphabet holding the string.
function estimatedBits(s: string): number {
  const perChar = /^[0-9a-fA-F]+$/.test(s) ? 4 : /^[A-Za-z0-9+/=_-]+$/.test(s) ? 6 : 6.5;
  return codePoints(s).length * perChar;
}
