// What the published-secrets table costs (README, Security notes):
//   npx tsx scripts/published-secrets-cost.ts
// 1. Bytes it adds to `websession` and `websession/workers` bundled with esbuild, minified
//    (with the table, and with an empty table in its place), raw and gzipped.
// 2. Time it adds to createSessions(): the first call decodes the table; later calls only look up.

import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import type { Plugin } from "esbuild";

const ENTRIES = { websession: "src/index.ts", "websession/workers": "adapters/workers.ts" };

// Replaces the generated table by an empty one: the bundle as it would be without the list.
const emptyTable: Plugin = {
  name: "empty-published-table",
  setup(b) {
    b.onLoad({ filter: /published-secrets\.ts$/ }, () => ({
      contents: 'export const PUBLISHED_SECRETS = { count: 0, bits: 40, rice: 24, data: "" };',
      loader: "ts",
    }));
  },
};

async function bundleSize(entry: string, plugins: Plugin[]): Promise<{ raw: number; gzip: number }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    write: false,
    plugins,
    logLevel: "silent",
  });
  const bytes = result.outputFiles[0]!.contents;
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

async function sizes(): Promise<void> {
  console.log("bundle (esbuild --bundle --minify, ESM)   without table      with table        added");
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const before = await bundleSize(entry, [emptyTable]);
    const after = await bundleSize(entry, []);
    console.log(
      `${name.padEnd(40)} ${String(before.raw).padStart(8)} B (${before.gzip} gz) ${String(after.raw).padStart(8)} B (${after.gzip} gz) +${after.raw - before.raw} B (+${after.gzip - before.gzip} gz)`,
    );
  }
}

// In a fresh process: the first check (what the table adds to the first createSessions()), the
// whole first createSessions(), then later checks and later createSessions() calls.
const PROBE = `
import { createSessions, generateSecret } from "./src/index.ts";
import { isPublishedSecret } from "./src/published.ts";
const secret = "Ec3JyiFTT7HIG5dKpn5kHq3lNvN6_jAwRF4Si0f8f3o";
const bytes = new TextEncoder().encode(secret);
let t = performance.now();
isPublishedSecret(bytes);
const firstCheck = performance.now() - t;
t = performance.now();
createSessions({ secret });
const firstCreate = performance.now() - t;
const n = 5000;
t = performance.now();
for (let i = 0; i < n; i++) isPublishedSecret(bytes);
const laterCheck = (performance.now() - t) / n;
t = performance.now();
for (let i = 0; i < n; i++) createSessions({ secret });
const laterCreate = (performance.now() - t) / n;
console.log(JSON.stringify({ firstCheck, firstCreate, laterCheck, laterCreate }));
`;

function timings(): void {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", PROBE], { encoding: "utf8" });
    runs.push(JSON.parse(out) as Record<string, number>);
  }
  const median = (key: string): number => runs.map((r) => r[key]!).sort((a, b) => a - b)[2]!;
  console.log(`start-up, median of 5 fresh processes:`);
  console.log(`  first published-secrets check (cold code): ${median("firstCheck").toFixed(2)} ms`);
  console.log(`  first createSessions({ secret }) after it: ${median("firstCreate").toFixed(2)} ms`);
  console.log(`  later checks: ${(median("laterCheck") * 1000).toFixed(1)} µs per secret`);
  console.log(`  later createSessions({ secret }): ${(median("laterCreate") * 1000).toFixed(1)} µs per call, the check included`);
}

await sizes();
timings();
