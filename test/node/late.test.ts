// A late change in a withSession handler (after the response) is reported through onError
// (default: one console.error line) and never becomes an unhandled rejection, which would
// end a Node process: checked on a real server in its own process, stopped by PID.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { generateSecret } from "../../src/index.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
});

test("the process keeps serving, and says already_committed once per late change", async () => {
  child = spawn(process.execPath, ["--import", "tsx", "test/node/late-server.ts"], {
    cwd: ROOT,
    env: { ...process.env, SESSION_SECRET: generateSecret() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child!.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child!.on("exit", (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe("ok");
    expect(response.headers.getSetCookie()).toHaveLength(1);
  }
  await expect.poll(() => stderr.match(/SessionError\(already_committed\)/g)?.length ?? 0).toBe(3);
  expect(child.exitCode).toBeNull();
  expect(stderr).not.toMatch(/Unhandled|unhandled/);
  expect(
    stderr
      .trim()
      .split("\n")
      .filter((line) => !line.includes("without Secure")),
  ).toHaveLength(3);
}, 30_000);
