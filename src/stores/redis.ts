// websession/redis: sessions in Redis, one hash per session, patches applied by a Lua script
// so concurrent requests that change different keys both survive and a destroyed session is
// never recreated. Works with node-redis (v4/v5), ioredis (v5) and Bun's RedisClient through
// the one thing they share: sending a raw command. No dependency on any of them.
// Every command names exactly one key (the session's), so Redis Cluster needs no hash tags:
// nothing can answer CROSSSLOT, and the cluster clients follow MOVED/ASK for that one key.

import { sha1 } from "@noble/hashes/legacy.js";
import { utf8Encoder } from "../encoding.ts";
import { describe } from "../errors.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { base64urlEncode } from "../encoding.ts";
import type { OwnerIndex, SessionStore, StorePatch, StoreRecord } from "./store.ts";

/** node-redis v4/v5 (`createClient()`): raw commands through `sendCommand`. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * node-redis v4/v5 cluster (`createCluster()`): raw commands through `sendCommand(firstKey,
 * isReadonly, args)`, routed by the first key. Told apart from a single-node client by its
 * `getSlotMaster`.
 */
export interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  getSlotMaster(slot: number): unknown;
}

/** ioredis v5 (`new Redis()` or `new Redis.Cluster()`): raw commands through `call`. */
export interface IoRedisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** Bun's built-in `RedisClient` (`new RedisClient()` or `redis` from "bun"): raw commands through `send`. */
export interface BunRedisLike {
  send(command: string, args: string[]): Promise<unknown>;
}

/** Any Redis client websession can drive. Adapt anything else by giving it a `sendCommand(args)`. */
export type RedisClientLike = NodeRedisLike | NodeRedisClusterLike | IoRedisLike | BunRedisLike;

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** A connected client: node-redis (client or cluster), ioredis (client or cluster) or Bun's RedisClient. */
  client: RedisClientLike;
  /** Prepended to every key. Default `"websession:"`. */
  prefix?: string;
}

/** The store {@link redisStore} returns. */
export interface RedisStore extends SessionStore {
  delete(key: string): Promise<boolean>;
  patch(key: string, patch: StorePatch, ttl: number): Promise<boolean>;
  readonly owners: OwnerIndex;
}

/** The default key prefix of {@link redisStore}. */
export const REDIS_PREFIX = "websession:";

// Lua's unpack() is bounded by the C stack (LUAI_MAXCSTACK, 8000): pass fields in batches.
// The batch is even, so field/value pairs never straddle two HSET calls.
const BATCH = 1000;

// KEYS[1] = key; ARGV = ttl, then field, value pairs. Replaces the record and its TTL.
const SET_SCRIPT = `
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, ${BATCH} do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + ${BATCH - 1}, #ARGV)))
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

// KEYS[1] = key; ARGV = ttl, replace ("1"/"0"), n, n fields to delete, then field, value pairs.
// Applies only to an existing record: a destroyed session stays destroyed.
const PATCH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[3])
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
else
  for i = 4, 3 + n, ${BATCH} do
    redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + ${BATCH - 1}, 3 + n)))
  end
end
for i = 4 + n, #ARGV, ${BATCH} do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + ${BATCH - 1}, #ARGV)))
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  let sha = "";
  for (const b of sha1(utf8Encoder.encode(source))) sha += b.toString(16).padStart(2, "0");
  return { source, sha };
}

// The owner index: KEYS[1] = a sorted set (member: session key, score: entry expiry in
// seconds), KEYS[2] = the owner's generation. Both are named "<prefix>owner:{<hash>}..." so
// they share a hash tag (one slot under Cluster). Each script first drops expired entries
// and keeps both keys alive until the latest expiry they hold.
// ARGV = now; returns the generation.
const OWNER_PRELUDE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local function keep(expires)
  local at = tonumber(expires)
  local left = redis.call('TTL', KEYS[2])
  if left < 0 or at - tonumber(ARGV[1]) > left then
    redis.call('EXPIREAT', KEYS[2], at)
  end
  if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('TTL', KEYS[1]) < at - tonumber(ARGV[1]) then redis.call('EXPIREAT', KEYS[1], at) end
end
`;
// ARGV = now, key, expires.
const OWNER_ADD_SCRIPT = `${OWNER_PRELUDE}
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], '0') end
keep(ARGV[3])
return tonumber(redis.call('GET', KEYS[2]))
`;
// ARGV = now, except ('' for none). Returns { generation, removed keys... }.
const OWNER_REVOKE_SCRIPT = `${OWNER_PRELUDE}
local generation = redis.call('INCR', KEYS[2])
local keys = redis.call('ZRANGE', KEYS[1], 0, -1)
local removed = { generation }
for _, key in ipairs(keys) do
  if key ~= ARGV[2] then
    redis.call('ZREM', KEYS[1], key)
    removed[#removed + 1] = key
  end
end
-- A generation created here (no entry was ever added) still outlives any in-flight write.
if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], 400 * 24 * 3600) end
return removed
`;
// ARGV = now. Returns the live keys.
const OWNER_LIST_SCRIPT = `${OWNER_PRELUDE}
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

const SET = script(SET_SCRIPT);
const OWNER_ADD = script(OWNER_ADD_SCRIPT);
const OWNER_REVOKE = script(OWNER_REVOKE_SCRIPT);
const OWNER_LIST = script(OWNER_LIST_SCRIPT);
const PATCH = script(PATCH_SCRIPT);

/**
 * A session store in Redis: each session is a hash under `prefix + key` with the session's
 * TTL. Patches run as one Lua script (atomic on the server): only the changed fields are
 * written, and only if the session still exists. Commands go through the client's argument
 * API, never string concatenation.
 *
 * Configure the client to fail fast while disconnected (node-redis `disableOfflineQueue: true`,
 * ioredis `enableOfflineQueue: false`); otherwise commands queue during an outage and
 * websession's `storeTimeout` is what ends the request. With node-redis, listen for the
 * client's `error` event, or a lost connection crashes the process.
 *
 * Redis Cluster: pass node-redis `createCluster()` or ioredis `new Redis.Cluster()`. Every
 * command touches one key (the session's hash), so no command can span two slots, and the
 * cluster client follows MOVED/ASK redirects while a slot moves.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";            // or: import Redis from "ioredis"; new Redis(url)
 * import { createSessions } from "websession";     // or, on Bun: import { redis } from "bun"
 * import { redisStore } from "websession/redis";
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).on("error", console.error).connect();
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, store: redisStore({ client }) });
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== "object" || options === null) throw new TypeError(`redisStore needs an options object with { client }, got ${describe(options)}`);
  const prefix = options.prefix ?? REDIS_PREFIX;
  if (typeof prefix !== "string") throw new TypeError(`option prefix must be a string, got ${describe(prefix)}`);
  const send = sender(options.client);

  async function run(s: Script, key: string, args: string[], keys: string[] = [prefix + key]): Promise<unknown> {
    try {
      return await send(["EVALSHA", s.sha, String(keys.length), ...keys, ...args], keys[0]!);
    } catch (error) {
      // The first use on this server (or after SCRIPT FLUSH / a restart): send the source once.
      if (!String((error as Error | undefined)?.message).includes("NOSCRIPT")) throw error;
      return send(["EVAL", s.source, String(keys.length), ...keys, ...args], keys[0]!);
    }
  }

  // The owner's two keys, under one hash tag: the owner is hashed, so any string is safe in it.
  function ownerKeys(owner: string): string[] {
    const tag = `${prefix}owner:{${base64urlEncode(sha256(utf8Encoder.encode(owner)))}}`;
    return [tag, `${tag}:gen`];
  }

  function nowSeconds(): string {
    return String(Math.floor(Date.now() / 1000));
  }

  const owners: OwnerIndex = {
    async generation(owner) {
      return Number((await send(["GET", ownerKeys(owner)[1]!], ownerKeys(owner)[1]!)) ?? 0);
    },
    async add(owner, key, expires) {
      return Number(await run(OWNER_ADD, "", [nowSeconds(), key, String(expires)], ownerKeys(owner)));
    },
    async remove(owner, key) {
      await send(["ZREM", ownerKeys(owner)[0]!, key], ownerKeys(owner)[0]!);
    },
    async list(owner) {
      return ((await run(OWNER_LIST, "", [nowSeconds()], ownerKeys(owner))) as unknown[]).map(String);
    },
    async revoke(owner, except) {
      const [generation, ...keys] = (await run(OWNER_REVOKE, "", [nowSeconds(), except ?? ""], ownerKeys(owner))) as unknown[];
      return { generation: Number(generation), keys: keys.map(String) };
    },
  };

  return {
    owners,

    async get(key: string): Promise<StoreRecord | null> {
      let reply: unknown;
      try {
        reply = await send(["HGETALL", prefix + key], prefix + key);
      } catch (error) {
        // Something that is not a hash sits under our key: not a session, a fresh one.
        if (String((error as Error | undefined)?.message).includes("WRONGTYPE")) return null;
        throw error;
      }
      return toRecord(reply);
    },

    async set(key: string, record: StoreRecord, ttl: number): Promise<void> {
      const args = [String(ttlSeconds(ttl))];
      for (const field of Object.keys(record)) args.push(field, record[field]!);
      await run(SET, key, args);
    },

    async patch(key: string, patch: StorePatch, ttl: number): Promise<boolean> {
      const args = [String(ttlSeconds(ttl)), patch.replace ? "1" : "0", String(patch.delete.length), ...patch.delete];
      for (const field of Object.keys(patch.set)) args.push(field, patch.set[field]!);
      return Number(await run(PATCH, key, args)) === 1;
    },

    async delete(key: string): Promise<boolean> {
      return Number(await send(["DEL", prefix + key], prefix + key)) === 1;
    },
  };
}

/** Sends one command; `key` is the one key it touches (a cluster client routes by it). */
type Send = (args: string[], key: string) => Promise<unknown>;

// Told apart by shape, never instanceof: the user's copy of a library may not be ours.
function sender(client: unknown): Send {
  const c = client as (Partial<NodeRedisLike & IoRedisLike & BunRedisLike> & Partial<Pick<NodeRedisClusterLike, "getSlotMaster">>) | null;
  if (typeof c === "object" && c !== null) {
    // ioredis also has a sendCommand, which takes a Command object: check call() first.
    // ioredis' Cluster routes call() by the command's key itself.
    if (typeof c.call === "function") return ([command, ...args]) => c.call!(command!, ...args);
    if (typeof c.sendCommand === "function") {
      if (typeof c.getSlotMaster === "function") {
        const cluster = c as unknown as NodeRedisClusterLike;
        // Never "read-only": with useReplicas a read could go to a lagging replica and miss a logout.
        return (args, key) => cluster.sendCommand(key, false, args);
      }
      return (args) => c.sendCommand!(args);
    }
    if (typeof c.send === "function") return ([command, ...args]) => c.send!(command!, args);
  }
  throw new TypeError(
    `option client must be a Redis client (node-redis client or cluster, ioredis Redis or Cluster, Bun's RedisClient) or an object with sendCommand(args), got ${describe(client)}`,
  );
}

function ttlSeconds(ttl: number): number {
  return Math.max(1, Math.ceil(ttl));
}

// HGETALL replies: a flat array in RESP2, a Map or a plain object in RESP3 (and Bun).
// Built on a null-prototype object: a field named __proto__ in a foreign hash stays a field.
function toRecord(reply: unknown): StoreRecord | null {
  const record: StoreRecord = Object.create(null);
  let count = 0;
  const add = (field: unknown, value: unknown): void => {
    record[String(field)] = String(value);
    count++;
  };
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) add(reply[i], reply[i + 1]);
  } else if (reply instanceof Map) {
    for (const [field, value] of reply) add(field, value);
  } else if (typeof reply === "object" && reply !== null) {
    for (const field of Object.keys(reply)) add(field, (reply as Record<string, unknown>)[field]);
  } else {
    return null;
  }
  return count === 0 ? null : record;
}
