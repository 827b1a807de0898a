// The CLI as users run it: a child process, its output and its exit code.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createSessions } from "../src/index.ts";
import { checkSecretPolicy } from "../src/secret.ts";
import { OLD_SECRET, TEST_SECRET, cookieOf, requestWith } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "bin/websession.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

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
    expect(report).toMatchObject({ format: "signed", claimedData: { user: "ada" }, claimedPermanent: true });
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
