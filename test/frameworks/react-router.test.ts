// React Router 7 (framework mode, v8_middleware): websession/react-router's middleware in
// root.tsx, the session read from the router context in loaders and actions; built with
// `react-router build`, served by `react-router-serve`.

import { afterAll, beforeAll } from "vitest";
import { startApp, stop } from "./harness.ts";
import type { AppServer } from "./harness.ts";
import { crossRuntimeStory, loginStory } from "./flow.ts";

let app: AppServer | undefined;

beforeAll(async () => {
  app = await startApp("react-router", ["node", "node_modules/@react-router/serve/bin.js", "./build/server/index.js"]);
});

afterAll(async () => {
  if (app !== undefined) await stop(app);
});

loginStory(() => app!);
crossRuntimeStory(() => app!);
