// Bun runner: `bun test ./test/runtime/bun.test.ts` registers every test/conformance/*.suite.ts.

import { test } from "bun:test";
import { readdirSync } from "node:fs";
import { registerSuites } from "../conformance/collect.ts";

const dir = new URL("../conformance/", import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith(".suite.ts"));

await registerSuites(
  files.map((file) => [file, () => import(new URL(file, dir).href)] as const),
  (name, fn) => test(name, fn),
);

// Bun-only: after server.upgrade() the fetch handler returns undefined, and withSession must
// hand that back untouched (a WebSocket handshake carries no session cookie).
test("bun adapter: a WebSocket upgrade passes through withSession [bun]", async () => {
  const { withSession } = await import("../../adapters/bun.ts");
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: withSession<{ user?: string }, import("bun").Server<undefined>>({ secret: "tV3nq8Rk2LmZ7pWc5XyB9dHf4Js6Ga1EuQ0o" }, (request, session, srv) => {
      if (srv.upgrade(request)) return undefined;
      session.set("user", "ada");
      return new Response("plain");
    }),
    websocket: { message: (ws, message) => ws.send(`echo ${message}`) },
  });
  try {
    const plain = await fetch(`http://127.0.0.1:${server.port}/`);
    if (plain.headers.getSetCookie().length !== 1) throw new Error("a plain request should get the session cookie");
    const reply = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      ws.onopen = () => ws.send("hi");
      ws.onmessage = (event) => {
        resolve(String(event.data));
        ws.close();
      };
      ws.onerror = () => reject(new Error("the WebSocket failed"));
    });
    if (reply !== "echo hi") throw new Error(`unexpected reply ${reply}`);
  } finally {
    server.stop(true);
  }
});
