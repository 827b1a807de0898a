// Global setup of the framework suite: pack websession once (npm pack builds dist/ first), as
// the tarball every test app installs.

import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../runtime/env.ts";
import { PACK_DIR, TARBALL, frameworkEnv, run } from "./harness.ts";

/** Packs the checkout into {@link TARBALL}. */
export default async function setup(): Promise<void> {
  const begin = performance.now();
  mkdirSync(PACK_DIR, { recursive: true });
  const json = await run("npm", ["pack", "--json", "--pack-destination", PACK_DIR], { cwd: ROOT, env: frameworkEnv() });
  const file = (JSON.parse(json.slice(json.indexOf("["))) as Array<{ filename: string }>)[0]!.filename;
  copyFileSync(join(PACK_DIR, file), TARBALL);
  rmSync(join(PACK_DIR, file));
  console.log(`[frameworks] npm pack: ${((performance.now() - begin) / 1000).toFixed(1)} s`);
}
