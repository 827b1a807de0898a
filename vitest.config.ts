import { defineConfig } from "vitest/config";

// The Node suite. Runtime suites (workerd, Deno, Bun) have their own runners under test/runtime/.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/runtime/**", "node_modules/**"],
    testTimeout: 20_000,
  },
});
