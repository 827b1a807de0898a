// npx wrangler dev (wrangler.toml points here); put SESSION_SECRET in .dev.vars.
import { withSession } from "../adapters/workers.ts";
import { app } from "./app.ts";
import type { Data } from "./app.ts";

interface Env {
  /** A secret binding: `wrangler secret put SESSION_SECRET` (or .dev.vars locally). */
  SESSION_SECRET: string;
}

export default {
  // Options from env: built once per isolate, so the keys are derived once.
  fetch: withSession<Data, Env>((env) => ({ secret: env.SESSION_SECRET }), app),
};
