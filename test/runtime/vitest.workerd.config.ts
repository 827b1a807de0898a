// workerd runner: the conformance suites and the example Worker, inside Cloudflare's runtime
// (@cloudflare/vitest-pool-workers, configured from the top-level wrangler.toml).

import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { generateSecret } from "../../src/secret.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export default defineConfig({
  root,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${root}/wrangler.toml` },
      // The example Worker plus the Durable Object class of websession/durable-object.
      main: `${root}/test/runtime/stores-worker.ts`,
      miniflare: {
        // The example Worker reads its secret from a secret binding, as in production.
        bindings: { SESSION_SECRET: generateSecret() },
        // The stores tested in workerd-stores.test.ts: a SQLite-backed Durable Object and D1.
        durableObjects: { SESSION_OBJECTS: { className: "SessionDurableObject", useSQLite: true } },
        d1Databases: ["SESSIONS_DB"],
      },
    }),
  ],
  test: {
    include: ["test/runtime/workerd.test.ts", "test/runtime/workerd-stores.test.ts"],
    testTimeout: 20_000,
  },
});
