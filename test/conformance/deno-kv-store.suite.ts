// denoKvStore on a real Deno KV database: a local SQLite file under the checkout's .tmp/,
// opened with Deno.openKv (the Deno runner passes --unstable-kv). The store contract plus what
// Deno KV adds: chunked records, lazy expiry, compare-and-swap races, a closed database.
// Only Deno has Deno.openKv: elsewhere (Node, workerd, Bun) the suite registers no cases; under
// Deno without --unstable-kv it registers one failing case saying so.

import { denoKvStore } from "../../src/stores/deno-kv.ts";
import type { DenoKvLike, KvKeyLike } from "../../src/stores/deno-kv.ts";
import { cookieOf } from "../helpers.ts";
import { registerStoreContract } from "../stores/contract.ts";
import { ownerApp, registerOwnerScenarios } from "../stores/owners-scenarios.ts";
import { appOver, destroyRaces, expectUnavailable, ok, parallelWriters, storeKeyOfCookie } from "../stores/races.ts";
import { defineSuite, expectEqual, expectTrue } from "./harness.ts";
import type { TestFn } from "./harness.ts";

/** What the suite needs of a Deno KV database: the store's subset, plus list, set and close. */
interface TestKv extends DenoKvLike {
  list<T = unknown>(selector: { prefix: KvKeyLike }): AsyncIterable<{ key: KvKeyLike; value: T }>;
  set(key: KvKeyLike, value: unknown): Promise<unknown>;
  close(): void;
}
type DenoLike = { openKv?: (path?: string) => Promise<TestKv> };
type Head = { e: number; d?: Uint8Array; g?: string; n?: number };

const deno = (globalThis as { Deno?: DenoLike }).Deno;
/** One database file in the checkout's .tmp/ (git-ignored), reused by every run: each case
 * writes under its own random prefix, and SQLite serializes concurrent runs. */
const path = decodeURIComponent(new URL("../../.tmp/deno-kv-suite.sqlite3", import.meta.url).pathname);

function randomPrefix(): string {
  return `wsdk:${crypto.randomUUID().slice(0, 12)}:`;
}

async function entries(kv: TestKv, prefix: string): Promise<Array<{ key: KvKeyLike; value: unknown }>> {
  const found = [];
  for await (const entry of kv.list({ prefix: [prefix] })) found.push(entry);
  return found;
}

/** The Deno KV suite: cases only where `Deno.openKv` exists. */
export const denoKvStoreSuite = defineSuite("deno kv store", (register) => {
  if (deno === undefined) return;
  if (typeof deno.openKv !== "function") {
    register("Deno.openKv is available", () => {
      throw new Error("Deno.openKv is missing: run deno test with --unstable-kv (test/runtime/run.ts does)");
    });
    return;
  }
  const openKv = deno.openKv;
  // Every case opens the database and closes it at its end: Deno's resource sanitizer wants
  // nothing left open between tests.
  let open: TestKv[] = [];
  async function kvNow(): Promise<TestKv> {
    const kv = await openKv(path);
    open.push(kv);
    return kv;
  }
  const test: TestFn = (name, fn) =>
    register(name, async () => {
      try {
        await fn();
      } finally {
        for (const kv of open) kv.close();
        open = [];
      }
    });

  registerStoreContract(test, async ({ prefix }) => {
    const kv = await kvNow();
    return {
      store: denoKvStore(kv, { prefix: [prefix] }),
      prefix,
      minTtl: 1,
      // Session heads only ([prefix, key]); chunks sit one level further down.
      rawKeys: async () =>
        (await entries(kv, prefix))
          .filter((e) => e.key.length === 2)
          .map((e) => prefix + String(e.key[1]))
          .sort(),
      async ttl(raw) {
        const head = (await kv.get<Head>([prefix, raw.slice(prefix.length)])).value;
        return head === null ? null : (head.e - Date.now()) / 1000;
      },
    };
  });

  test("Deno KV: a record over one value's 64 KiB is chunked, read back whole, patched, and its chunks replaced and deleted", async () => {
    const kv = await kvNow();
    const prefix = randomPrefix();
    const store = denoKvStore(kv, { prefix: [prefix] });
    const big = { k: "key", c: "1", a: "1", "d:big": JSON.stringify("é".repeat(150_000)) };
    await store.set("key", big, 3600);
    const chunks = (await entries(kv, prefix)).filter((e) => e.key.length === 4);
    expectEqual(chunks.length, 6, "300 kB of UTF-8 in 60 kB chunks");
    expectEqual({ ...(await store.get("key")) }, big);
    expectEqual(await store.patch!("key", { set: { "d:more": '"x"' }, delete: [], replace: false }, 3600), true);
    expectEqual((await store.get("key"))?.["d:more"], '"x"');
    const after = (await entries(kv, prefix)).filter((e) => e.key.length === 4);
    expectEqual(after.length, 6);
    expectTrue(
      after.every((e) => e.key[2] !== chunks[0]!.key[2]),
      "a new generation replaced the old chunks",
    );
    expectEqual(await store.patch!("key", { set: { k: "key", c: "1", a: "2" }, delete: [], replace: true }, 3600), true);
    expectEqual((await entries(kv, prefix)).length, 1, "a small record lives in its head alone");
    await store.set("key", big, 3600);
    expectEqual(await store.delete("key"), true);
    expectEqual(await entries(kv, prefix), [], "delete removes the head and every chunk");
  });

  test("Deno KV: a record too big for one atomic write fails the commit (store_unavailable), writing nothing", async () => {
    const kv = await kvNow();
    const prefix = randomPrefix();
    const { run } = appOver(denoKvStore(kv, { prefix: [prefix] }));
    const res = await run((_r, s) => (s.set("blob", "x".repeat(800_000)), ok()));
    expectEqual([res.status, res.headers.getSetCookie()], [503, []]);
    expectEqual(await entries(kv, prefix), []);
  });

  test("Deno KV: an expired entry that KV has not deleted yet is never returned, patched or counted", async () => {
    const kv = await kvNow();
    const prefix = randomPrefix();
    const store = denoKvStore(kv, { prefix: [prefix] });
    await store.set("old", { k: "old", c: "1", a: "1" }, 3600);
    const head = (await kv.get<Head>([prefix, "old"])).value!;
    await kv.set([prefix, "old"], { ...head, e: Date.now() - 1 });
    expectEqual(await store.get("old"), null);
    expectEqual(await store.patch!("old", { set: { a: "2" }, delete: [], replace: false }, 60), false);
    expectEqual(await store.delete("old"), false);
    expectEqual(await entries(kv, prefix), [], "the stale entry was deleted");
  });

  test("Deno KV: 50 requests in parallel on one session, each setting its own key: none lost, 10 rounds (ST-09)", async () => {
    const kv = await kvNow();
    // A generous timeout: on a loaded machine 50 compare-and-swap rounds can take a while.
    const { run } = appOver(denoKvStore(kv, { prefix: [randomPrefix()] }), { storeTimeout: 20_000 });
    expectEqual(await parallelWriters(run, 10), 0);
  });

  test("Deno KV: the compare-and-swap retries are bounded: losing them all is store_unavailable, never a lost write", async () => {
    const kv = await kvNow();
    const { run } = appOver(denoKvStore(kv, { prefix: [randomPrefix()], maxAttempts: 1 }));
    const cookie = cookieOf(await run((_r, s) => (s.set("user", "ada"), ok())));
    const responses = await Promise.all(Array.from({ length: 20 }, (_, n) => run((_r, s) => (s.set(`k${n}`, n), ok()), cookie)));
    const failed = responses.filter((r) => r.status === 503).length;
    expectTrue(failed > 0, "with one attempt each, some writers lose the race");
    let seen: Record<string, unknown> = {};
    await run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    const kept = Array.from({ length: 20 }, (_, n) => seen[`k${n}`] === n).filter(Boolean).length;
    expectEqual(kept, 20 - failed, "every 200 was written, every 503 was not");
  });

  test("Deno KV: destroy() racing a slow request never resurrects the session, 100 trials (ST-08)", async () => {
    const kv = await kvNow();
    const prefix = randomPrefix();
    const { resurrected, late } = await destroyRaces(
      appOver(denoKvStore(kv, { prefix: [prefix] })),
      100,
      async (cookie) => (await kv.get([prefix, await storeKeyOfCookie(cookie)])).value !== null,
    );
    expectEqual(resurrected, 0);
    expectTrue(late > 0, "some slow commits landed after the destroy");
  });

  test("Deno KV: a closed database is store_unavailable (503, handler not run); reopened, the session is intact", async () => {
    const prefix = randomPrefix();
    const kv = await kvNow();
    const cookie = cookieOf(await appOver(denoKvStore(kv, { prefix: [prefix] })).run((_r, s) => (s.set("user", "ada"), ok())));
    kv.close();
    open = open.filter((k) => k !== kv);
    await expectUnavailable(appOver(denoKvStore(kv, { prefix: [prefix] }), { storeTimeout: 500 }), cookie, 1000);
    const back = appOver(denoKvStore(await kvNow(), { prefix: [prefix] }));
    let seen: unknown;
    await back.run((_r, s) => ((seen = s.toJSON()), ok()), cookie);
    expectEqual(seen, { user: "ada" });
  });

  registerOwnerScenarios(
    (name, fn) => test(`Deno KV owner index: ${name}`, fn),
    async () => denoKvStore(await kvNow(), { prefix: [randomPrefix()] }),
  );

  test("Deno KV owner index: expired entries are never listed; none is live after 1,000 sessions expired", async () => {
    const kv = await kvNow();
    const prefix = randomPrefix();
    const store = denoKvStore(kv, { prefix: [prefix] });
    const app = ownerApp(store, { lifetime: 1 });
    for (let from = 0; from < 1000; from += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, n) => app.fetch(`/login?user=${(from + n) % 2 === 0 ? "bob" : `u${from + n}`}`)));
    }
    const indexed = async (): Promise<Array<{ key: KvKeyLike; value: unknown }>> => (await entries(kv, prefix)).filter((e) => e.key[1] === "owner");
    const before = await indexed();
    // 1,000 entries and a generation per owner (501), unless the first entries expired already.
    expectTrue(before.length > 1000 && before.length <= 1501, `${before.length} index entries`);
    expectTrue((await store.owners!.list("bob")).length > 0, "bob's sessions listed");
    // Entries are dated 2 lifetimes ahead (x = now + 2 × ttl): past that, with 1 s rounding.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expectEqual(await store.owners!.list("bob"), []);
    const now = Math.floor(Date.now() / 1000);
    const live = (await indexed()).filter((e) => e.key[e.key.length - 2] === "i" && (e.value as number) >= now);
    expectEqual(live.length, 0, "index entries still live after 1,000 sessions expired");
    console.log(`deno kv owner index after 1,000 expired sessions: ${(await indexed()).length} entries not yet deleted by KV's lazy expireIn, 0 live`);
  });

  test("Deno KV owner index: a database without list has none, and the owner option says so at start-up", async () => {
    const kv = await kvNow();
    const store = denoKvStore({ get: (key) => kv.get(key), getMany: (keys) => kv.getMany(keys), atomic: () => kv.atomic() } as DenoKvLike);
    expectEqual(store.owners, undefined);
    let message = "";
    try {
      ownerApp(store);
    } catch (error) {
      message = String(error);
    }
    expectTrue(message.includes("option owner needs a store with an owner index"), message);
  });

  test("Deno KV: bad configuration throws at start-up, naming what to change", async () => {
    const kv = await kvNow();
    const threw = (fn: () => unknown, text: string) => {
      try {
        fn();
      } catch (error) {
        expectTrue(error instanceof Error && error.message.includes(text), String(error));
        return;
      }
      throw new Error(`expected a throw mentioning ${text}`);
    };
    threw(() => denoKvStore({} as DenoKvLike), "denoKvStore needs a Deno KV database");
    threw(() => denoKvStore(kv, { prefix: "websession" as unknown as KvKeyLike }), "option prefix is invalid");
    threw(() => denoKvStore(kv, { maxAttempts: 0 }), "option maxAttempts is invalid");
  });
});
