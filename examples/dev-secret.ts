// The demo's secret on Node, Deno and Bun: SESSION_SECRET, or else one generated once and kept
// in .dev-secret (git-ignored), so restarting the demo does not log everyone out.

import { readFileSync, writeFileSync } from "node:fs";
import { generateSecret } from "../src/secret.ts";

const FILE = new URL("../.dev-secret", import.meta.url);

/** `fromEnv` when set; otherwise the development secret in `.dev-secret`, created on first use. */
export function devSecret(fromEnv: string | undefined): string {
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    return readFileSync(FILE, "utf8").trim();
  } catch {
    // First run: make one.
  }
  const secret = generateSecret();
  writeFileSync(FILE, `${secret}\n`, { mode: 0o600 });
  console.log("Generated a development secret in .dev-secret; set SESSION_SECRET to use your own.");
  return secret;
}
