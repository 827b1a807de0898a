// The published package as a user gets it: `npm pack` into a fresh directory under .tmp, and
// commands run with the checkout's npm cache (offline-friendly: --prefer-offline).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "node_modules", ".bin");

/** Runs `command` in `cwd` with the checkout's npm cache; returns stdout, throws on a non-zero exit. */
export function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_cache: join(ROOT, ".cache", "npm"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Empties `work` (under .tmp), packs the checkout into it (`prepare` builds dist/) and returns
 * the tarball's path. Test files run in parallel and each pack rebuilds dist/ from scratch, so
 * packs take turns under a lock directory.
 */
export function pack(work: string): string {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const lock = join(ROOT, ".tmp", "pack.lock");
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() > deadline) throw new Error(`${lock} has been held for 5 minutes: another pack is stuck, or one was killed (remove the directory)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    run("npm", ["pack", "--pack-destination", work], ROOT);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return join(
    work,
    readdirSync(work).find((f) => f.endsWith(".tgz"))!,
  );
}
