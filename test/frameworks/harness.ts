// The framework suite's machinery: install each test app (once; into its own node_modules, npm's
// cache inside the checkout), put the freshly packed websession in it, build it with the
// framework's own build, serve it with its production server on 127.0.0.1 and a free port, and
// stop it by PID (its process group). Times are printed so the suite's cost stays visible.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSecret } from "../../src/index.ts";
import { stopGroup } from "../http.ts";
import { ROOT, runtimeEnv } from "../runtime/env.ts";
import { freePort } from "../stores/servers.ts";

/** Where the suite keeps the packed websession (git-ignored, inside the checkout). */
export const PACK_DIR = join(ROOT, ".cache", "frameworks");
/** The tarball every test app depends on (`file:` in its package.json). */
export const TARBALL = join(PACK_DIR, "websession.tgz");

/** One secret for every app a test file starts, so the cross-runtime test can pass cookies between them. */
export const SECRET = generateSecret();

/** The environment every command of the suite runs with: caches in the checkout, no telemetry. */
export function frameworkEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...runtimeEnv(), NEXT_TELEMETRY_DISABLED: "1", ASTRO_TELEMETRY_DISABLED: "1", ...extra };
}

/** Runs `command` in `cwd`, resolving with its output, rejecting (with the output) on failure. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? frameworkEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => reject(new Error(`${command} ${args.join(" ")} could not start: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} in ${options.cwd} exited with ${code}:\n${output.slice(-6000)}`));
    });
  });
}

function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const begin = performance.now();
  return work().then((result) => {
    console.log(`[frameworks] ${label}: ${((performance.now() - begin) / 1000).toFixed(1)} s`);
    return result;
  });
}

/** The directory of test app `name`. */
export function appDir(name: string): string {
  return join(ROOT, "test", "frameworks", name);
}

/**
 * Installs app `name`'s dependencies when its package.json changed since the last install (a
 * stamp in node_modules), then replaces the websession inside it with the tarball just packed,
 * so every run tests the current source without a reinstall.
 */
export async function install(name: string): Promise<void> {
  const dir = appDir(name);
  if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing: the suite's global setup packs it (vitest --config test/frameworks/vitest.config.ts)`);
  const stamp = join(dir, "node_modules", ".websession-install");
  const want = createHash("sha256")
    .update(readFileSync(join(dir, "package.json")))
    .digest("hex");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== want) {
    await timed(`${name}: npm install`, () => run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir }));
    writeFileSync(stamp, want);
  }
  const target = join(dir, "node_modules", "websession");
  await run("rm", ["-rf", target], { cwd: dir });
  await run("mkdir", ["-p", target], { cwd: dir });
  await run("tar", ["-xzf", TARBALL, "-C", target, "--strip-components=1"], { cwd: dir });
}

/** Builds app `name` with its framework's own build (`npm run build`). */
export async function build(name: string, env: Record<string, string> = {}): Promise<void> {
  await timed(`${name}: build`, () => run("npm", ["run", "build", "--silent"], { cwd: appDir(name), env: frameworkEnv(env) }));
}

/** A running production server of a test app. */
export interface AppServer {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

/**
 * Starts `command` (the app's production server) in its own process group with PORT/HOST set,
 * and resolves once `readyPath` answers (any status below 500).
 */
export async function serve(
  name: string,
  command: readonly string[],
  options: { env?: Record<string, string>; readyPath?: string; cwd?: string } = {},
): Promise<AppServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // ORIGIN: adapter-node's public origin (it assumes https otherwise, and its CSRF check compares against it).
  const env = frameworkEnv({
    NODE_ENV: "production",
    SESSION_SECRET: SECRET,
    HOST: "127.0.0.1",
    HOSTNAME: "127.0.0.1",
    PORT: String(port),
    ORIGIN: url,
    ...options.env,
  });
  const [cmd, ...args] = command;
  const child = spawn(cmd!, args, { cwd: options.cwd ?? appDir(name), env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const server: AppServer = { name, url, child, output: () => output };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`);
    try {
      const response = await fetch(`${url}${options.readyPath ?? "/me"}`, { redirect: "manual" });
      await response.arrayBuffer();
      if (response.status < 500) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop(server);
      throw new Error(`${name} did not answer on ${url} within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGTERM to the server's process group, SIGKILL after 10 s. */
export function stop(server: AppServer): Promise<void> {
  return stopGroup(server.child);
}

/** Install, build and serve app `name`: what every framework test file's beforeAll does. */
export async function startApp(
  name: string,
  command: readonly string[],
  options: { buildEnv?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<AppServer> {
  await install(name);
  await build(name, options.buildEnv);
  return timed(`${name}: server start`, () => serve(name, command, { env: options.env }));
}

/** The checkout's own demo servers, which read and write the same cookie as the test apps. */
export const PEERS: Record<string, readonly string[]> = {
  "Hono on Node": [process.execPath, "--import", "tsx", "examples/node.ts"],
  "Deno.serve": [
    join(ROOT, "node_modules", ".bin", "deno"),
    "run",
    "--no-lock",
    "--allow-net=127.0.0.1",
    "--allow-env=SESSION_SECRET,HOST,PORT",
    "examples/deno.ts",
  ],
  "Bun.serve": [join(ROOT, "node_modules", ".bin", "bun"), "examples/bun.ts"],
};

/** Starts the demo on runtime `name` (see {@link PEERS}) with this file's {@link SECRET}. */
export function startPeer(name: string): Promise<AppServer> {
  return serve(name, PEERS[name]!, { cwd: ROOT });
}
