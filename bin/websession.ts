#!/usr/bin/env node
// The websession command line: `websession secret`, `websession inspect <cookie>`.

import { createSessions, generateSecret } from "../src/index.ts";
import type { InvalidReason, SessionFormat } from "../src/index.ts";
import { MAX_INFLATED_BYTES } from "../src/codecs/flask.ts";
import { parseTaggedJson } from "../src/codecs/flask-json.ts";
import { zlibDecompress } from "../src/codecs/zlib.ts";
import { base64urlDecode, utf8Decoder } from "../src/encoding.ts";
import { sessionInternals } from "../src/session.ts";

// The few Node globals this file uses, declared here so the package needs no @types/node.
declare const process: {
  argv: string[];
  exitCode: number | undefined;
  stdout: { write(text: string): boolean };
  stderr: { write(text: string): boolean };
};

const USAGE = `Usage: websession <command> [options]

Commands:
  secret                 print a new strong secret (32 random bytes, base64url)
  inspect <cookie>       show what a session cookie holds and whether it verifies

Run "websession <command> --help" for a command's options.
`;

const INSPECT_USAGE = `Usage: websession inspect <cookie> [--secret S]... [--format signed|sealed|flask] [--name NAME] [--lifetime SECONDS] [--json]

Shows what a session cookie holds, its timestamps, key id and expiry.
  <cookie>          the cookie value, or a whole "name=value" pair, or a Cookie header
  --secret S        verify with this secret (repeat for rotation: current first); without
                    a secret, only what is readable is shown, marked UNVERIFIED
  --format F        signed (default), sealed (nothing is readable without the secret) or
                    flask (Flask's own session cookie)
  --name NAME       the cookie name it was issued under (default "session"; it is signed in)
  --lifetime N      the lifetime option in seconds, to judge expiry (default 31 days)
  --json            print JSON instead of text

Exit codes: 0 verified (or readable without a secret), 1 rejected, 2 usage error.
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

async function inspect(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(INSPECT_USAGE);
    return 0;
  }
  const { positional, flags } = parseArgs(args, new Set(["secret", "format", "name", "lifetime"]));
  for (const flag of flags.keys()) {
    if (!["secret", "format", "name", "lifetime", "json"].includes(flag)) throw new UsageError(`unknown option --${flag}`);
  }
  if (positional.length !== 1) throw new UsageError("inspect needs exactly one cookie");
  const name = flags.get("name")?.at(-1) ?? "session";
  const format = (flags.get("format")?.at(-1) ?? "signed") as SessionFormat;
  if (!["signed", "sealed", "flask"].includes(format)) throw new UsageError(`--format must be signed, sealed or flask, got ${JSON.stringify(format)}`);
  const lifetime = Number(flags.get("lifetime")?.at(-1) ?? 31 * 24 * 3600);
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new UsageError("--lifetime needs whole seconds");
  const token = extractToken(positional[0]!, name);
  const secrets = flags.get("secret") ?? [];
  const report: Record<string, unknown> = { format, name, length: token.length };

  Object.assign(report, peek(format, token));

  let rejected = false;
  if (secrets.length > 0) {
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
    const size = session.size;
    if (reason !== undefined || size === 0 && session.isNew) {
      report.verified = false;
      report.reason = reason ?? "empty";
      rejected = true;
    } else {
      const state = sessionInternals(session).state;
      report.verified = true;
      report.signedWith = state.stale ? "an older secret (it would be re-issued with the current one)" : "the current secret";
      report.data = Object.fromEntries(state.data);
      report.permanent = state.permanent;
      report.flashes = state.flashes;
      report.created = iso(state.created);
      report.lastActive = iso(state.lastActive);
      report.expires = iso(state.lastActive + lifetime);
    }
  } else {
    report.verified = "UNVERIFIED (no --secret given: anyone can write what is shown)";
  }

  if (flags.has("json")) {
    process.stdout.write(`${render(report, 2)}\n`);
  } else {
    for (const [key, value] of Object.entries(report)) {
      if (value !== undefined) process.stdout.write(`${key.padEnd(17)} ${typeof value === "string" ? value : render(value)}\n`);
    }
  }
  return rejected ? 1 : 0;
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
      claimedTimestamp: stamp === null || stamp.length > 8 ? undefined : iso(stamp.reduce((n, b) => n * 256 + b, 0)),
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

// JSON for values Flask sessions may hold: big integers, bytes.
function render(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? { bytes_base64: btoa(String.fromCharCode(...v)) } : v), indent);
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

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`websession: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`websession: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

await run();
