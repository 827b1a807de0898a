// Global setup of the framework suite: pack websession once (npm pack builds dist/ first), as
// the tarball every test app installs, then install the apps side by side (the installs wait on
// the network more than on the CPU; each test file's own install() then finds its app ready).

import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../runtime/env.ts";
import { PACK_DIR, TARBALL, appDir, frameworkEnv, install, run } from "./harness.ts";

/** Packs the checkout into {@link TARBALL} and installs every test app. */
export default async function setup(): Promise<void> {
  const begin = performance.now();
  mkdirSync(PACK_DIR, { recursive: true });
  await run("npm", ["pack", "--pack-destination", PACK_DIR], { cwd: ROOT, env: frameworkEnv() });
  const { name, version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  const file = `${name}-${version}.tgz`;
  copyFileSync(join(PACK_DIR, file), TARBALL);
  rmSync(join(PACK_DIR, file));
  console.log(`[frameworks] npm pack: ${((performance.now() - begin) / 1000).toFixed(1)} s`);
  const apps = readdirSync(join(ROOT, "test", "frameworks")).filter((name) => existsSync(join(appDir(name), "package.json")));
  await Promise.all(apps.map((app) => install(app)));
}
