// One app of the HTTP benchmark on 127.0.0.1: Bun.serve on Bun, @hono/node-server on Node.
// Prints "listening <port>" once ready; bench/http.ts stops it by PID.
//
//   node --import tsx bench/http-server.ts <app> [port]      bun bench/http-server.ts <app> [port]

import process from "node:process";
import { APPS, createApp } from "./http-apps.ts";
import type { AppName } from "./http-apps.ts";

const name = process.argv[2] as AppName;
if (!APPS.includes(name)) {
  console.error(`unknown app ${name}; use ${APPS.join(", ")}`);
  process.exit(2);
}
const port = Number(process.argv[3] ?? 0);
const app = createApp(name);
const g = globalThis as { Bun?: { serve(o: { fetch: typeof app.fetch; hostname: string; port: number }): { port: number } } };
if (g.Bun !== undefined) {
  const server = g.Bun.serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
  console.log(`listening ${server.port}`);
} else {
  const { serve } = await import("@hono/node-server");
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => console.log(`listening ${info.port}`));
}
