// Every runtime's example server over real HTTP: started on 127.0.0.1 with a free port (port 0;
// the server prints the address it got), driven with fetch and a cookie jar, stopped by PID.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateSecret } from "../../src/secret.ts";
import { CookieJar } from "../../src/testing.ts";
import { browse, expectFlashGone, killGroup, stopGroup } from "../http.ts";
import { ROOT, bin, runtimeEnv } from "./env.ts";

interface Spec {
  readonly command: string;
  readonly args: string[];
}

interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
}

// One secret for all the servers: a cookie issued by one must be accepted by the others.
const secret = generateSecret();
const env = runtimeEnv();
const state = mkdtempSync(join(env.TMPDIR!, "wrangler-state-"));

const specs: Record<string, Spec> = {
  "deno (Deno.serve)": {
    command: bin("deno"),
    args: ["run", "--no-lock", "--allow-net=127.0.0.1", "--allow-env=SESSION_SECRET,HOST,PORT", "examples/deno.ts"],
  },
  "bun (Bun.serve)": { command: bin("bun"), args: ["examples/bun.ts"] },
  "workers (wrangler dev, workerd)": {
    command: bin("wrangler"),
    args: [
      "dev",
      "--config",
      "wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      "0",
      "--persist-to",
      state,
      "--var",
      `SESSION_SECRET:${secret}`,
      "--show-interactive-dev-session=false",
    ],
  },
  "hono (Node, @hono/node-server)": { command: process.execPath, args: ["--import", "tsx", "examples/node.ts"] },
  "node:http (websession/node withSession)": { command: process.execPath, args: ["--import", "tsx", "examples/node-demo.ts", "node"] },
  "express (websession/node session())": { command: process.execPath, args: ["--import", "tsx", "examples/node-demo.ts", "express"] },
  "fastify (websession/fastify)": { command: process.execPath, args: ["--import", "tsx", "examples/node-demo.ts", "fastify"] },
};

const servers = new Map<string, Server>();
const failures = new Map<string, Error>();

/** Starts `spec` in its own process group and resolves with the address it prints. */
function start(name: string, spec: Spec): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, {
      cwd: ROOT,
      env: { ...env, SESSION_SECRET: secret, HOST: "127.0.0.1", PORT: "0" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const fail = (error: Error): void => {
      clearTimeout(timer);
      if (child.exitCode === null && child.pid !== undefined) killGroup(child.pid);
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${name} printed no address within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /(?:Listening on|Ready on) (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.stderr!.off("data", onData);
      // Keep draining the pipes so a chatty server never blocks on a full buffer.
      child.stdout!.resume();
      child.stderr!.resume();
      resolve({ name, child, url: match[1]! });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("error", fail);
    child.on("exit", (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before listening:\n${output}`)));
  });
}

function server(name: string): Server {
  const started = servers.get(name);
  if (started === undefined) throw failures.get(name) ?? new Error(`${name} was not started`);
  return started;
}

beforeAll(async () => {
  const results = await Promise.allSettled(Object.entries(specs).map(([name, spec]) => start(name, spec)));
  Object.keys(specs).forEach((name, i) => {
    const result = results[i]!;
    if (result.status === "fulfilled") servers.set(name, result.value);
    else failures.set(name, result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
  });
}, 90_000);

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => stopGroup(s.child)));
  rmSync(state, { recursive: true, force: true });
});

for (const name of Object.keys(specs)) {
  test(`${name}: log in, read, log out`, async () => {
    const { url } = server(name);
    const jar = new CookieJar();

    const home = await browse(jar, `${url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("You are not logged in.");
    expect(home.headers.getSetCookie()).toEqual([]);
    expect(home.headers.get("vary")).toBe("Cookie");

    const login = await browse(jar, `${url}/login`, { method: "POST", body: new URLSearchParams({ user: "ada" }) });
    expect(login.status).toBe(303);
    expect(new URL(login.headers.get("location")!, url).href).toBe(`${url}/`);
    expect(login.headers.getSetCookie()).toEqual([expect.stringMatching(/^session=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax$/)]);

    const welcome = await browse(jar, `${url}/`);
    const html = await welcome.text();
    expect(html).toContain(`<p class="flash message" role="status">You were logged in as ada.</p>`);
    expect(html).toContain("Logged in as <b>ada</b>.");
    expect(welcome.headers.getSetCookie()).toHaveLength(1);

    await expectFlashGone(jar, url, "ada");

    const logout = await browse(jar, `${url}/logout`, { method: "POST" });
    expect(logout.status).toBe(303);
    const bye = await browse(jar, `${url}/`);
    const byeHtml = await bye.text();
    expect(byeHtml).toContain(`<p class="flash message" role="status">You were logged out.</p>`);
    expect(byeHtml).toContain("You are not logged in.");
    expect(bye.headers.getSetCookie()).toEqual([expect.stringMatching(/^session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT;/)]);
    expect(jar.names()).toEqual([]);
    expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user: null, permanent: false });

    const missing = await browse(jar, `${url}/nowhere`);
    expect([missing.status, missing.headers.get("vary"), missing.headers.getSetCookie()]).toEqual([404, null, []]);
  });
}

for (const name of Object.keys(specs)) {
  test(`${name}: the login form, "remember me" (a permanent cookie), logging out by link`, async () => {
    const { url } = server(name);
    const jar = new CookieJar();
    const form = await browse(jar, `${url}/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toMatch(/<form method="post" action="\/login">[\s\S]*name="user"[\s\S]*name="remember"/);
    expect(form.headers.getSetCookie()).toEqual([]);

    const login = await browse(jar, `${url}/login`, { method: "POST", body: new URLSearchParams({ user: "grace", remember: "1" }) });
    expect(login.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^session=[\w.-]+; Max-Age=2678400; Expires=[^;]+ GMT; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
    expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user: "grace", permanent: true });
    const table = await (await browse(jar, `${url}/session`)).text();
    expect(table).toContain("<td>user</td><td><code>&#34;grace&#34;</code></td>");
    expect(table).toMatch(/id="expiry">Expiry: permanent/);

    const logout = await browse(jar, `${url}/logout`);
    expect(logout.status).toBe(303);
    expect(await (await browse(jar, `${url}/`)).text()).toContain("You were logged out.");
    expect(jar.names()).toEqual([]);
  });
}

test("a cookie issued on any runtime is accepted by every other", async () => {
  const names = Object.keys(specs);
  const expected: Record<string, Record<string, string>> = {};
  const actual: Record<string, Record<string, unknown>> = {};
  for (const issuer of names) {
    const user = `ada from ${issuer}`;
    const jar = new CookieJar();
    const login = await browse(jar, `${server(issuer).url}/login`, { method: "POST", body: new URLSearchParams({ user }) });
    expect(login.status).toBe(303);
    expected[issuer] = {};
    actual[issuer] = {};
    for (const reader of names) {
      expected[issuer]![reader] = user;
      actual[issuer]![reader] = ((await (await browse(jar, `${server(reader).url}/me`)).json()) as { user: unknown }).user;
    }
  }
  expect(actual).toEqual(expected);
});

test("every server stops when its process group gets SIGTERM, and its port closes", async () => {
  for (const name of Object.keys(specs)) {
    const running = server(name);
    await stopGroup(running.child);
    expect(running.child.exitCode !== null || running.child.signalCode !== null).toBe(true);
    await expect(fetch(`${running.url}/`), `${name} still answers`).rejects.toThrow();
  }
});
