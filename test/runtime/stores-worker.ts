// The workerd runner's main module: the example Worker (wrangler.toml `main`), plus the
// Durable Object class of websession/durable-object, re-exported as a user's Worker does, so
// the SESSION_OBJECTS binding (vitest.workerd.config.ts) has a class to run.
export { default } from "../../examples/worker.ts";
export { SessionDurableObject } from "../../src/stores/durable-object.ts";
