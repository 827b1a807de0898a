// Deno runner: `deno test test/runtime/deno.test.ts` registers every test/conformance/*.suite.ts.

import type { DenoKvLike } from "../../src/stores/deno-kv.ts";
import { registerSuites } from "../conformance/collect.ts";

const dir = new URL("../conformance/", import.meta.url);
const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".suite.ts")).map((e) => e.name);

await registerSuites(
  files.map((file) => [file, () => import(new URL(file, dir).href)] as const),
  (name, fn) => Deno.test(name, fn),
);

// Deno's own Deno.Kv against the structural type websession/deno-kv takes (checked by deno test).
export const kvFitsTheStore: (kv: Deno.Kv) => DenoKvLike = (kv) => kv;
