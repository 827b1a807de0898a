// `npx vitest run --config bench/vitest.do-layout.config.ts`: one Durable Object per session
// against sessions sharded over 64 or 4096 objects, inside workerd (bench/do-layout.test.ts).
// The workerd test runner's setup (its main module exports SessionDurableObject), other files.

import { defineConfig, mergeConfig } from "vitest/config";
import base from "../test/runtime/vitest.workerd.config.ts";

export default mergeConfig(base, defineConfig({ test: { include: ["bench/do-layout.test.ts"], testTimeout: 300_000 } }), false);
