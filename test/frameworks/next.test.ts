// Next.js 16 (App Router): websession/next in middleware on the edge runtime (login, flashes),
// Route Handlers (withSession), Server Components (readSession, read-only) and Server Actions
// (getSession + saveSession); built with `next build`, served by `next start`.

import { expect, test } from "vitest";
import { CookieJar } from "../../src/testing.ts";
import { SECRET } from "./harness.ts";
import { browse, frameworkApp, logIn } from "./flow.ts";

const app = frameworkApp("next", ["node", "node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1"], {
  start: {
    // `next build` runs the route modules to collect their configuration, and the session
    // options are validated when a module runs: the secret must be there at build time too.
    buildEnv: { SESSION_SECRET: SECRET, SESSION_COOKIE_SECURE: "false" },
    env: { SESSION_COOKIE_SECURE: "false" },
  },
  pageVary: false,
});

test("the middleware runs on the edge runtime", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { appDir } = await import("./harness.ts");
  const manifest = JSON.parse(readFileSync(join(appDir("next"), ".next", "server", "middleware-manifest.json"), "utf8")) as {
    middleware: Record<string, unknown>;
  };
  expect(Object.keys(manifest.middleware)).toEqual(["/"]);
  const jar = new CookieJar();
  expect((await logIn(jar, app().url, "edge")).status).toBe(303);
  expect(await (await browse(jar, `${app().url}/me`)).json()).toEqual({ user: "edge", permanent: false });
});

test("a Server Component reads the session, and changing it there throws a clear error", async () => {
  const jar = new CookieJar();
  await logIn(jar, app().url, "reader");
  const response = await browse(jar, `${app().url}/read-only`);
  expect(response.status).toBe(500);
  expect(response.headers.getSetCookie()).toEqual([]);
  expect(app().output()).toContain(
    "websession/next: session.set() in a Server Component cannot be written: Next.js lets a request change cookies only in a Server Action, a Route Handler or middleware/proxy",
  );
  expect(await (await browse(jar, `${app().url}/me`)).json()).toEqual({ user: "reader", permanent: false });
});

test("in Chromium: log in by the form, the flash once, log out by a Server Action (cookies().set)", async () => {
  const { existsSync, mkdtempSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { chromium } = await import("playwright-core");
  const CHROMIUM = "/usr/bin/chromium";
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  const base = app().url;
  const dir = mkdtempSync(join(process.env.TMPDIR ?? "/tmp", "websession-next-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}/login`);
    await page.fill('input[name="user"]', "ada");
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    expect(await page.textContent("#status")).toBe("Logged in as ada.");
    expect(await page.textContent(".flash")).toBe("You were logged in as ada.");
    await page.reload();
    expect(await page.locator(".flash").count()).toBe(0);
    expect((await context.cookies(base)).map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([["session", true, "Lax"]]);

    // The Server Action destroys the session and flashes through saveSession (cookies().set).
    // The action's own re-render reads the request's Cookie header (as sent), so look at the next page.
    const action = page.waitForResponse((response) => response.request().method() === "POST");
    await page.click("text=Log out");
    expect((await action).status()).toBeLessThan(400);
    await page.goto(`${base}/`);
    expect(await page.textContent(".flash")).toBe("You were logged out.");
    expect(await page.textContent("#status")).toBe("You are not logged in.");
    await page.reload();
    expect(await page.textContent("#status")).toBe("You are not logged in.");
    expect(await page.locator(".flash").count()).toBe(0);
    expect(await context.cookies(base)).toEqual([]);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
