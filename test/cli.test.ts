// The CLI as users run it: a child process, its output and its exit code.
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createSessions } from "../src/index.ts";
import { checkSecretPolicy } from "../src/secret.ts";
import { OLD_SECRET, TEST_SECRET, cookieOf, requestWith } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function cli(...args: string[]): Run {
  return cliWith({}, ...args);
}

// The CLI with extra environment variables and standard input.
function cliWith(options: { env?: Record<string, string>; input?: string }, ...args: string[]): Run {
  const env: Record<string, string | undefined> = { ...process.env, WEBSESSION_SECRET: undefined, ...options.env };
  const run = spawnSync(process.execPath, ["--import", "tsx", "bin/websession.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
    env,
    input: options.input ?? "",
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

function b64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64url");
}

// A Flask cookie signed with `secret` as itsdangerous does, with any timestamp bytes.
function flaskCookie(payload: string, stamp: Uint8Array, secret = TEST_SECRET): string {
  const key = createHmac("sha1", secret).update("cookie-session").digest();
  const signed = `${b64url(payload)}.${b64url(stamp)}`;
  return `${signed}.${createHmac("sha1", key).update(signed).digest("base64url")}`;
}

// Every character class that must never reach a terminal raw.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

async function mint(format: "signed" | "sealed" | "flask", data: Record<string, unknown>, secret = TEST_SECRET): Promise<string> {
  const sessions = createSessions({ secret, format });
  const handler = sessions.handle((_r, s) => {
    for (const [k, v] of Object.entries(data)) s.set(k, v);
    s.permanent = true;
    return new Response("ok");
  });
  return cookieOf(await handler(requestWith()));
}

describe("websession secret", () => {
  test("prints a fresh secret that passes the policy", () => {
    const a = cli("secret");
    const b = cli("secret");
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(a.out).not.toBe(b.out);
    expect(() => checkSecretPolicy(a.out.trim(), "secret")).not.toThrow();
  });

  test("--help, and arguments it does not take", () => {
    expect(cli("secret", "--help")).toMatchObject({ code: 0, out: expect.stringContaining("Usage: websession secret") });
    expect(cli("secret", "extra")).toMatchObject({ code: 2, err: expect.stringContaining("secret takes no arguments") });
  });
});

describe("websession inspect", () => {
  test("a signed cookie without a secret: readable, marked unverified", async () => {
    const cookie = await mint("signed", { user: "ada" });
    const r = cli("inspect", cookie, "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ format: "signed", formatFrom: "the token's shape", claimedData: { user: "ada" }, claimedPermanent: true });
    expect(report.verified).toMatch(/^UNVERIFIED/);
    expect(report.kid).toMatch(/^[\w-]{6}$/);
  });

  test("with the right secret: verified, with data, times and expiry", async () => {
    const cookie = await mint("signed", { user: "ada" });
    const r = cli("inspect", cookie, "--secret", TEST_SECRET, "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ verified: true, data: { user: "ada" }, permanent: true, signedWith: "the current secret" });
    expect(Date.parse(report.expires) - Date.parse(report.lastActive)).toBe(31 * 24 * 3600 * 1000);
  });

  test("rotation: a cookie from an older secret verifies and says so", async () => {
    const cookie = await mint("signed", { user: "ada" }, OLD_SECRET);
    const report = JSON.parse(cli("inspect", cookie, "--secret", TEST_SECRET, "--secret", OLD_SECRET, "--json").out);
    expect(report.verified).toBe(true);
    expect(report.signedWith).toMatch(/older secret/);
  });

  test("a wrong secret or a tampered cookie: exit 1 with the reason", async () => {
    const cookie = await mint("signed", { user: "ada" });
    const wrong = cli("inspect", cookie, "--secret", OLD_SECRET);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/verified\s+false/);
    expect(wrong.out).toMatch(/reason\s+bad_signature/);
    const tampered = cli("inspect", `${cookie.slice(0, 20)}x${cookie.slice(21)}`, "--secret", TEST_SECRET);
    expect(tampered.code).toBe(1);
  });

  test("a sealed cookie shows nothing but its key id without the secret, everything with it", async () => {
    const cookie = await mint("sealed", { user: "ada" });
    const blind = JSON.parse(cli("inspect", cookie, "--format", "sealed", "--json").out);
    expect(blind).toMatchObject({ version: "v1", note: expect.stringContaining("encrypted") });
    expect(JSON.stringify(blind)).not.toContain('"ada"');
    expect(JSON.stringify(blind)).not.toContain("user");
    const seen = JSON.parse(cli("inspect", cookie, "--format", "sealed", "--secret", TEST_SECRET, "--json").out);
    expect(seen).toMatchObject({ verified: true, data: { user: "ada" } });
  });

  test("a Flask cookie: the payload and timestamp unverified, the session verified with the key", async () => {
    const cookie = await mint("flask", { user_id: 42, big: 2n ** 60n });
    const blind = JSON.parse(cli("inspect", cookie, "--format", "flask", "--json").out);
    expect(blind).toMatchObject({ compressed: false, claimedData: { user_id: 42, _permanent: true, big: "1152921504606846976n" } });
    const seen = cli("inspect", cookie, "--format", "flask", "--secret", TEST_SECRET, "--json");
    expect(seen.code).toBe(0);
    expect(JSON.parse(seen.out)).toMatchObject({ verified: true, permanent: true, data: { user_id: 42 } });
  });

  test("accepts a name=value pair or a whole Cookie header; --name picks the cookie", async () => {
    const cookie = await mint("signed", { user: "ada" });
    const header = `theme=dark; ${cookie}; lang=en`;
    expect(JSON.parse(cli("inspect", header, "--json").out).claimedData).toEqual({ user: "ada" });
    expect(cli("inspect", header, "--name", "other")).toMatchObject({ code: 2, err: expect.stringContaining('no cookie named "other"') });
  });

  test("usage errors exit 2 with a message", () => {
    expect(cli("inspect")).toMatchObject({ code: 2, err: expect.stringContaining("inspect needs exactly one cookie") });
    expect(cli("inspect", "x", "--format", "jwt")).toMatchObject({ code: 2, err: expect.stringContaining("--format must be") });
    expect(cli("inspect", "x", "--bogus")).toMatchObject({ code: 2, err: expect.stringContaining("unknown option --bogus") });
    expect(cli("frobnicate")).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "frobnicate"') });
    expect(cli("inspect", "--help")).toMatchObject({ code: 0, out: expect.stringContaining("Exit codes") });
    expect(cli("--help").code).toBe(0);
    expect(cli().code).toBe(2);
  });
});

describe("#12 finding 7: inspect on hostile input", () => {
  test("finding 7: a Flask timestamp past year 275760 prints out of range, with and without --secret, never crashes", () => {
    const cookie = flaskCookie('{"user_id":1}', new Uint8Array([0x40, 0, 0, 0, 0, 0, 0, 0]));
    const blind = cli("inspect", cookie);
    expect(blind.err).not.toMatch(/Invalid time value/);
    expect(blind).toMatchObject({ code: 0, out: expect.stringMatching(/claimedTimestamp\s+out of range \(4611686018427387904 seconds since 1970\)/) });
    const keyed = cli("inspect", cookie, "--secret", TEST_SECRET, "--json");
    expect(keyed.code).toBe(1);
    expect(JSON.parse(keyed.out)).toMatchObject({
      format: "flask",
      formatFrom: "the token's shape",
      claimedTimestamp: expect.stringMatching(/^out of range/),
      verified: false,
      reason: "expired",
    });
  });

  test("finding 7: signed claimed times beyond JavaScript's dates print out of range", () => {
    const body = b64url(JSON.stringify({ c: 1e300, a: -9e15, d: {} }));
    const report = JSON.parse(cli("inspect", `${body}.abcdef.${b64url(new Uint8Array(32))}`, "--json").out);
    expect(report).toMatchObject({ claimedCreated: "out of range (1e+300 seconds since 1970)", claimedLastActive: expect.stringMatching(/^out of range/) });
  });

  test("finding 7: a key id with ESC, C1 and bidi characters is printed escaped, in text and JSON", () => {
    const kid = "ab\u001b]52;c;cHduZWQ\u0007\u009b2J\u202e\u2066cd";
    const token = `${b64url("{}")}.${kid}.${b64url(new Uint8Array(32))}`;
    const text = cli("inspect", token, "--format", "signed");
    expect(text.out).not.toMatch(RAW_CONTROL);
    expect(text.out).toContain("kid               ab\\x1b]52;c;cHduZWQ\\x07\\x9b2J\\u202e\\u2066cd");
    const json = cli("inspect", token, "--format", "signed", "--json");
    expect(json.out).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json.out).kid).toBe(kid);
  });

  test("finding 7: data keys and values with control characters are escaped (signed and Flask payloads)", () => {
    const data = { "k\u001b]0;title\u0007": "\u009b2J\u202eevil\u007f", "line\nbreak": "\u2028" };
    const signed = `${b64url(JSON.stringify({ c: 1, a: 1, d: data }))}.abcdef.${b64url(new Uint8Array(32))}`;
    const flask = flaskCookie(JSON.stringify(data), new Uint8Array([0x65, 0x53, 0xf1, 0x00]));
    for (const token of [signed, flask]) {
      for (const json of [false, true]) {
        const r = cli("inspect", token, ...(json ? ["--json"] : []));
        expect(r.code).toBe(0);
        expect(r.out).not.toMatch(RAW_CONTROL);
        if (json) expect(JSON.parse(r.out).claimedData).toEqual(data);
        else expect(r.out).toContain('{"k\\u001b]0;title\\u0007":"\\x9b2J\\u202eevil\\x7f"');
      }
    }
    const keyed = cli("inspect", flask, "--secret", TEST_SECRET);
    expect(keyed.out).not.toMatch(RAW_CONTROL);
  });

  test("finding 7: input echoed in error messages is escaped too", () => {
    for (const r of [
      cli("\u001b[2Jx"),
      cli("secret", "\u009b31m"),
      cli("inspect", "x", "--\u001b]0;t\u0007"),
      cli("inspect", "a=b", "--name", "\u202eevil"),
      cli("inspect", "x", "--format", "\u001b[5m"),
    ]) {
      expect(r.code).toBe(2);
      expect(r.err).not.toMatch(RAW_CONTROL);
      expect(r.err).toMatch(/\\x1b|\\u001b|\\x9b|\\u202e/);
    }
  });
});

describe("the secret off the command line (#12 finding 7, #20)", () => {
  test("--secret-env NAME, repeatable for rotation", async () => {
    const cookie = await mint("signed", { user: "ada" }, OLD_SECRET);
    const r = cliWith(
      { env: { APP_KEY: TEST_SECRET, OLD_KEY: OLD_SECRET } },
      "inspect",
      cookie,
      "--secret-env",
      "APP_KEY",
      "--secret-env",
      "OLD_KEY",
      "--json",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ verified: true, signedWith: expect.stringMatching(/older secret/) });
    expect(cliWith({ env: { APP_KEY: OLD_SECRET } }, "inspect", cookie, "--secret-env", "APP_KEY").code).toBe(0);
    const missing = cli("inspect", cookie, "--secret-env", "NOT_SET_ANYWHERE");
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining('environment variable "NOT_SET_ANYWHERE" is not set') });
  });

  test("WEBSESSION_SECRET is used when set and no --secret* option is given", async () => {
    const cookie = await mint("signed", { user: "ada" });
    expect(JSON.parse(cliWith({ env: { WEBSESSION_SECRET: TEST_SECRET } }, "inspect", cookie, "--json").out)).toMatchObject({
      verified: true,
      data: { user: "ada" },
    });
    const wrong = cliWith({ env: { WEBSESSION_SECRET: OLD_SECRET } }, "inspect", cookie, "--json");
    expect(wrong.code).toBe(1);
    expect(cliWith({ env: { WEBSESSION_SECRET: OLD_SECRET } }, "inspect", cookie, "--secret", TEST_SECRET).code).toBe(0);
  });

  test("--secret-stdin and --secret - read standard input, one secret per line", async () => {
    const cookie = await mint("sealed", { user: "ada" }, OLD_SECRET);
    for (const flag of [["--secret-stdin"], ["--secret", "-"]]) {
      const r = cliWith({ input: `${TEST_SECRET}\n${OLD_SECRET}\n` }, "inspect", cookie, ...flag, "--json");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ verified: true, data: { user: "ada" } });
    }
    expect(cliWith({ input: "" }, "inspect", cookie, "--secret-stdin")).toMatchObject({
      code: 2,
      err: expect.stringContaining("standard input held no secret"),
    });
  });

  test("the help says why --secret on the command line is the last choice", () => {
    expect(cli("inspect", "--help").out).toMatch(/shell history[\s\S]*ps/);
  });
});

describe("#20: inspect detects the format", () => {
  test("sealed, flask and signed cookies without --format: detected, said, verified with a secret", async () => {
    for (const format of ["signed", "sealed", "flask"] as const) {
      const cookie = await mint(format, { user: "ada" });
      const blind = cli("inspect", cookie, "--json");
      expect(blind.code).toBe(0);
      expect(JSON.parse(blind.out)).toMatchObject({ format, formatFrom: "the token's shape" });
      const seen = cli("inspect", cookie, "--secret", TEST_SECRET, "--json");
      expect(seen.code).toBe(0);
      expect(JSON.parse(seen.out)).toMatchObject({ verified: true, data: { user: "ada" } });
      expect(cli("inspect", cookie, "--secret", OLD_SECRET).code).toBe(1);
    }
  });

  test("a store id is recognised; anything else exits 1 saying what it is not", () => {
    const id = b64url(new Uint8Array(32).fill(7));
    expect(cli("inspect", id)).toMatchObject({ code: 0, out: expect.stringMatching(/format\s+store id[\s\S]*server-side session id/) });
    for (const junk of ["hello", "a.b.c", "v1.x.y", "!!!.abcdef.xyz"]) {
      const r = cli("inspect", junk);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/format\s+unknown[\s\S]*not a websession or Flask session cookie/);
    }
  });

  test("an explicit --format that does not fit the token exits 1", async () => {
    const cookie = await mint("signed", { user: "ada" });
    expect(cli("inspect", cookie, "--format", "sealed")).toMatchObject({ code: 1, out: expect.stringContaining("not a sealed token") });
  });
});
