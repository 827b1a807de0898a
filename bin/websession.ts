#!/usr/bin/env node
// The websession command line: `websession secret`, `websession inspect <cookie>`.

import { createSessions, generateSecret } from "../src/index.ts";
import type { InvalidReason, SessionFormat } from "../src/index.ts";
import type { Codec } from "../src/codecs/codec.ts";
import { MAX_INFLATED_BYTES, flaskCodec } from "../src/codecs/flask/codec.ts";
import { parseTaggedJson } from "../src/codecs/flask/parser.ts";
import { sealedCodec } from "../src/codecs/sealed.ts";
import { signedCodec } from "../src/codecs/signed.ts";
import { zlibDecompress } from "../src/codecs/flask/zlib.ts";
import { base64urlDecode, base64urlEncode, utf8Decoder } from "../src/encoding.ts";

// The few Node globals this file uses, declared here so the package needs no @types/node.
declare const process: {
  argv: string[];
  env: Record<string, string | undefined>;
  exitCode: number | undefined;
  stdin: AsyncIterable<Uint8Array | string> & { isTTY?: boolean };
  stdout: { write(text: string): boolean };
  stderr: { write(text: string): boolean };
};

const USAGE = `Usage: websession <command> [options]

Commands:
  secret                 print a new strong secret (32 random bytes, base64url)
  inspect <cookie>       show what a session cookie holds and whether it verifies

Run "websession <command> --help" for a command's options.
`;

const INSPECT_USAGE = `Usage: websession inspect <cookie> [--secret-env NAME | --secret-stdin | --secret S]... [--format F] [--name NAME] [--lifetime SECONDS] [--json]

Shows what a session cookie holds, its timestamps, key id and expiry. Without --format it
detects the format from the token's shape (signed, sealed, flask, or a store id) and says so.
  <cookie>          the cookie value, or a whole "name=value" pair, or a Cookie header

The secret (repeat any of these for rotation: current first). Without one, only what is
readable is shown, marked UNVERIFIED:
  --secret-env NAME read it from the environment variable NAME
  --secret-stdin    read it from standard input, one secret per line (also: --secret -)
  --secret S        take it from the command line: avoid this for real secrets, since the
                    command line lands in shell history and other users can see it in ps
                    WEBSESSION_SECRET is used when no --secret* option is given and it is set

  --format F        signed, sealed (nothing is readable without the secret) or flask
                    (Flask's own session cookie); detected when omitted
  --name NAME       the cookie name it was issued under (default "session"; it is signed in)
  --lifetime N      the lifetime option in seconds, to judge expiry (default 31 days)
  --json            print JSON instead of text

Control characters and bidirectional overrides from the cookie are printed escaped (\\x1b,
\\u202e), never raw; a date outside JavaScript's range prints as "out of range".

Exit codes: 0 verified (or readable without a secret), 1 rejected or not a session cookie,
2 usage error.
`;

const SECRET_USAGE = `Usage: websession secret

Prints a new random secret: 32 bytes from the system's CSPRNG as 43 base64url characters.
It passes websession's secret policy. Keep it in an environment variable or a secret binding.
`;

interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

function parseArgs(args: string[], valued: ReadonlySet<string>): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      let value = eq === -1 ? "" : arg.slice(eq + 1);
      if (eq === -1 && valued.has(name)) {
        const next = args[++i];
        if (next === undefined) throw new UsageError(`--${name} needs a value`);
        value = next;
      }
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "secret") {
    if (rest.includes("--help") || rest.includes("-h")) {
      process.stdout.write(SECRET_USAGE);
      return 0;
    }
    if (rest.length > 0) throw new UsageError(`secret takes no arguments, got ${rest.join(" ")}`);
    process.stdout.write(`${generateSecret()}\n`);
    return 0;
  }
  if (command === "inspect") return inspect(rest);
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

const INSPECT_FLAGS = new Set(["secret", "secret-env", "secret-stdin", "format", "name", "lifetime", "json"]);

async function inspect(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(INSPECT_USAGE);
    return 0;
  }
  const { positional, flags } = parseArgs(args, new Set(["secret", "secret-env", "format", "name", "lifetime"]));
  for (const flag of flags.keys()) {
    if (!INSPECT_FLAGS.has(flag)) throw new UsageError(`unknown option --${flag}`);
  }
  if (positional.length !== 1) throw new UsageError("inspect needs exactly one cookie");
  const name = flags.get("name")?.at(-1) ?? "session";
  const given = flags.get("format")?.at(-1);
  if (given !== undefined && !FORMATS.includes(given as SessionFormat))
    throw new UsageError(`--format must be signed, sealed or flask, got ${JSON.stringify(given)}`);
  const lifetime = Number(flags.get("lifetime")?.at(-1) ?? 31 * 24 * 3600);
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new UsageError("--lifetime needs whole seconds");
  const token = extractToken(positional[0]!, name);
  const secrets = await readSecrets(flags);
  const shape = detect(token);
  const format = (given ?? shape) as SessionFormat | "store id" | "unknown";
  const report: Record<string, unknown> = {
    format,
    formatFrom: given !== undefined ? "--format" : "the token's shape",
    name,
    length: token.length,
  };

  if (format === "unknown") {
    report.note =
      "not a websession or Flask session cookie: none of signed (body.kid.signature), sealed (v1.kid.salt.iv.ciphertext), flask ([.]payload.timestamp.signature) or a store id (43 base64url characters)";
    return finish(report, flags, 1);
  }
  if (format === "store id") {
    report.note = "a server-side session id: the data lives in the store, and the cookie holds nothing else to read or verify";
    return finish(report, flags, 0);
  }
  const peeked = peek(format, token);
  Object.assign(report, peeked);
  if (peeked.readable === false) return finish(report, flags, 1);
  if (secrets.length === 0) {
    report.verified = "UNVERIFIED (no secret given: anyone can write what is shown)";
    return finish(report, flags, 0);
  }
  return finish(report, flags, (await verify(report, { token, format, name, lifetime, secrets })) ? 0 : 1);
}

const FORMATS: readonly SessionFormat[] = ["signed", "sealed", "flask"];

// The format a token's shape belongs to (nothing is verified here).
function detect(token: string): SessionFormat | "store id" | "unknown" {
  const parts = token.split(".");
  const b64 = (part: string | undefined, length?: number): boolean =>
    part !== undefined && /^[A-Za-z0-9_-]+$/.test(part) && (length === undefined || part.length === length);
  if (parts.length === 5 && parts[0] === "v1" && parts.slice(1).every((part) => b64(part))) return "sealed";
  // signed: a 6-character key id and a 32-byte HMAC-SHA-256; flask: a 20-byte HMAC-SHA-1.
  if (parts.length === 3 && b64(parts[0]) && b64(parts[1], 6) && b64(parts[2], 43)) return "signed";
  const flask = token.startsWith(".") ? parts.slice(1) : parts;
  if (flask.length === 3 && b64(flask[0]) && b64(flask[1]) && b64(flask[2], 27)) return "flask";
  if (parts.length === 1 && b64(token, 43)) return "store id";
  return "unknown";
}

// The secrets from --secret-env, --secret-stdin / --secret -, --secret, or WEBSESSION_SECRET.
async function readSecrets(flags: Map<string, string[]>): Promise<string[]> {
  const secrets: string[] = [];
  for (const variable of flags.get("secret-env") ?? []) {
    const value = process.env[variable];
    if (value === undefined || value === "") throw new UsageError(`--secret-env: the environment variable ${JSON.stringify(variable)} is not set or empty`);
    secrets.push(value);
  }
  const literal = flags.get("secret") ?? [];
  if (flags.has("secret-stdin") || literal.includes("-")) {
    if (process.stdin.isTTY === true) process.stderr.write("websession: reading the secret from standard input (one per line, end with Ctrl-D)\n");
    let text = "";
    for await (const chunk of process.stdin) text += typeof chunk === "string" ? chunk : utf8Decoder.decode(chunk, { stream: true });
    const lines = text.split(/\r?\n/).filter((line) => line !== "");
    if (lines.length === 0) throw new UsageError("--secret-stdin: standard input held no secret");
    secrets.push(...lines);
  }
  secrets.push(...literal.filter((value) => value !== "-"));
  if (secrets.length === 0 && !flags.has("secret-env") && (process.env.WEBSESSION_SECRET ?? "") !== "") secrets.push(process.env.WEBSESSION_SECRET!);
  return secrets;
}

interface VerifyInput {
  token: string;
  format: SessionFormat;
  name: string;
  lifetime: number;
  secrets: string[];
}

// Verifies through the public API (signature and time rules), then reads the times from the
// codec; adds what it found to `report`. False when the cookie is rejected.
async function verify(report: Record<string, unknown>, input: VerifyInput): Promise<boolean> {
  const { token, format, name, lifetime, secrets } = input;
  let reason: InvalidReason | undefined;
  const sessions = createSessions({
    secret: secrets,
    format,
    cookie: { name },
    lifetime,
    unsafeAllowWeakSecret: true,
    onInvalid: (r) => (reason = r),
  });
  const session = await sessions.load(new Request("https://inspect.invalid/", { headers: { cookie: `${name}=${token}` } }));
  const data = session.toJSON();
  if (reason !== undefined || (session.size === 0 && session.isNew)) {
    report.verified = false;
    report.reason = reason ?? "empty";
    return false;
  }
  const codec = codecOf(format, secrets, name);
  await codec.ready;
  const state = await codec.decode(token);
  report.verified = true;
  report.data = data;
  report.permanent = session.permanent;
  report.flashes = session.flashes({ withCategories: true });
  if (typeof state !== "string") {
    report.signedWith = state.stale === true ? "an older secret (it would be re-issued with the current one)" : "the current secret";
    report.created = iso(state.created);
    report.lastActive = iso(state.lastActive);
    report.expires = iso(state.lastActive + lifetime);
  }
  return true;
}

function codecOf(format: SessionFormat, secrets: string[], name: string): Codec {
  if (format === "sealed") return sealedCodec(secrets, name);
  if (format === "flask") return flaskCodec(secrets);
  return signedCodec(secrets, name);
}

function finish(report: Record<string, unknown>, flags: Map<string, string[]>, code: number): number {
  if (flags.has("json")) {
    process.stdout.write(`${escapeForJson(render(report, 2))}\n`);
  } else {
    for (const [key, value] of Object.entries(report)) {
      if (value !== undefined) process.stdout.write(`${key.padEnd(17)} ${escapeControls(typeof value === "string" ? value : render(value))}\n`);
    }
  }
  return code;
}

// What can be read from a token without a secret (nothing of it is trusted).
function peek(format: SessionFormat, token: string): Record<string, unknown> {
  if (format === "sealed") {
    const parts = token.split(".");
    if (parts.length !== 5 || parts[0] !== "v1") return { readable: false, note: "not a sealed token (v1.kid.salt.iv.ciphertext)" };
    return { version: parts[0], kid: parts[1], note: "encrypted: nothing else is readable without the secret" };
  }
  if (format === "flask") {
    const compressed = token.startsWith(".");
    const parts = (compressed ? token.slice(1) : token).split(".");
    if (parts.length !== 3) return { readable: false, note: "not a Flask cookie ([.]payload.timestamp.signature)" };
    const stamp = base64urlDecode(parts[1]!);
    let payload = base64urlDecode(parts[0]!);
    if (payload !== null && compressed) payload = zlibDecompress(payload, MAX_INFLATED_BYTES);
    let parsed: { value: unknown } | null = null;
    try {
      parsed = payload === null ? null : parseTaggedJson(utf8Decoder.decode(payload));
    } catch {
      parsed = null;
    }
    return {
      compressed,
      claimedTimestamp: stamp === null || stamp.length > 8 ? "unreadable" : isoOfStamp(stamp),
      ...(parsed === null ? { readable: false, note: "the payload is not Flask's tagged JSON" } : { claimedData: parsed.value }),
    };
  }
  const parts = token.split(".");
  if (parts.length !== 3) return { readable: false, note: "not a signed token (body.kid.signature)" };
  const body = base64urlDecode(parts[0]!);
  try {
    const envelope = JSON.parse(utf8Decoder.decode(body ?? new Uint8Array([0]))) as Record<string, unknown>;
    return {
      kid: parts[1],
      claimedData: envelope.d,
      claimedPermanent: envelope.p === 1,
      claimedCreated: typeof envelope.c === "number" ? iso(envelope.c) : undefined,
      claimedLastActive: typeof envelope.a === "number" ? iso(envelope.a) : undefined,
    };
  } catch {
    return { kid: parts[1], readable: false, note: "the body is not base64url JSON" };
  }
}

// JSON for values Flask sessions may hold: big integers, bytes, dates (any of them out of range).
function render(value: unknown, indent?: number): string {
  return JSON.stringify(plain(value, 0), null, indent);
}

// A copy JSON.stringify cannot throw on: Date#toJSON throws for an invalid date, before any
// replacer would see it.
function plain(value: unknown, depth: number): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return { bytes_base64url: base64urlEncode(value) };
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "out of range" : value.toISOString();
  if (depth > 200 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    Object.defineProperty(copy, key, { value: plain(item, depth + 1), enumerable: true, writable: true, configurable: true });
  return copy;
}

// Terminal control from input: C0 (ESC starts CSI and OSC sequences: title, screen, OSC 52
// clipboard), DEL, C1 (U+009B is a one-character CSI), the bidirectional overrides and
// isolates that reorder what is shown, and the line and paragraph separators.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character shown as an escape (`\x1b`, `\u202e`), for a terminal. */
function escapeControls(text: string): string {
  return text.replace(CONTROLS, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** JSON text with the controls JSON.stringify leaves raw (DEL, C1, bidi) as `\u` escapes; still the same JSON. */
function escapeForJson(json: string): string {
  return json.replace(CONTROLS, (ch) => (ch === "\n" ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

// A Flask timestamp: big-endian seconds, up to 8 bytes (beyond 2^53, so counted exactly).
function isoOfStamp(stamp: Uint8Array): string {
  const seconds = stamp.reduce((n, b) => n * 256n + BigInt(b), 0n);
  return seconds <= BigInt(MAX_DATE_SECONDS) ? iso(Number(seconds)) : `out of range (${seconds} seconds since 1970)`;
}

function extractToken(input: string, name: string): string {
  const trimmed = input.trim();
  if (!trimmed.includes("=")) return trimmed;
  for (const pair of trimmed.split(/;\s*/)) {
    const eq = pair.indexOf("=");
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  throw new UsageError(`no cookie named ${JSON.stringify(name)} in the input (use --name)`);
}

// JavaScript dates span +-8.64e15 ms (years -271821 to 275760); a claimed time beyond is shown, not thrown.
const MAX_DATE_SECONDS = 8.64e12;

function iso(seconds: number): string {
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_DATE_SECONDS
    ? new Date(seconds * 1000).toISOString()
    : `out of range (${seconds} seconds since 1970)`;
}

async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`websession: ${escapeControls(error.message)}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`websession: ${escapeControls(error instanceof Error ? error.message : String(error))}\n`);
      process.exitCode = 1;
    }
  }
}

await run();
