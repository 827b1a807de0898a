// kvStore on Node against a real Workers KV implementation: a Miniflare KV namespace (workerd
// underneath), running test/conformance/kv-store.suite.ts, which the workerd runner also runs.

import * as miniflare from "miniflare";
import { afterAll, expect, test } from "vitest";
import { kvStore } from "../../src/stores/kv.ts";
import type { KVNamespaceLike } from "../../src/stores/kv.ts";
import { kvStoreSuite } from "../conformance/kv-store.suite.ts";
import type { KVNamespaceWithList } from "../conformance/kv-store.suite.ts";

// Miniflare 4 takes these options as they are; Miniflare 5 wants them converted first.
const v4Options = { modules: true, script: "export default {}", kvNamespaces: ["SESSIONS"], compatibilityDate: "2025-01-01" };
const convert = (miniflare as unknown as { convertV4MiniflareOptions?: (o: typeof v4Options) => unknown }).convertV4MiniflareOptions;
const mf = new miniflare.Miniflare((convert ? convert(v4Options) : v4Options) as ConstructorParameters<typeof miniflare.Miniflare>[0]);
const namespace = (await mf.getKVNamespace("SESSIONS")) as unknown as KVNamespaceWithList;
afterAll(() => mf.dispose());

kvStoreSuite(namespace).register((name, fn) => test(`KV (Miniflare) › ${name}`, fn));

test("the suite needs a namespace: without one (Node, Deno, Bun runners) it registers nothing", () => {
  let registered = 0;
  kvStoreSuite().register(() => registered++);
  expect(registered).toBe(0);
  kvStoreSuite(namespace).register(() => registered++);
  expect(registered).toBeGreaterThan(30);
});

test("kvStore refuses what is not a KV binding", () => {
  expect(() => kvStore(undefined as unknown as KVNamespaceLike)).toThrow("kvStore needs a KV namespace binding");
  expect(() => kvStore({ get: async () => null } as unknown as KVNamespaceLike)).toThrow(TypeError);
  expect(() => kvStore(namespace, { prefix: 7 as unknown as string })).toThrow("option prefix is invalid: 7");
});
