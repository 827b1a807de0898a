// Every link in README.md, CHANGELOG.md and docs/*.md works for a reader on the npm page (where
// only the tarball's files exist) and in the repository: relative links resolve to a file of
// the checkout and never leave it, README links to files the tarball lacks are absolute URLs
// into the repository (and name files that exist), anchors name a heading, and nothing points
// at the project's private surroundings (`../shared`, its CI machines).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { expect, test } from "vitest";
import { ROOT, markdownFiles } from "./snippets.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  files: string[];
  repository: { url: string };
  homepage: string;
  bugs: { url: string };
};
const REPO = "https://github.com/websession/websession";
const FILES = [...markdownFiles(), "CHANGELOG.md"];

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

// Inline links and images outside code (fenced blocks and `code spans` are not links).
function linksOf(file: string): Link[] {
  const links: Link[] = [];
  let fenced = false;
  readFileSync(join(ROOT, file), "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (/^\s*```/.test(text)) fenced = !fenced;
      if (fenced) return;
      const prose = text.replace(/`[^`]*`/g, "``");
      for (const m of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ file, line: i + 1, target: m[1]! });
      for (const m of prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)) links.push({ file, line: i + 1, target: m[1]! });
      for (const m of prose.matchAll(/<a\s[^>]*href="([^"]+)"/g)) links.push({ file, line: i + 1, target: m[1]! });
    });
  return links;
}

// GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered.
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const text of readFileSync(join(ROOT, file), "utf8").split("\n")) {
    if (/^\s*```/.test(text)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (m === null) continue;
    const slug = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

const links = FILES.flatMap(linksOf);

test("the files are there and have links to check", () => {
  for (const file of FILES) expect(existsSync(join(ROOT, file)), file).toBe(true);
  expect(links.length).toBeGreaterThan(20);
});

test("relative links resolve to a file in the checkout and never leave it", () => {
  for (const link of links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target) && !l.target.startsWith("#"))) {
    const [path = "", anchor] = link.target.split("#");
    const resolved = normalize(join(dirname(join(ROOT, link.file)), decodeURIComponent(path)));
    const where = `${link.file}:${link.line}: ${link.target}`;
    expect(relative(ROOT, resolved).startsWith(".."), `${where} points outside the repository`).toBe(false);
    expect(existsSync(resolved), `${where} names no file`).toBe(true);
    if (anchor !== undefined && resolved.endsWith(".md")) expect(anchorsOf(relative(ROOT, resolved)), `${where}: no such heading`).toContain(anchor);
  }
});

test("README links only to files the npm tarball ships; everything else is an absolute URL", () => {
  // The npm page shows README.md from the tarball: docs/, BENCHMARKS.md and the tests are not in it.
  const shipped = new Set(pkg.files.filter((f) => !f.startsWith("dist/")));
  for (const link of links.filter((l) => l.file === "README.md" && !/^[a-z][a-z0-9+.-]*:/i.test(l.target) && !l.target.startsWith("#"))) {
    expect(shipped, `README.md:${link.line}: ${link.target} is not in the tarball; link ${REPO}/blob/main/${link.target}`).toContain(link.target.split("#")[0]);
  }
});

test("anchors name a heading of their page", () => {
  for (const link of links.filter((l) => l.target.startsWith("#"))) {
    expect(anchorsOf(link.file), `${link.file}:${link.line}: ${link.target}`).toContain(link.target.slice(1));
  }
});

test("links into the repository name files that exist, on the repository package.json names", () => {
  expect(pkg.repository.url).toBe(`git+${REPO}.git`);
  expect(pkg.homepage).toBe(`${REPO}#readme`);
  expect(pkg.bugs.url).toBe(`${REPO}/issues`);
  const ours = links.filter((l) => l.target.startsWith("https://github.com/websession/"));
  expect(ours.length).toBeGreaterThan(4);
  for (const link of ours) {
    const m = new RegExp(`^${REPO}/(?:(?:blob|tree)/main/([^#]+)(?:#(.*))?|issues|releases|compare/.+)$`).exec(link.target);
    expect(m, `${link.file}:${link.line}: ${link.target} is not a file of ${REPO}`).not.toBeNull();
    if (m![1] !== undefined) {
      expect(existsSync(join(ROOT, m![1])), `${link.file}:${link.line}: ${link.target} names no file`).toBe(true);
      if (m![2] !== undefined && m![1].endsWith(".md")) expect(anchorsOf(m![1]), `${link.file}:${link.line}: no such heading`).toContain(m![2]);
    }
  }
});

test("nothing refers readers to the project's private surroundings", () => {
  for (const file of FILES) {
    readFileSync(join(ROOT, file), "utf8")
      .split("\n")
      .forEach((text, i) => {
        expect(text, `${file}:${i + 1}`).not.toMatch(/\.\.\/shared\b|\bshared\/(?:vectors|docs|flask-peer)|CI machines?|our CI\b/i);
      });
  }
});
