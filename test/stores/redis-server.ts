// A real redis-server for the tests: started on 127.0.0.1 with a free port and no
// persistence, stopped (or killed, for fault tests) by its PID, never by name.

import type { ChildProcess } from "node:child_process";
import { signalAndWait, spawnUntilReady, startOnFreePort } from "./servers.ts";

const BINARY = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The PID of the running server process. */
  readonly pid: number;
  /** SIGKILL by PID (an outage), waiting until the process is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port. */
  restart(): Promise<void>;
  /** SIGSTOP by PID: the server keeps its connections but answers nothing (a hang). */
  pause(): void;
  /** SIGCONT by PID. */
  resume(): void;
  /** SIGTERM by PID, waiting until the process is gone. */
  stop(): Promise<void>;
}

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
