// What the runtime runners share: the checkout's root, the runtimes' commands, and an
// environment that keeps every cache inside the checkout (.cache/ and .tmp/ are git-ignored),
// sends no telemetry and fetches nothing the tests do not need.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout's root directory. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The command that runs `name` from node_modules/.bin (deno, bun, vitest, wrangler). */
export function bin(name: string): string {
  return join(ROOT, "node_modules", ".bin", name);
}

const CACHE_DIRS = {
  npm_config_cache: ".cache/npm",
  DENO_DIR: ".cache/deno",
  XDG_CONFIG_HOME: ".cache/config",
  XDG_CACHE_HOME: ".cache/xdg",
  BUN_INSTALL_CACHE_DIR: ".cache/bun",
  MINIFLARE_CACHE_DIR: ".cache/miniflare",
  TMPDIR: ".tmp",
} as const;

/** `process.env` plus the cache directories (created if missing) and the quiet flags. */
export function runtimeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  for (const [key, dir] of Object.entries(CACHE_DIRS)) {
    const path = join(ROOT, dir);
    mkdirSync(path, { recursive: true });
    env[key] = path;
  }
  env.WRANGLER_SEND_METRICS = "false";
  // The Request.cf placeholder would be fetched from workers.cloudflare.com; the tests need none.
  env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  env.DENO_NO_UPDATE_CHECK = "1";
  env.DENO_NO_PROMPT = "1";
  return env;
}
