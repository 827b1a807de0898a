// A real redis-server for the tests: started on 127.0.0.1 with a free port and no
// persistence, stopped (or killed, for fault tests) by its PID, never by name.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

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

/** A port nobody listens on now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(BINARY, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start on port ${port}:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts a redis-server on a free port (retrying if another process takes the port first). */
export async function startRedis(): Promise<RedisServer> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port);
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
  let current: ChildProcess = child;
  async function signal(name: NodeJS.Signals): Promise<void> {
    const gone = exited(current);
    if (current.exitCode === null && current.signalCode === null) process.kill(current.pid!, name);
    await gone;
  }
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
