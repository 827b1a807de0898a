// Runs one `<!-- snippet: run -->` block in this process (a child of the docs test, started by
// tsx with the snippets' tsconfig, so `websession/...` resolves to the repository's sources):
// imports it, and when it exports a fetch handler (`export const fetch`, or a default export
// with `fetch`: a Hono app, a Worker), drives it with `visit`. Prints the visits as JSON.
//
//   tsx test/docs/run-snippet.ts <file.ts> <node|workers>
import { pathToFileURL } from "node:url";
import { visit } from "./snippets.ts";

type FetchLike = (request: Request, ...rest: unknown[]) => Promise<Response> | Response;

const [file, runtime] = process.argv.slice(2);
if (file === undefined || (runtime !== "node" && runtime !== "workers")) throw new Error("usage: run-snippet.ts <file.ts> <node|workers>");

const mod = (await import(pathToFileURL(file).href)) as { fetch?: unknown; default?: { fetch?: unknown } };
const pending: Promise<unknown>[] = [];
// A Worker's env: the snippets' secrets from the environment, and an in-memory KV namespace.
const kv = new Map<string, string>();
const env = {
  SESSION_SECRET: process.env.SESSION_SECRET,
  SECRET_KEY: process.env.SECRET_KEY,
  OLD_SECRET_KEY: process.env.OLD_SECRET_KEY,
  SESSIONS: {
    async get(key: string) {
      return kv.get(key) ?? null;
    },
    async put(key: string, value: string) {
      kv.set(key, value);
    },
    async delete(key: string) {
      kv.delete(key);
    },
  },
};
const ctx = { waitUntil: (promise: Promise<unknown>) => void pending.push(promise), passThroughOnException() {} };

let handler: ((request: Request) => Promise<Response>) | undefined;
if (typeof mod.fetch === "function") {
  const f = mod.fetch as FetchLike;
  handler = async (request) => f(request);
} else if (typeof mod.default?.fetch === "function") {
  const target = mod.default;
  const f = target.fetch as FetchLike;
  handler = runtime === "workers" ? async (request) => f.call(target, request, env, ctx) : async (request) => f.call(target, request);
}
const visits = handler === undefined ? null : await visit(handler, "http://127.0.0.1/");
await Promise.all(pending);
// A snippet may leave timers or sockets open; the run is over once the visits are printed.
process.stdout.write(`${JSON.stringify({ visits })}\n`, () => process.exit(0));
