// CSRF in a real browser: Debian's Chromium driven by playwright-core. The app (Hono with
// session() and csrf()) listens on 127.0.0.1; an attacker's page on a second loopback site
// (127.0.0.2, cross-site) and one on another port of 127.0.0.1 (same site, other origin) each
// auto-submit a form to it. Both are refused; the app's own form is accepted.

import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { chromium } from "playwright-core";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { csrf, session } from "../../adapters/hono.ts";
import type { SessionEnv } from "../../adapters/hono.ts";
import { generateSecret } from "../../src/index.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

let app: ReturnType<typeof serve>;
let appBase = "";
const attackers: Server[] = [];
const attackerBases: string[] = [];
const transfers: string[] = [];
let profile = "";
let context: BrowserContext;

function listen(server: Server, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`));
  });
}

// A page that posts a transfer to the app as soon as it loads, carrying a real token of the
// attacker's own session (all an attacker can get): bound to another session, it must not count.
let attackerToken = "";
function attackerPage(): Server {
  return createServer((_request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(
      `<!doctype html><form id="f" method="post" action="${appBase}/transfer"><input name="amount" value="1000"><input type="hidden" name="csrf_token" value="${attackerToken}"></form><script>document.getElementById("f").submit()</script>`,
    );
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  const hono = new Hono<SessionEnv<{ user?: string }>>();
  hono.use(session({ secret: generateSecret() }), csrf());
  hono.get("/", (c) => {
    c.get("session").set("user", "ada");
    return c.html(
      `<!doctype html><form method="post" action="/transfer"><input type="hidden" name="csrf_token" value="${c.get("session").csrfToken()}"><input name="amount" value="10"><button id="send">Send</button></form>`,
    );
  });
  hono.post("/transfer", async (c) => {
    const amount = String((await c.req.formData()).get("amount"));
    transfers.push(`${c.get("session").get("user")}:${amount}`);
    return c.text(`sent ${amount}`);
  });
  appBase = await new Promise<string>((resolve) => {
    app = serve({ fetch: hono.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
  const own = await (await fetch(`${appBase}/`)).text();
  attackerToken = /name="csrf_token" value="([^"]+)"/.exec(own)![1]!;
  for (const host of ["127.0.0.2", "127.0.0.1"]) {
    const server = attackerPage();
    attackers.push(server);
    attackerBases.push(await listen(server, host));
  }
  profile = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "csrf-profile-"));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  for (const server of attackers) await new Promise<void>((resolve) => server.close(() => resolve()));
  if (profile !== "") rmSync(profile, { recursive: true, force: true });
});

test("the app's own form is accepted; cross-site and same-site cross-origin posts are refused", async () => {
  const page = await context.newPage();
  await page.goto(`${appBase}/`);
  await Promise.all([page.waitForURL(`${appBase}/transfer`), page.click("#send")]);
  expect(await page.textContent("body")).toBe("sent 10");
  expect(transfers).toEqual(["ada:10"]);

  // 127.0.0.2 is another site: SameSite=Lax keeps the cookie off the POST, and with no session
  // there is no secret to match the token against.
  const [crossSite, sameSite] = attackerBases as [string, string];
  const refused = page.waitForResponse(`${appBase}/transfer`);
  await page.goto(`${crossSite}/`);
  const cross = await refused;
  expect(cross.status()).toBe(403);
  expect(await cross.text()).toBe("Forbidden: The CSRF session token is missing.\n");

  // Another port of 127.0.0.1 is the same site: the browser sends the victim's cookie, and only
  // the token (bound to the attacker's session, not the victim's) stops the request.
  const refusedAgain = page.waitForResponse(`${appBase}/transfer`);
  await page.goto(`${sameSite}/`);
  const same = await refusedAgain;
  expect(same.status()).toBe(403);
  expect(await same.text()).toBe("Forbidden: The CSRF tokens do not match.\n");
  expect(transfers).toEqual(["ada:10"]);
}, 60_000);
