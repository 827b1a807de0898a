// `npx vitest run --config bench/vitest.do-layout.config.ts`: one Durable Object per session
// against sessions sharded over 64 or 4096 objects, inside workerd (bench/do-layout.test.ts).
// The workerd test runner's setup (its main module exports SessionDurableObject), this file only.

import { defineConfig } from "vitest/config";
import base from "../test/runtime/vitest.workerd.config.ts";

export default defineConfig({ ...base, test: { ...base.test, include: ["bench/do-layout.test.ts"], testTimeout: 600_000 } });
