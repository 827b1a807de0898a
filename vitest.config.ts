import { defineConfig } from "vitest/config";

// The Node suite. Runtime suites (workerd, Deno, Bun) have their own runners under test/runtime/,
// the framework apps theirs in test/frameworks/ (npm run test:frameworks).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/runtime/**", "test/frameworks/**", "node_modules/**"],
    testTimeout: 20_000,
    // `npm run coverage`: line and branch coverage of src/ from this suite (test/security/README.md
    // lists what stays uncovered and why). Type-only modules have no code to cover.
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      exclude: ["src/codecs/codec.ts", "src/stores/store.ts", "src/index.ts"],
      reporter: ["text", "json-summary"],
      reportsDirectory: "coverage",
      thresholds: { lines: 95, branches: 90 },
      reportOnFailure: true,
    },
  },
});
