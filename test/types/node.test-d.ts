// Type tests for websession/node and websession/fastify: checked by `tsc -p test/types`.
/// <reference types="node" />
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import Fastify from "fastify";
import { expectTypeOf } from "vitest";
import { sessionPlugin } from "../../adapters/fastify.ts";
import { session, withSession } from "../../adapters/node.ts";
import type { Session } from "../../src/index.ts";

interface Cart {
  user?: string;
  items: string[];
}

declare module "../../adapters/node.ts" {
  interface Register {
    data: Cart;
  }
}
declare module "../../adapters/fastify.ts" {
  interface Register {
    data: Cart;
  }
}

// node:http: the data type from withSession<Data>, Node's own req and res inferred from createServer.
createServer(
  withSession<Cart>({ secret: "x".repeat(40) }, (req, res, s) => {
    expectTypeOf(s).toEqualTypeOf<Session<Cart>>();
    expectTypeOf(s.get("items")).toEqualTypeOf<string[] | undefined>();
    // @ts-expect-error: a key Cart does not have
    s.set("admin", true);
    res.end(req.url);
  }),
);
createServer(
  withSession<Cart, IncomingMessage, ServerResponse>({ secret: "x".repeat(40), onError: (error, _req, res) => void [error, res.statusCode] }, (req, res) => {
    expectTypeOf(req).toEqualTypeOf<IncomingMessage>();
    expectTypeOf(res).toEqualTypeOf<ServerResponse>();
  }),
);

// Express: req.session is Session<Cart> through Register, and session() is a middleware.
const app = express();
app.use(session({ secret: "x".repeat(40) }));
app.get("/", (req, res) => {
  expectTypeOf(req.session).toEqualTypeOf<Session<Cart>>();
  expectTypeOf(req.session.get("user")).toEqualTypeOf<string | undefined>();
  // @ts-expect-error: a value of the wrong type
  req.session.set("items", "one");
  res.send("ok");
});
express.Router().use(session({ secret: "x".repeat(40) }));

// Fastify: request.session is Session<Cart>.
const fastify = Fastify();
await fastify.register(sessionPlugin, { secret: "x".repeat(40) });
fastify.get("/", async (request) => {
  expectTypeOf(request.session).toEqualTypeOf<Session<Cart>>();
  expectTypeOf(request.session.get("items")).toEqualTypeOf<string[] | undefined>();
  return "ok";
});
// @ts-expect-error: options are checked (secret is required)
await fastify.register(sessionPlugin, { format: "sealed" });
