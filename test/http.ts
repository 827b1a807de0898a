// HTTP helpers the Node-side suites share: a browser without JavaScript (a cookie jar, no
// redirects followed), and stopping a server started in its own process group, by PID.

import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";
import type { CookieJar } from "../src/testing.ts";

/** `fetch` as a browser holding `jar`: sends its cookies, applies the response's, follows no redirect. */
export function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  return jar.fetch(url, { ...init, redirect: "manual" });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to `child`'s process group (it was spawned `detached`), SIGKILL after 10 s; resolves once it has exited. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child.pid!, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child.pid!, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
  // The group may outlive its leader for a moment (workerd under wrangler): make sure it is gone.
  signalGroup(child.pid!, "SIGKILL");
}

/** SIGKILL to `pid`'s process group at once (a server that failed to start). */
export function killGroup(pid: number): void {
  signalGroup(pid, "SIGKILL");
}

/** The demo's page after its flash was shown: no flash again and no Set-Cookie (nothing changed), and `/me` says `user` is logged in. */
export async function expectFlashGone(jar: CookieJar, url: string, user: string): Promise<void> {
  const again = await browse(jar, `${url}/`);
  expect(await again.text()).not.toContain(`class="flash`);
  expect(again.headers.getSetCookie()).toEqual([]);
  expect(await (await browse(jar, `${url}/me`)).json()).toEqual({ user, permanent: false });
}
