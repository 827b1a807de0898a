// Deno runner: `deno test test/runtime/deno.test.ts` registers every test/conformance/*.suite.ts.

import { registerSuites } from "../conformance/collect.ts";

const dir = new URL("../conformance/", import.meta.url);
const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".suite.ts")).map((e) => e.name);

await registerSuites(files.map((file) => [file, () => import(new URL(file, dir).href)] as const), (name, fn) => Deno.test(name, fn));
