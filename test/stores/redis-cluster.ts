// A real Redis Cluster for the tests: three redis-server masters (cluster mode) on 127.0.0.1
// with free ports, their nodes.conf in a temporary directory inside the checkout's .tmp,
// joined by `redis-cli --cluster create`, stopped (or killed, for fault tests) by PID.

import { execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, signalAndWait as signal, spawnUntilReady, startOnFreePort } from "./servers.ts";

const SERVER = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";
const CLI = process.env.REDIS_CLI ?? "/usr/bin/redis-cli";
const TMP = fileURLToPath(new URL("../../.tmp/", import.meta.url));
const run = promisify(execFile);

/** One master of the cluster. */
export interface ClusterNode {
  readonly port: number;
  /** The PID of the running server process. */
  readonly pid: number;
}

/** A running three-master cluster. */
export interface RedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** `{ host, port }` of every master, as cluster clients take their seed list. */
  readonly seeds: readonly { host: string; port: number }[];
  /** Runs `redis-cli -p <port> <args>` against one node and returns its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Waits until every node reports `cluster_state:ok` and agrees on the slots. */
  waitUntilOk(): Promise<void>;
  /** SIGKILL of every master by PID (an outage), waiting until they are gone. */
  kill(): Promise<void>;
  /** Starts every master again on its port with its nodes.conf, then waits for `cluster_state:ok`. */
  restart(): Promise<void>;
  /** SIGTERM by PID, then removes the temporary directory. */
  stop(): Promise<void>;
}

function assertBinaries(): void {
  for (const binary of [SERVER, CLI]) {
    if (!existsSync(binary))
      throw new Error(`${binary} is missing: install Debian's redis-server package (apt-get install redis-server), or set REDIS_SERVER / REDIS_CLI`);
  }
}

function launch(port: number, busPort: number, dir: string): Promise<ChildProcess> {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-port",
    String(busPort),
    "--cluster-node-timeout",
    "1000",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--loglevel",
    "notice",
  ];
  return spawnUntilReady(SERVER, args, { name: "redis-server (cluster)", port, ready: "Ready to accept connections", readyOn: "stdout", timeout: 10_000 });
}

/** Starts three cluster-mode masters on free ports and joins them into one cluster. */
export async function startRedisCluster(): Promise<RedisCluster> {
  assertBinaries();
  await mkdir(TMP, { recursive: true });
  const root = await mkdtemp(join(TMP, "redis-cluster-"));
  const specs: { port: number; busPort: number; dir: string }[] = [];
  const children: ChildProcess[] = [];
  try {
    for (let n = 0; n < 3; n++) {
      const dir = join(root, `node${n}`);
      await mkdir(dir);
      const { port, started } = await startOnFreePort(async (port) => {
        const busPort = await freePort();
        return { busPort, child: await launch(port, busPort, dir) };
      });
      children.push(started.child);
      specs.push({ port, busPort: started.busPort, dir });
    }
    await run(CLI, ["--cluster", "create", ...specs.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
  } catch (error) {
    for (const child of children) await signal(child, "SIGKILL");
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  async function cli(port: number, ...args: string[]): Promise<string> {
    return (await run(CLI, ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 })).stdout;
  }

  async function waitUntilOk(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const infos = await Promise.all(specs.map((s) => cli(s.port, "cluster", "info")));
        const checks = await Promise.all(
          specs.map((s) =>
            run(CLI, ["--cluster", "check", `127.0.0.1:${s.port}`], { timeout: 10_000 }).then(
              () => true,
              () => false,
            ),
          ),
        );
        if (infos.every((info) => info.includes("cluster_state:ok")) && checks.every(Boolean)) return;
      } catch {
        // A node still starting: try again.
      }
      if (Date.now() > deadline) throw new Error("the Redis cluster did not reach cluster_state:ok within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  await waitUntilOk();
  return {
    get nodes() {
      return specs.map((s, n) => ({ port: s.port, pid: children[n]!.pid! }));
    },
    seeds: specs.map((s) => ({ host: "127.0.0.1", port: s.port })),
    cli,
    waitUntilOk,
    async kill() {
      await Promise.all(children.map((child) => signal(child, "SIGKILL")));
    },
    async restart() {
      for (let n = 0; n < specs.length; n++) children[n] = await launch(specs[n]!.port, specs[n]!.busPort, specs[n]!.dir);
      await waitUntilOk();
    },
    async stop() {
      await Promise.all(children.map((child) => signal(child, "SIGTERM")));
      await rm(root, { recursive: true, force: true });
    },
  };
}
