// Bun runner: `bun test ./test/runtime/bun.test.ts` registers every test/conformance/*.suite.ts.

import { test } from "bun:test";
import { readdirSync } from "node:fs";
import { registerSuites } from "../conformance/collect.ts";

const dir = new URL("../conformance/", import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith(".suite.ts"));

await registerSuites(files.map((file) => [file, () => import(new URL(file, dir).href)] as const), (name, fn) => test(name, fn));
