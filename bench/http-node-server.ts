// One app of the Node-native HTTP benchmark on 127.0.0.1, served by node:http. Prints
// "listening <port>" once ready; bench/http.ts stops it by PID.
//
//   node --import tsx bench/http-node-server.ts <app> [port]

import { createServer } from "node:http";
import process from "node:process";
import { NODE_APPS, createNodeApp } from "./http-node-apps.ts";
import type { NodeAppName } from "./http-node-apps.ts";

const name = process.argv[2] as NodeAppName;
if (!NODE_APPS.includes(name)) {
  console.error(`unknown app ${name}; use ${NODE_APPS.join(", ")}`);
  process.exit(2);
}
const server = createServer(createNodeApp(name));
server.listen(Number(process.argv[3] ?? 0), "127.0.0.1", () => console.log(`listening ${(server.address() as { port: number }).port}`));
// Exit cleanly on SIGTERM, so `node --cpu-prof` writes its profile (bench/http-profile.ts).
process.on("SIGTERM", function stop() {
  server.close();
  process.exit(0);
});
