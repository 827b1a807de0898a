// `npm run audit:prod`: `npm audit --omit=dev` must find nothing in the production dependencies
// (@noble/hashes, pako). The registry is on the network, so a transient failure (timeout, reset,
// 5xx) is retried twice; if the audit still cannot run, this fails loudly (exit 2) and says why:
// an audit that did not run is never reported as clean. The offline half of the check (what the
// dependencies are, that each is needed, what the lockfile pins) is test/security/dependencies.test.ts.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ATTEMPTS = 3;

interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number>; dependencies?: { prod?: number } };
  vulnerabilities?: Record<string, { severity: string; via: unknown[] }>;
  error?: { code?: string; summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

function audit(): { report: AuditReport | undefined; output: string } {
  const result = spawnSync("npm", ["audit", "--omit=dev", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  try {
    return { report: JSON.parse(result.stdout) as AuditReport, output };
  } catch {
    return { report: undefined, output };
  }
}

function transient(report: AuditReport | undefined, output: string): boolean {
  const status = report?.statusCode ?? Number(/\b(5\d\d)\b/.exec(report?.message ?? "")?.[1]);
  return (status >= 500 && status < 600) || /ETIMEDOUT|ECONNRESET|EAI_AGAIN|ENOTFOUND|socket hang up/i.test(`${report?.message ?? ""} ${output}`);
}

let last: { report: AuditReport | undefined; output: string } | undefined;
for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
  last = audit();
  const vulnerabilities = last.report?.metadata?.vulnerabilities;
  if (vulnerabilities !== undefined) {
    const total = Object.values(vulnerabilities).reduce((n, v) => n + v, 0);
    const prod = last.report?.metadata?.dependencies?.prod;
    if (total === 0) {
      console.log(`npm audit --omit=dev: 0 vulnerabilities in ${prod ?? "?"} production dependencies`);
      process.exit(0);
    }
    console.error(`npm audit --omit=dev: ${total} vulnerabilities in production dependencies:`);
    for (const [name, v] of Object.entries(last.report?.vulnerabilities ?? {})) console.error(`  ${name}: ${v.severity}`);
    process.exit(1);
  }
  if (!transient(last.report, last.output) || attempt === ATTEMPTS) break;
  console.error(`npm audit failed transiently (attempt ${attempt} of ${ATTEMPTS}); retrying`);
  await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
}
const reason = last?.report?.message ?? last?.report?.error?.summary ?? last?.output.trim().split("\n").slice(-3).join(" ");
console.error(`FAILED: npm audit --omit=dev could not run, so the production dependencies are NOT known to be clean: ${reason}`);
process.exit(2);
