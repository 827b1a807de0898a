// Options given as a function of the platform's env (Workers bindings): resolved once per env
// object, which lives as long as the isolate, so keys are derived once and not per request.

import type { SessionsOptions } from "../src/options.ts";

/** Options, or a function of the platform's `env` returning them. */
export type OptionsOrFactory<Env, Options extends object = SessionsOptions> = Options | ((env: Env) => Options);

/**
 * `build(options)` for each `env`: built now (validated at start-up) for static options, or
 * once per `env` object for a function of env. Throws a `TypeError` naming `caller` when a
 * function of env meets no env object.
 */
export function perEnv<Env, T, Options extends object = SessionsOptions>(
  options: OptionsOrFactory<Env, Options>,
  build: (options: Options) => T,
  caller: string,
): (env: Env) => T {
  if (typeof options !== "function") {
    const built = build(options);
    return function constant() {
      return built;
    };
  }
  const cache = new WeakMap<object, T>();
  return function forEnv(env) {
    if (typeof env !== "object" || env === null) {
      throw new TypeError(
        `${caller}: options is a function of env, but there is no env object (got ${String(env)}); pass the platform's env (the Worker's bindings), or pass options directly`,
      );
    }
    // @hono/node-server passes a new { incoming, outgoing } per request: a cache keyed by it
    // would build a manager (and derive keys) on every request. Say so at the first one.
    if ("incoming" in env && "outgoing" in env) {
      throw new TypeError(
        `${caller}: options is a function of env, but this env is @hono/node-server's per-request { incoming, outgoing }, not the Worker's bindings; on Node (and Deno, Bun) pass the options directly`,
      );
    }
    let built = cache.get(env);
    if (built === undefined) {
      built = build(options(env));
      cache.set(env, built);
    }
    return built;
  };
}
