// kvStore on a real Workers KV namespace: the store contract (test/stores/contract.ts) plus
// what is particular to KV. Runtime-neutral: the namespace comes from the parameter of
// kvStoreSuite(), or else from `globalThis.SESSIONS` when the suite registers its cases (a
// workerd runner sets it from its `SESSIONS` KV binding before registering the suites).
// Where neither exists (Node, Deno and Bun have no KV), the suite registers no cases; on
// Node, test/stores/kv.test.ts runs it against a Miniflare KV namespace.

import { createSessions } from "../../src/sessions.ts";
import { KV_MIN_TTL, kvStore } from "../../src/stores/kv.ts";
import type { KVNamespaceLike } from "../../src/stores/kv.ts";
import { registerStoreContract } from "../stores/contract.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";
import type { Suite } from "./harness.ts";

/** The KV binding API the suite needs: the store's subset plus `list`, to look behind the store. */
export interface KVNamespaceWithList extends KVNamespaceLike {
  list(options: { prefix: string }): Promise<{ keys: Array<{ name: string; expiration?: number }> }>;
}

const SECRET = "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o";

function randomPrefix(): string {
  return `wskv:${crypto.randomUUID()}:`;
}

async function listed(namespace: KVNamespaceWithList, prefix: string): Promise<Array<{ name: string; expiration?: number }>> {
  return (await namespace.list({ prefix })).keys;
}

/** The KV store suite for `namespace` (default: `globalThis.SESSIONS` at registration). */
export function kvStoreSuite(namespace?: KVNamespaceWithList): Suite {
  return defineSuite("kv store", (test) => {
    const ns = namespace ?? (globalThis as { SESSIONS?: KVNamespaceWithList }).SESSIONS;
    if (ns === undefined) return;

    registerStoreContract(test, async ({ prefix }) => ({
      store: kvStore(ns, { prefix }),
      prefix,
      minTtl: KV_MIN_TTL,
      rawKeys: async () => (await listed(ns, prefix)).map((k) => k.name).sort(),
      async ttl(key) {
        const entry = (await listed(ns, key)).find((k) => k.name === key);
        if (entry === undefined) return null;
        return entry.expiration === undefined ? Infinity : entry.expiration - Date.now() / 1000;
      },
    }));

    test("KV: a lifetime under 60 s is written with KV's minimum TTL; websession still ends it on time", async () => {
      const prefix = randomPrefix();
      let t = 1_700_000_000_000;
      const sessions = createSessions({ secret: SECRET, store: kvStore(ns, { prefix }), lifetime: 30, now: () => t });
      const login = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(new Request("https://app.example/"));
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      const [entry] = await listed(ns, prefix);
      const ttl = (entry?.expiration ?? 0) - Date.now() / 1000;
      expectTrue(ttl > 50 && ttl <= 60, `expirationTtl clamped to 60 (got ${ttl})`);
      t += 31_000;
      const res = await sessions.handle((_r, s) => new Response(String(s.get("user"))))(new Request("https://app.example/", { headers: { Cookie: cookie } }));
      expectEqual(await res.text(), "undefined");
      expectEqual(await listed(ns, prefix), [], "the lingering entry was deleted when seen");
    });

    test("KV: a value that is not JSON is a fresh session", async () => {
      const prefix = randomPrefix();
      const store = kvStore(ns, { prefix });
      const sessions = createSessions({ secret: SECRET, store });
      const login = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(new Request("https://app.example/"));
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      const [entry] = await listed(ns, prefix);
      await ns.put(entry!.name, "{not json", { expirationTtl: 600 });
      const res = await sessions.handle((_r, s) => new Response(JSON.stringify(s.toJSON())))(
        new Request("https://app.example/", { headers: { Cookie: cookie } }),
      );
      expectEqual([res.status, await res.text()], [200, "{}"]);
    });

    test("KV: refresh-only writes are spaced by touchInterval = 60 s (one write per second per key, ST-10)", async () => {
      expectEqual(kvStore(ns).touchInterval, 60);
      const prefix = randomPrefix();
      let t = 1_700_000_000_000;
      const sessions = createSessions({ secret: SECRET, store: kvStore(ns, { prefix }), refresh: true, now: () => t });
      const app = sessions.handle((_r, s) => new Response(String(s.get("user"))));
      const login = await sessions.handle((_r, s) => ((s.permanent = true), s.set("user", "ada"), new Response("ok")))(new Request("https://app.example/"));
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      let writes = 0;
      for (let n = 0; n < 20; n++) {
        t += 50; // 20 requests a second
        const res = await app(new Request("https://app.example/", { headers: { Cookie: cookie } }));
        writes += res.headers.getSetCookie().length;
      }
      expectEqual(writes, 0);
      t += 60_000;
      const due = await app(new Request("https://app.example/", { headers: { Cookie: cookie } }));
      expectEqual(due.headers.getSetCookie().length, 1);
    });

    test("KV: the location that destroyed a session sees it gone at once (ST-11)", async () => {
      const prefix = randomPrefix();
      const sessions = createSessions({ secret: SECRET, store: kvStore(ns, { prefix }) });
      const login = await sessions.handle((_r, s) => (s.set("user", "ada"), new Response("ok")))(new Request("https://app.example/"));
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      const request = (): Request => new Request("https://app.example/", { headers: { Cookie: cookie } });
      await sessions.handle((_r, s) => (s.destroy(), new Response("bye")))(request());
      const res = await sessions.handle((_r, s) => new Response(String(s.get("user"))))(request());
      expectEqual(await res.text(), "undefined");
      expectEqual(await listed(ns, prefix), []);
    });

    test("KV: a prefix too long for KV's 512-byte keys is refused", () => {
      let error: unknown;
      try {
        kvStore(ns, { prefix: "é".repeat(235) });
      } catch (e) {
        error = e;
      }
      expectTrue(error instanceof TypeError && /at most 469 characters/.test(error.message), String(error));
      kvStore(ns, { prefix: "x".repeat(469) });
    });
  });
}

export default kvStoreSuite();
