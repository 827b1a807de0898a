// The store contract on Bun's built-in RedisClient. Started by test/stores/redis.test.ts as
// `bun test ./test/stores/redis.bun.ts` with WEBSESSION_REDIS_URL naming its redis-server.

import { afterAll, test } from "bun:test";
import { RedisClient } from "bun";
import { redisStore } from "../../src/stores/redis.ts";
import { registerStoreContract } from "./contract.ts";

const url = process.env.WEBSESSION_REDIS_URL;
if (url === undefined) throw new Error("set WEBSESSION_REDIS_URL to a redis:// URL of a throwaway server");
const client = new RedisClient(url);
afterAll(() => client.close());

registerStoreContract(test, async ({ prefix }) => ({
  store: redisStore({ client, prefix }),
  prefix,
  minTtl: 1,
  rawKeys: async () => ((await client.send("KEYS", [`${prefix}*`])) as string[]).sort(),
  async ttl(key) {
    const ms = Number(await client.send("PTTL", [key]));
    return ms < 0 ? null : ms / 1000;
  },
}));
