// The code blocks of README.md and docs/*.md, as the docs test sees them: each ```ts/```js block
// must be preceded by a marker comment that says what the suite does with it:
//
//   <!-- snippet: run -->                 type-checked, then executed under Node; a fetch handler it
//                                         exports is requested (GET /, POST /login, GET /)
//   <!-- snippet: run expect="Hello ada" -->   ... and the last response's body must contain the text
//   <!-- snippet: server -->              type-checked, then started with PORT set to a free loopback
//                                         port and requested over HTTP the same way
//   <!-- snippet: typecheck -->           type-checked only (it needs a service: Redis, a Flask app)
//   runtime=deno|bun|workers              checked with that runtime's types (Deno: `deno check`)
//
// Markers are HTML comments, invisible on GitHub and on the npm page.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** What the suite does with a TypeScript or JavaScript block. */
/**
 * `run`: executed and requested; `server`: started on a loopback port and requested;
 * `typecheck`: compiled only; `app`: a file of a framework test app (test/frameworks/), built
 * and served by `npm run test:frameworks`, and equal to that file (test/adapters/readme-frameworks.test.ts).
 */
export type Mode = "run" | "server" | "typecheck" | "app";
/** Whose types (and, for run, whose runtime) a block is checked against. */
export type Runtime = "node" | "deno" | "bun" | "workers";

/** One fenced block of a Markdown file. */
export interface Block {
  /** `README.md:42` (the line of the opening fence). */
  readonly where: string;
  /** A file-name-safe id: `README-42`. */
  readonly id: string;
  readonly lang: string;
  readonly code: string;
  /** The marker's words, or `undefined` when the block has none. */
  readonly marker: { mode: string; runtime: string; expect: string | undefined } | undefined;
}

const CODE_LANGS = new Set(["ts", "typescript", "js", "javascript", "tsx", "mjs"]);

/** README.md and every docs/*.md, relative to the root. */
export function markdownFiles(): string[] {
  return [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

/** Every fenced block of `file` (relative to the root), with its marker if any. */
export function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```([\w-]*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(indent));
    if (i === lines.length) throw new Error(`${file}:${start + 1}: a code block is never closed`);
    let previous = start - 1;
    while (previous >= 0 && lines[previous]!.trim() === "") previous--;
    const m = previous >= 0 ? /^\s*<!--\s*snippet:\s*(\w+)((?:\s+\w+=(?:"[^"]*"|\S+))*)\s*-->\s*$/.exec(lines[previous]!) : null;
    let marker: Block["marker"];
    if (m !== null) {
      const attrs = new Map<string, string>();
      for (const a of m[2]!.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)) attrs.set(a[1]!, a[2] ?? a[3]!);
      marker = { mode: m[1]!, runtime: attrs.get("runtime") ?? "node", expect: attrs.get("expect") };
    }
    const base = file.replace(/^docs\//, "docs-").replace(/\.md$/, "");
    blocks.push({ where: `${file}:${start + 1}`, id: `${base}-${start + 1}`, lang: open[2]!, code: body.join("\n") + "\n", marker });
  }
  return blocks;
}

/** Whether a block is TypeScript or JavaScript code the suite must check. */
export function isCode(block: Block): boolean {
  return CODE_LANGS.has(block.lang);
}

/** The npm scripts a shell block runs (`npm start`, `npm test`, `npm run x`). */
export function npmScriptsIn(code: string): string[] {
  const scripts: string[] = [];
  for (const m of code.matchAll(/\bnpm (?:run(?:-script)? ([\w:.-]+)|(start|test|stop|restart)\b)/g)) scripts.push(m[1] ?? m[2]!);
  return scripts;
}

/** The binaries a shell block runs through npx. */
export function npxBinsIn(code: string): string[] {
  return [...code.matchAll(/\bnpx (?:--no-install )?([\w@/.-]+)/g)].map((m) => m[1]!);
}

/** One request of {@link visit} and what came back. */
export interface Visit {
  readonly request: string;
  readonly status: number;
  readonly body: string;
}

/**
 * What a reader does with a login snippet: GET /, POST /login with the form field `user=ada`,
 * GET / again, carrying the cookies each response set (a minimal jar: name=value, deleted by
 * `Max-Age=0`).
 */
export async function visit(handler: (request: Request) => Promise<Response>, origin: string): Promise<Visit[]> {
  const jar = new Map<string, string>();
  const visits: Visit[] = [];
  const steps: Array<[string, string, FormData | undefined]> = [
    ["GET", "/", undefined],
    ["POST", "/login", form()],
    ["GET", "/", undefined],
  ];
  for (const [method, path, body] of steps) {
    const headers = new Headers();
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await handler(new Request(new URL(path, origin), { method, headers, body: body ?? null, redirect: "manual" }));
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (/;\s*max-age=0\b/i.test(line)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    visits.push({ request: `${method} ${path}`, status: response.status, body: await response.text() });
  }
  return visits;
}

function form(): FormData {
  const data = new FormData();
  data.set("user", "ada");
  return data;
}
