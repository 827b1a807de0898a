// The demo in a real browser: Debian's Chromium driven by playwright-core, against `npm start`'s
// server (Hono on Node) and then the Express demo (`npm run demo:express`) on 127.0.0.1. Screenshots of the key steps go to test-results/browser/ (git-ignored).
//
// "Remember me" is checked the way a user meets it: the browser profile is closed and opened
// again, and Chromium itself decides which cookies survive (persistent ones do, session ones don't).

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateSecret } from "../../src/index.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(ROOT, "test-results", "browser");
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

// The demos, each run through the same browser tests: Hono on Node (`npm start`) and Express.
const DEMOS: Array<{ name: string; args: string[] }> = [
  { name: "hono", args: ["examples/node.ts"] },
  { name: "express", args: ["examples/node-demo.ts", "express"] },
];

let server: ChildProcess;
let base: string;
let shot: string;
const profiles: string[] = [];

async function startDemo(args: string[]): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  mkdirSync(SHOTS, { recursive: true });
  server = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    env: { ...process.env, SESSION_SECRET: generateSecret(), PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  base = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the demo printed no address within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    server.stdout!.on("data", onData);
    server.stderr!.on("data", onData);
    server.on("exit", (code) => reject(new Error(`the demo exited (${code}):\n${output}`)));
  });
}

async function stopDemo(): Promise<void> {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    process.kill(server.pid, "SIGTERM");
    await exited;
  }
}

afterAll(() => {
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
});

/** A Chromium profile on disk that can be closed and opened again, like a user's browser. */
function profile(): string {
  const dir = mkdtempSync(join(tmpdir(), "websession-chromium-"));
  profiles.push(dir);
  return dir;
}

function open(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS });
}

async function logIn(page: Page, user: string, remember: boolean): Promise<void> {
  await page.goto(`${base}/`);
  await page.click("text=Log in");
  await page.fill('input[name="user"]', user);
  if (remember) await page.check('input[name="remember"]');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${base}/`);
}

describe.each(DEMOS)("the $name demo in Chromium", ({ name, args }) => {
  beforeAll(async () => {
    await startDemo(args);
    shot = name;
  }, 40_000);
  afterAll(stopDemo);

  test("log in, reload, inspect the cookie, log out: the flash shows once and the cookie is gone", async () => {
    const dir = profile();
    const context = await open(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${base}/`);
      expect(await page.textContent("#status")).toBe("You are not logged in.");
      await page.screenshot({ path: join(SHOTS, `${shot}-1-logged-out.png`) });

      await logIn(page, "ada", false);
      expect(await page.textContent("#status")).toBe("Logged in as ada.");
      expect(await page.textContent(".flash")).toBe("You were logged in as ada.");
      await page.screenshot({ path: join(SHOTS, `${shot}-2-logged-in.png`) });

      await page.reload();
      expect(await page.textContent("#status")).toBe("Logged in as ada.");
      expect(await page.locator(".flash").count()).toBe(0);

      const [cookie, ...others] = await context.cookies(base);
      expect(others).toEqual([]);
      expect(cookie).toMatchObject({ name: "session", domain: "127.0.0.1", path: "/", httpOnly: true, secure: false, sameSite: "Lax", expires: -1 });
      expect(cookie!.value).toMatch(/^[\w-]+\.[\w-]{6}\.[\w-]{43}$/);

      await page.click("text=What the session holds");
      expect(await page.textContent("#data")).toContain('"ada"');
      expect(await page.textContent("#expiry")).toContain("browser-session cookie");
      await page.screenshot({ path: join(SHOTS, `${shot}-3-session-page.png`) });

      await page.goto(`${base}/`);
      await page.click("text=Log out");
      await page.waitForURL(`${base}/`);
      expect(await page.textContent(".flash")).toBe("You were logged out.");
      expect(await page.textContent("#status")).toBe("You are not logged in.");
      await page.screenshot({ path: join(SHOTS, `${shot}-4-logged-out-flash.png`) });
      await page.reload();
      expect(await page.locator(".flash").count()).toBe(0);
      expect(await context.cookies(base)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  test('"remember me" survives closing the browser; a plain login does not', async () => {
    for (const remember of [true, false]) {
      const dir = profile();
      const first = await open(dir);
      const page = first.pages()[0] ?? (await first.newPage());
      await logIn(page, remember ? "grace" : "linus", remember);
      const [cookie] = await first.cookies(base);
      if (remember) {
        // A persistent cookie, living 31 days from now.
        expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 31 * 86400 - 120);
        expect(cookie!.expires).toBeLessThan(Date.now() / 1000 + 31 * 86400 + 120);
      } else {
        expect(cookie!.expires).toBe(-1);
      }
      await first.close();

      const second = await open(dir);
      try {
        const again = second.pages()[0] ?? (await second.newPage());
        await again.goto(`${base}/`);
        expect(await again.textContent("#status")).toBe(remember ? "Logged in as grace." : "You are not logged in.");
        await again.screenshot({ path: join(SHOTS, `${shot}-5-after-restart-${remember ? "remembered" : "forgotten"}.png`) });
      } finally {
        await second.close();
      }
    }
  }, 90_000);
});
