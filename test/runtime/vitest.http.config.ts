// The HTTP tests: every runtime's example server, driven from Node over real sockets.

import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/runtime/http.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
