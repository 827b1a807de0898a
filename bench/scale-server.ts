// One server process of `npm run bench:scale`: the Hono demo route with websession on a
// server-side store, on @hono/node-server at 127.0.0.1. Prints "listening <port>" once ready;
// bench/scale.ts stops it by PID.
//
//   node --import tsx bench/scale-server.ts redis-cluster '<seeds JSON>' <lifetime s>
//   node --import tsx bench/scale-server.ts postgres <url> <lifetime s>
//
// Routes (every session is permanent, so it lives `lifetime` seconds in the store):
//   GET /login          -> a new session { user, visits: 0 } (one store write)
//   GET /               -> the demo route: read the session, visits + 1, answer the count
//   GET /set?k=K&v=V    -> sets one key (a per-key store patch): concurrent sets must all survive
//   GET /get            -> the session's data as JSON

import process from "node:process";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import pg from "pg";
import { session } from "../adapters/hono.ts";
import type { SessionStore } from "../src/stores/store.ts";
import { postgresStore } from "../src/stores/postgres.ts";
import { redisStore } from "../src/stores/redis.ts";
import { SECRET } from "./fixtures.ts";

type Data = Record<string, number | string>;

async function storeOf(kind: string, target: string): Promise<SessionStore> {
  if (kind === "redis-cluster") {
    const client = new Redis.Cluster(JSON.parse(target) as { host: string; port: number }[], { redisOptions: { connectTimeout: 2000 } });
    client.on("error", (error: Error) => console.error(`scale-server: redis: ${error.message}`));
    return redisStore({ client });
  }
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: target, max: 8 });
    const store = postgresStore({ client: pool });
    await store.ensureSchema();
    return store;
  }
  throw new Error(`scale-server: unknown store ${kind}; use redis-cluster or postgres`);
}

const [kind = "", target = "", lifetimeArg = "10"] = process.argv.slice(2);
const store = await storeOf(kind, target);
const app = new Hono();
app.use(session<Data>({ secret: SECRET, store, lifetime: Number(lifetimeArg), cookie: { secure: false } }));
app.get("/login", (c) => {
  const s = c.get("session");
  s.permanent = true;
  s.set("user", String(c.req.query("user") ?? "someone"));
  s.set("visits", 0);
  return c.text("ok");
});
app.get("/", (c) => {
  const s = c.get("session");
  const visits = Number(s.get("visits") ?? 0) + 1;
  s.set("visits", visits);
  return c.text(String(visits));
});
app.get("/set", (c) => {
  c.get("session").set(String(c.req.query("k")), Number(c.req.query("v")));
  return c.text("ok");
});
app.get("/get", (c) => c.json(c.get("session").toJSON()));
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => console.log(`listening ${info.port}`));
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
