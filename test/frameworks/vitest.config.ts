// The framework suite (`npm run test:frameworks`): each test app installed, built with its own
// framework's build, served by its production server and driven over HTTP. One file at a time:
// the builds are heavy on a 2-core machine.

import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/frameworks/*.test.ts"],
    globalSetup: ["test/frameworks/setup.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 600_000,
  },
});
