// Astro 5 (output: "server", @astrojs/node standalone): websession/astro's middleware in
// src/middleware.ts, the session in Astro.locals.session (typed through App.Locals); built with
// `astro build`, served by `node dist/server/entry.mjs`. `astro sync` + tsc check the typing.

import { expect, test } from "vitest";
import { appDir, run } from "./harness.ts";
import { frameworkApp } from "./flow.ts";

frameworkApp("astro", ["node", "dist/server/entry.mjs"]);

test("the App.Locals typing: Astro.locals.session is a Session<Data> in pages and endpoints", async () => {
  await run("node", ["node_modules/astro/astro.js", "sync"], { cwd: appDir("astro") });
  const output = await run("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--noEmit"], { cwd: appDir("astro") });
  expect(output).toBe("");
});
