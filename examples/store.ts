// The demo's switch between cookie sessions and server-side ones (Node, Deno and Bun):
//   SESSION_STORE unset     cookies only (the default: signed cookies)
//   SESSION_STORE=memory    memoryStore() in this process
//   SESSION_STORE=redis     redisStore() on REDIS_URL (default redis://127.0.0.1:6379)
import { createClient } from "redis";
import type { SessionStore } from "../src/stores/store.ts";
import { memoryStore } from "../src/stores/memory.ts";
import { redisStore } from "../src/stores/redis.ts";

/** The store `kind` names, or `undefined` for cookie sessions. */
export async function storeFromEnv(kind: string | undefined, redisUrl: string | undefined): Promise<SessionStore | undefined> {
  if (kind === undefined || kind === "" || kind === "cookie") return undefined;
  if (kind === "memory") {
    console.log("websession demo: sessions in memory (SESSION_STORE=memory)");
    return memoryStore();
  }
  if (kind === "redis") {
    const url = redisUrl ?? "redis://127.0.0.1:6379";
    // Fail fast while disconnected, so a Redis outage is a 503 at once, not a queued hang.
    const client = createClient({ url, disableOfflineQueue: true });
    client.on("error", (error: Error) => console.error(`websession demo: redis: ${error.message}`));
    await client.connect();
    console.log(`websession demo: sessions in Redis at ${url} (SESSION_STORE=redis)`);
    return redisStore({ client });
  }
  throw new Error(`SESSION_STORE=${kind} is not known: use memory or redis (or leave it unset for cookie sessions)`);
}
