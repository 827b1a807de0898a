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
      // The example Worker reads its secret from a secret binding, as in production.
      miniflare: { bindings: { SESSION_SECRET: generateSecret() } },
    }),
  ],
  test: {
    include: ["test/runtime/workerd.test.ts"],
    testTimeout: 20_000,
  },
});
