// `npm start`: the demo on Node, on http://127.0.0.1:8787 (PORT to change it).
//
// In development the secret is generated once and kept in .dev-secret (git-ignored), so
// restarting the demo does not log everyone out (what Flask's `os.urandom` example does).
// In production set SESSION_SECRET instead.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { generateSecret } from "../src/index.ts";
import { createDemoApp } from "./app.ts";

function developmentSecret(): string {
  if (process.env.SESSION_SECRET) {
    console.log("websession demo: using SESSION_SECRET from the environment");
    return process.env.SESSION_SECRET;
  }
  const file = fileURLToPath(new URL("../.dev-secret", import.meta.url));
  if (existsSync(file)) {
    console.log(`websession demo: using the development secret kept in ${file}; sessions survive restarts (set SESSION_SECRET in production)`);
    return readFileSync(file, "utf8").trim();
  }
  const secret = generateSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  console.log(`websession demo: generated a development secret and kept it in ${file} (git-ignored), so restarts keep everyone logged in; set SESSION_SECRET in production`);
  return secret;
}

const port = Number(process.env.PORT ?? 8787);
const app = createDemoApp({ secret: developmentSecret() });
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => {
  console.log(`websession demo: listening on http://127.0.0.1:${info.port}`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
