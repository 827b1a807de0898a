// npx wrangler dev (wrangler.toml points here); put SESSION_SECRET in .dev.vars.
// With SESSION_STORE = "kv" (a var in wrangler.toml or .dev.vars) sessions live in the SESSIONS
// KV namespace instead of the cookie.
import { withSession } from "../adapters/workers.ts";
import { kvStore } from "../src/stores/kv.ts";
import type { KVNamespaceLike } from "../src/stores/kv.ts";
import { app, secretOrRandom } from "./app.ts";
import type { Data } from "./app.ts";

interface Env {
  /** A secret binding: `wrangler secret put SESSION_SECRET` (or .dev.vars locally). */
  SESSION_SECRET?: string;
  /** "kv" to keep sessions in Workers KV. */
  SESSION_STORE?: string;
  /** The KV namespace bound in wrangler.toml. */
  SESSIONS: KVNamespaceLike;
}

export default {
  // Options from env: built once per isolate, so the keys are derived once.
  fetch: withSession<Data, Env>(
    // Without SESSION_SECRET (a first `npx wrangler dev`), a random secret per isolate, with a warning.
    (env) => ({ secret: secretOrRandom(env.SESSION_SECRET), ...(env.SESSION_STORE === "kv" ? { store: kvStore(env.SESSIONS) } : {}) }),
    app,
  ),
};
