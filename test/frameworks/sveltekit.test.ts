// SvelteKit 2 (adapter-node): websession/sveltekit's handle hook in hooks.server.ts, the session
// in event.locals.session (typed through App.Locals); built with `vite build`, served by the
// adapter's `node build/index.js`. `svelte-kit sync` + tsc check the App.Locals typing.

import { expect, test } from "vitest";
import { appDir, run } from "./harness.ts";
import { frameworkApp } from "./flow.ts";

frameworkApp("sveltekit", ["node", "build/index.js"]);

test("the App.Locals typing: locals.session is a Session<Data> in load functions and endpoints", async () => {
  // tsc over the app (after the build's svelte-kit sync wrote .svelte-kit/tsconfig.json): a wrong
  // key or value type in any route would fail here.
  const output = await run("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { cwd: appDir("sveltekit") });
  expect(output).toBe("");
});
