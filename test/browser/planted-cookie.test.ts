// Security finding OR-1 in a real browser: a sibling subdomain plants `x=1,session=<token>` with
// `Domain=<parent>`, and Debian's Chromium (via playwright-core) sends it back to the app as one
// pair. Both host names resolve to 127.0.0.1 through Chromium's --host-resolver-rules; the
// servers are one node:http server on a free loopback port that answers by Host.

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createSessions, generateSecret } from "../../src/index.ts";

const CHROMIUM = "/usr/bin/chromium";
const APP = "app.example.test";
const EVIL = "evil.example.test";
// Plain http on a non-loopback name: Secure off, or Chromium would refuse the real cookie.
const sessions = createSessions<{ user?: string }>({ secret: generateSecret(), cookie: { secure: false } });
const app = sessions.handle((request, session) => {
  const url = new URL(request.url);
  if (url.pathname === "/login") session.set("user", url.searchParams.get("user") ?? "");
  return new Response(`user=${session.get("user") ?? "anonymous"}`);
});

let server: Server;
let port = 0;
let browser: Browser;
let profile: string;
let planted = "";
const cookieHeaders: string[] = [];

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = (req.headers.host ?? "").split(":")[0];
  if (host === EVIL) {
    // The attacker's own valid session cookie, planted for the whole parent domain.
    res.writeHead(200, { "Set-Cookie": `x=1,${planted}; Domain=example.test; Path=/`, "Content-Type": "text/plain" });
    res.end("planted");
    return;
  }
  cookieHeaders.push(req.headers.cookie ?? "");
  const headers = new Headers();
  if (req.headers.cookie !== undefined) headers.set("cookie", req.headers.cookie);
  const response = await app(new Request(`http://${req.headers.host}${req.url}`, { headers }));
  res.writeHead(
    response.status,
    [...response.headers.entries()]
      .flatMap(([k, v]) => (k === "set-cookie" ? [] : [[k, v]]))
      .concat(response.headers.getSetCookie().map((c) => ["Set-Cookie", c])) as never,
  );
  res.end(await response.text());
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  server = createServer((req, res) => void answer(req, res).catch((error: unknown) => res.destroy(error as Error)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  // The attacker logs in as mallory on the real app and keeps the cookie.
  const login = await app(new Request(`http://${APP}/login?user=mallory`));
  planted = login.headers.getSetCookie()[0]!.split(";")[0]!;
  profile = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "planted-"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", `--host-resolver-rules=MAP *.example.test 127.0.0.1`],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

test("OR-1 in Chromium: a planted 'x=1,session=<token>' neither logs a logged-out victim in nor locks a logged-in one out", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Logged out: the sibling plants the cookie, then the victim opens the app.
  await page.goto(`http://${EVIL}:${port}/`);
  await page.goto(`http://${APP}:${port}/`);
  expect(await page.textContent("body")).toBe("user=anonymous");
  // Chromium really sends the planted cookie to the app as one pair with a ',' inside.
  expect(cookieHeaders.at(-1)).toContain(`x=1,${planted}`);
  // Logged in: the real host-only cookie beside the planted one; the real session loads.
  await page.goto(`http://${APP}:${port}/login?user=ada`);
  await page.goto(`http://${EVIL}:${port}/`);
  await page.goto(`http://${APP}:${port}/`);
  expect(await page.textContent("body")).toBe("user=ada");
  const sent = cookieHeaders.at(-1)!;
  expect(sent).toContain(`x=1,${planted}`);
  expect(sent.split("; ").filter((pair) => pair.startsWith("session="))).toHaveLength(1);
  await context.close();
}, 60_000);
