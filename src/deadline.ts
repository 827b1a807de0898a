// One store call under a deadline, for every place that talks to a store (the store engine,
// the owner index, stateless revocation): rejections and hangs become SessionError
// ("store_unavailable"), and a late settlement of a timed-out call is ignored.

import { SessionError, describe } from "./errors.ts";

/**
 * Runs `run` until `deadline` (milliseconds since the epoch). `subject` names the store in the
 * message ("session store", "revocation store"), `timeout` is the configured budget it states.
 * A `SessionError` from the store passes through as it is.
 */
export function callWithin<T>(deadline: number, timeout: number, subject: string, operation: string, run: () => Promise<T>): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(run());
  } catch (error) {
    pending = Promise.reject(error);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new SessionError("store_unavailable", `the ${subject} did not answer ${operation} within ${timeout} ms; failing closed`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  const settled = pending.then(
    (value) => value,
    (error: unknown) => {
      if (error instanceof SessionError) throw error;
      throw new SessionError(
        "store_unavailable",
        `the ${subject} failed on ${operation}: ${error instanceof Error ? error.message : describe(error)}; failing closed`,
        {
          cause: error,
        },
      );
    },
  );
  return Promise.race([settled, expired]).finally(() => clearTimeout(timer));
}
