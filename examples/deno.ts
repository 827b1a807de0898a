// deno run --allow-net --allow-env examples/deno.ts
import { withSession } from "../adapters/deno.ts";
import { createDemo, secretOrRandom } from "./app.ts";
import type { Data } from "./app.ts";
import { demoOptions } from "./devices.ts";

const { options, accounts } = demoOptions(secretOrRandom(Deno.env.get("SESSION_SECRET")), undefined);
const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("PORT") ?? 8000);

Deno.serve(
  { hostname, port, onListen: (addr) => console.log(`Listening on http://${addr.hostname}:${addr.port}/`) },
  withSession<Data>(options, createDemo(accounts)),
);
