// npm run demo:node | demo:express | demo:fastify: the demo on node:http (withSession), Express
// or Fastify, on http://127.0.0.1:8787 (HOST, PORT). SESSION_SECRET, or the development secret
// in .dev-secret; SESSION_STORE=memory|redis (REDIS_URL) keeps sessions server-side.
import { createServer } from "node:http";
import { devSecret } from "./dev-secret.ts";
import { demoOptions } from "./devices.ts";
import { createExpressApp } from "./express.ts";
import { createFastifyApp } from "./fastify.ts";
import { createListener } from "./node-http.ts";
import { storeFromEnv } from "./store.ts";

const kind = process.argv[2] ?? "node";
const store = await storeFromEnv(process.env.SESSION_STORE, process.env.REDIS_URL);
const { options, accounts } = demoOptions(devSecret(process.env.SESSION_SECRET), store);
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);

let close: () => Promise<void>;
let address: string;
if (kind === "fastify") {
  const app = await createFastifyApp(options, accounts);
  address = await app.listen({ host, port });
  close = () => app.close();
} else if (kind === "node" || kind === "express") {
  const server = createServer(kind === "node" ? createListener(options, accounts) : createExpressApp(options, accounts));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const info = server.address() as { address: string; port: number };
  address = `http://${info.address}:${info.port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  throw new Error(`unknown server ${kind}: use node, express or fastify`);
}
console.log(`Listening on ${address}/ (websession demo, ${kind})`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void close().then(() => process.exit(0)));
