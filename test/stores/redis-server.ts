// A real redis-server for the tests: started on 127.0.0.1 with a free port and no
// persistence, stopped (or killed, for fault tests) by its PID, never by name.

import type { ChildProcess } from "node:child_process";
import { signalAndWait, spawnUntilReady, startOnFreePort } from "./servers.ts";
import type { ServerProcess } from "./servers.ts";

const BINARY = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

/** A running redis-server: kill is SIGKILL, stop SIGTERM; it keeps no data across a restart. */
export type RedisServer = ServerProcess;

function launch(port: number): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"];
  return spawnUntilReady(BINARY, args, { name: "redis-server", port, ready: "Ready to accept connections", readyOn: "stdout", timeout: 10_000 });
}

/** Starts a redis-server on a free port (retrying if another process takes the port first). */
export async function startRedis(): Promise<RedisServer> {
  const { port, started } = await startOnFreePort(launch);
  let current: ChildProcess = started;
  const signal = (name: NodeJS.Signals): Promise<void> => signalAndWait(current, name);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current.pid!;
    },
    kill: () => signal("SIGKILL"),
    async restart() {
      current = await launch(port);
    },
    pause: () => void process.kill(current.pid!, "SIGSTOP"),
    resume: () => void process.kill(current.pid!, "SIGCONT"),
    async stop() {
      // A paused server (a failed fault test) would not act on SIGTERM until continued.
      if (current.exitCode === null && current.signalCode === null) process.kill(current.pid!, "SIGCONT");
      await signal("SIGTERM");
    },
  };
}
