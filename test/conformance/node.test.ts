// Node runner: every test/conformance/*.suite.ts, found by Vite's glob, registered with vitest.

import { test } from "vitest";
import { registerSuites } from "./collect.ts";

await registerSuites(Object.entries(import.meta.glob<Record<string, unknown>>("./*.suite.ts")), test);
