// A real Postgres server for the tests: Debian's postgresql binaries, `initdb` into a temporary
// directory inside the checkout's .tmp, the server on 127.0.0.1 with a free port (no Unix
// socket), run as the `postgres` system user when the tests run as root (initdb refuses
// root), stopped or killed by its PID, never by name.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chownSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { signalAndWait, spawnUntilReady, startOnFreePort } from "./servers.ts";
import type { ServerProcess } from "./servers.ts";

const TMP = fileURLToPath(new URL("../../.tmp/", import.meta.url));
/** The database superuser the tests connect as (trust authentication, loopback only). */
export const PG_USER = "websession";

/**
 * A running Postgres server (`url`: `postgres://websession@127.0.0.1:<port>/postgres`, `pid`: the
 * postmaster): kill is SIGQUIT (immediate shutdown, as after a crash), stop SIGINT (fast shutdown)
 * and then the data directory is removed; the data survives a restart.
 */
export type PostgresServer = ServerProcess;

/** The newest `/usr/lib/postgresql/<version>/bin`, or `POSTGRES_BIN`; throws when there is none. */
export function postgresBin(): string {
  const fromEnv = process.env.POSTGRES_BIN;
  if (fromEnv !== undefined) return fromEnv;
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0)
    throw new Error(
      "no Postgres server binaries under /usr/lib/postgresql/*/bin: install Debian's postgresql package (apt-get install postgresql), or set POSTGRES_BIN",
    );
  return join(base, versions[0]!, "bin");
}

/** uid/gid to run the server as: ourselves, or the `postgres` system user when we are root. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (line === undefined) throw new Error("running as root, and initdb refuses root: create the `postgres` system user (Debian's postgresql package does)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function exec(binary: string, args: string[], user: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...user, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${binary} exited with ${code}:\n${output}`))));
  });
}

function launch(bin: string, data: string, port: number, user: { uid?: number; gid?: number }): Promise<ChildProcess> {
  const args = [
    "-D",
    data,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "fsync=off",
    "-c",
    "max_connections=200",
  ];
  return spawnUntilReady(join(bin, "postgres"), args, {
    name: "postgres",
    port,
    ready: "database system is ready to accept connections",
    readyOn: "stderr",
    timeout: 30_000,
    user,
  });
}

/** PIDs whose parent is `pid` (the postmaster's backends), from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** initdb into a fresh directory under .tmp, then starts the server on a free port. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const user = runAs();
  await mkdir(TMP, { recursive: true });
  const root = await mkdtemp(join(TMP, "postgres-"));
  if (user.uid !== undefined) chownSync(root, user.uid, user.gid!);
  const data = join(root, "data");
  await exec(join(bin, "initdb"), ["-D", data, "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"], user);
  const { port, started } = await startOnFreePort((port) => launch(bin, data, port, user)).catch(async (error: unknown) => {
    await rm(root, { recursive: true, force: true });
    throw error;
  });
  let current: ChildProcess = started;
  let paused: number[] = [];
  const signal = (name: NodeJS.Signals): Promise<void> => signalAndWait(current, name);
  return {
    port,
    url: `postgres://${PG_USER}@127.0.0.1:${port}/postgres`,
    get pid() {
      return current.pid!;
    },
    kill: () => signal("SIGQUIT"),
    async restart() {
      current = await launch(bin, data, port, user);
    },
    pause() {
      paused = [current.pid!, ...childrenOf(current.pid!)];
      for (const pid of paused) process.kill(pid, "SIGSTOP");
    },
    resume() {
      for (const pid of paused) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // Already gone.
        }
      }
      paused = [];
    },
    async stop() {
      for (const pid of paused) process.kill(pid, "SIGCONT");
      await signal("SIGINT");
      await rm(root, { recursive: true, force: true });
    },
  };
}
