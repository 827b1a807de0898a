// bun examples/bun.ts
import { withSession } from "../adapters/bun.ts";
import { app, secretOrRandom } from "./app.ts";
import type { Data } from "./app.ts";

const server = Bun.serve({
  hostname: Bun.env.HOST ?? "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  fetch: withSession<Data>({ secret: secretOrRandom(Bun.env.SESSION_SECRET) }, app),
});
console.log(`Listening on ${server.url}`);
