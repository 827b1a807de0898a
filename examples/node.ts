// npm start: the Hono example on Node, through @hono/node-server.
import { serve } from "@hono/node-server";
import { secretOrRandom } from "./app.ts";
import { createApp } from "./hono.ts";

const app = createApp(secretOrRandom(process.env.SESSION_SECRET));
const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8080);

serve({ fetch: app.fetch, hostname, port }, (info) => console.log(`Listening on http://${info.address}:${info.port}/`));
