// README's "Full-stack frameworks" quick starts are files of the framework test apps, which the
// framework suite builds and runs (npm run test:frameworks): each block must equal its file.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(`${ROOT}/README.md`, "utf8");
const section = readme.slice(readme.indexOf("## Full-stack frameworks"), readme.indexOf("\n## ", readme.indexOf("## Full-stack frameworks") + 1));

const APPS: Record<string, string> = {
  "websession/next": "next",
  "websession/sveltekit": "sveltekit",
  "websession/astro": "astro",
  "websession/react-router": "react-router",
};

test("every framework has a quick start whose blocks are its test app's files", () => {
  const parts = section.split(/^### /m).slice(1);
  expect(parts.map((p) => /`(websession\/[\w-]+)`/.exec(p.split("\n")[0]!)?.[1])).toEqual(Object.keys(APPS));
  for (const part of parts) {
    const app = APPS[/`(websession\/[\w-]+)`/.exec(part)![1]!]!;
    const blocks = [...part.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
    expect(blocks.length, app).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      const path = /^\/\/ (\S+)/.exec(block)?.[1];
      expect(path, `${app}: a block must start with // <its file>`).toBeDefined();
      expect(block, `${app}/${path}`).toBe(readFileSync(`${ROOT}/test/frameworks/${app}/${path}`, "utf8").replace(/\n+$/, ""));
    }
  }
});
