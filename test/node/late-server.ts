// A node:http server whose async handler changes the session after answering (its promise
// rejects): run as its own process by late.test.ts, which checks the process survives and
// reports each late change in one line.
import { createServer } from "node:http";
import { withSession } from "../../adapters/node.ts";

const server = createServer(
  withSession({ secret: process.env.SESSION_SECRET!, cookie: { secure: false } }, async (_req, res, session) => {
    session.set("before", 1);
    res.end("ok");
    await new Promise((resolve) => setImmediate(resolve));
    session.set("after", 2);
  }),
);
server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as { port: number }).port}`));
