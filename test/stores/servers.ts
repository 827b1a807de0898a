// The plumbing every real test server shares (redis-server, a Redis Cluster, Postgres): a free
// port, a child process that counts as started once it prints its ready line, signals by PID
// (never by name), and the retry when another process takes the port between probe and bind.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

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

/** One running server process the tests start, fault-inject and stop, always by PID. */
export interface ServerProcess {
  readonly port: number;
  /** Its connection URL, e.g. `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The PID of the running server process. */
  readonly pid: number;
  /** An outage (a hard kill by PID: redis-server SIGKILL, Postgres SIGQUIT), waiting until it is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (and, for Postgres, the same data). */
  restart(): Promise<void>;
  /** SIGSTOP by PID (Postgres: the postmaster and every backend): connections stay open, nothing answers (a hang). */
  pause(): void;
  /** SIGCONT of the same processes. */
  resume(): void;
  /** A clean shutdown by PID, waiting until it is gone (and removing any data directory). */
  stop(): Promise<void>;
}

/** How {@link spawnUntilReady} starts one server process. */
export interface SpawnOptions {
  /** The name error messages use, e.g. `redis-server (cluster)`. */
  readonly name: string;
  /** The port it was told to listen on (for error messages). */
  readonly port: number;
  /** The text whose appearance in its output means it accepts connections. */
  readonly ready: string;
  /** Which stream prints `ready`. */
  readonly readyOn: "stdout" | "stderr";
  /** Milliseconds to wait for `ready` before it is killed and the start fails. */
  readonly timeout: number;
  /** Run as this uid/gid (Postgres refuses root). */
  readonly user?: { uid?: number; gid?: number };
}

/** Spawns `binary args` and resolves once it prints `ready`; rejects (with its output) when it exits or times out first. */
export function spawnUntilReady(binary: string, args: string[], options: SpawnOptions): Promise<ChildProcess> {
  const { name, port, ready, readyOn, timeout, user = {} } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...user, stdio: ["ignore", "pipe", "pipe"] });
    const watched = readyOn === "stdout" ? child.stdout! : child.stderr!;
    const other = readyOn === "stdout" ? child.stderr! : child.stdout!;
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start on port ${port}:\n${output}`));
    }, timeout);
    function onData(chunk: Buffer): void {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        watched.off("data", onData);
        // Keep draining both pipes: a full pipe would block the server.
        watched.resume();
        other.resume();
        resolve(child);
      }
    }
    watched.on("data", onData);
    other.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Sends `name` to `child` by PID (unless it is gone already) and waits until it has exited. */
export async function signalAndWait(child: ChildProcess, name: NodeJS.Signals): Promise<void> {
  const gone = exited(child);
  if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, name);
  await gone;
}

/** Runs `start` on a free port, trying a new port up to five times (another process may take one between probe and bind). */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>): Promise<{ port: number; started: T }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return { port, started: await start(port) };
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
}
