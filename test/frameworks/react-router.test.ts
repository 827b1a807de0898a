// React Router 7 (framework mode, v8_middleware): websession/react-router's middleware in
// root.tsx, the session read from the router context in loaders and actions; built with
// `react-router build`, served by `react-router-serve`.

import { expect, test } from "vitest";
import { appDir, run } from "./harness.ts";
import { frameworkApp } from "./flow.ts";

frameworkApp("react-router", ["node", "node_modules/@react-router/serve/bin.js", "./build/server/index.js"]);

test("the types: context.get(sessionContext) is a Session<Data> in loaders and actions (tsc over the app)", async () => {
  await run("node", ["node_modules/@react-router/dev/bin.js", "typegen"], { cwd: appDir("react-router") });
  const output = await run("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { cwd: appDir("react-router") });
  expect(output).toBe("");
});
