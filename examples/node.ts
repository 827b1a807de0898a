// npm start: the demo on Node (Hono through @hono/node-server) on http://127.0.0.1:8787.
// SESSION_SECRET, or a development secret generated once and kept in .dev-secret; SESSION_STORE=redis
// with REDIS_URL keeps sessions in Redis instead of the cookie.
import { serve } from "@hono/node-server";
import { devSecret } from "./dev-secret.ts";
import { demoOptions } from "./devices.ts";
import { createApp } from "./hono.ts";
import { storeFromEnv } from "./store.ts";

const store = await storeFromEnv(process.env.SESSION_STORE, process.env.REDIS_URL);
const { options, accounts } = demoOptions(devSecret(process.env.SESSION_SECRET), store);
const app = createApp(options, accounts);
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);

const server = serve({ fetch: app.fetch, hostname, port }, (info) => console.log(`Listening on http://${info.address}:${info.port}/ (websession demo)`));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.close(() => process.exit(0)));
