// bun examples/bun.ts
import { withSession } from "../adapters/bun.ts";
import { createDemo, secretOrRandom } from "./app.ts";
import type { Data } from "./app.ts";
import { demoOptions } from "./devices.ts";

const { options, accounts } = demoOptions(secretOrRandom(Bun.env.SESSION_SECRET), undefined);
const server = Bun.serve({
  hostname: Bun.env.HOST ?? "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  fetch: withSession<Data>(options, createDemo(accounts)),
});
console.log(`Listening on ${server.url}`);
