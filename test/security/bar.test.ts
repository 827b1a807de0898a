// The security bar's case list, kept honest: every case id of sections b.1-b.11 in
// shared/docs/security-bar.md must be named in the title of a test under test/ or listed as
// not applicable, with a reason, in test/security/README.md; the README's table must list every
// id exactly once and point only at files whose test titles name it. Titles are read with the
// TypeScript parser (the first argument of test / it / describe and their .each forms).

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BAR = fileURLToPath(new URL("../../../shared/docs/security-bar.md", import.meta.url));
const README = fileURLToPath(new URL("./README.md", import.meta.url));
const ID = /\b(?:SIG|ENC|JSN|SZ|CK|TM|KR|AE|ST|HD|FL)-\d{2}\b/g;

/** The case ids of part (b) of the security bar, in document order. */
function barIds(markdown: string): string[] {
  const start = markdown.indexOf("## (b)");
  const end = markdown.indexOf("## (c)");
  if (start === -1 || end <= start) throw new Error("security-bar.md: part (b) not found between '## (b)' and '## (c)'");
  const ids: string[] = [];
  for (const line of markdown.slice(start, end).split("\n")) {
    const match = /^\|\s*([A-Z]{2,3}-\d{2})\s*\|/.exec(line);
    if (match) ids.push(match[1]!);
  }
  return ids;
}

/** Every title passed to test/it/describe (or their .each/.skip/... forms) in `source`. */
function testTitles(source: string, fileName = "test.ts"): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const titles: string[] = [];
  const isTestCallee = (node: ts.Expression): boolean => {
    if (ts.isIdentifier(node)) return ["test", "it", "describe"].includes(node.text);
    if (ts.isPropertyAccessExpression(node)) return isTestCallee(node.expression);
    // test.each(table)("title", ...)
    if (ts.isCallExpression(node)) return isTestCallee(node.expression);
    return false;
  };
  const textOf = (node: ts.Node): string | undefined => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => `\${}${s.literal.text}`)].join("");
    return undefined;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isTestCallee(node.expression) && node.arguments.length > 0) {
      const title = textOf(node.arguments[0]!);
      if (title !== undefined) titles.push(title);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return titles;
}

function testFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...testFiles(path));
    else if (/\.(test|suite)\.ts$|^contract\.ts$/.test(name)) files.push(path);
  }
  return files;
}

interface Row {
  readonly id: string;
  readonly status: string;
}

/** The rows `| ID | status | notes |` of the README's case table (its "## The cases" section). */
function readmeRows(markdown: string): Row[] {
  const start = markdown.indexOf("\n## The cases");
  if (start === -1) throw new Error("test/security/README.md: no '## The cases' section");
  const end = markdown.indexOf("\n## ", start + 1);
  const rows: Row[] = [];
  for (const line of markdown.slice(start, end === -1 ? undefined : end).split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length >= 4 && /^[A-Z]{2,3}-\d{2}$/.test(cells[1]!)) rows.push({ id: cells[1]!, status: cells[2]! });
  }
  return rows;
}

describe("the security bar, case by case", () => {
  const bar = barIds(readFileSync(BAR, "utf8"));
  const titlesByFile = new Map(testFiles(join(ROOT, "test")).map((path) => [relative(ROOT, path), testTitles(readFileSync(path, "utf8"), path)]));
  const named = new Map<string, string[]>();
  for (const [file, titles] of titlesByFile) {
    for (const title of titles) for (const id of title.match(ID) ?? []) named.set(id, [...(named.get(id) ?? []), file]);
  }
  const rows = readmeRows(readFileSync(README, "utf8"));

  test("the parser finds what the bar holds: 127 cases in part (b), each once", () => {
    expect(bar).toHaveLength(127);
    expect(new Set(bar).size).toBe(bar.length);
    expect(bar.filter((id) => id.startsWith("SIG-"))).toHaveLength(16);
    expect(bar.at(-1)).toBe("FL-07");
  });

  test("the title reader sees test, it, describe, .each and template titles, and nothing else", () => {
    const titles = testTitles(
      [
        'test("SIG-01: a", () => {});',
        "describe.each(MODES)('CK-02 %s', () => {});",
        "test.each([1, [2, (3)]])(`TM-03 ${x} y`, () => {});",
        'it.skip("AE-04", () => {});',
        'expect(x, "SZ-05").toBe(1);',
        '// test("KR-06")',
        'const s = "HD-07"; call("FL-01");',
      ].join("\n"),
    );
    expect(titles).toEqual(["SIG-01: a", "CK-02 %s", "TM-03 ${} y", "AE-04"]);
  });

  test("every case of b.1-b.11 is named in a test title under test/, or listed as not applicable with a reason", () => {
    const notApplicable = new Set(rows.filter((r) => /^not applicable: .{10,}/.test(r.status)).map((r) => r.id));
    const missing = bar.filter((id) => !named.has(id) && !notApplicable.has(id));
    expect(missing, `cases with no test and no reason: ${missing.join(", ")}`).toEqual([]);
  });

  test("test titles name no case that the bar does not have (a typo would hide a case)", () => {
    const unknown = [...named.keys()].filter((id) => !bar.includes(id));
    expect(unknown).toEqual([]);
  });

  test("test/security/README.md lists every case exactly once, in the bar's order, and each 'tested in' file names it in a title", () => {
    expect(rows.map((r) => r.id)).toEqual(bar);
    for (const { id, status } of rows) {
      if (status.startsWith("not applicable")) {
        expect(status, id).toMatch(/^not applicable: .{10,}/);
        continue;
      }
      const files = [...status.matchAll(/`([^`]+\.ts)`/g)].map((m) => m[1]!);
      expect(status, `${id}: status is "tested in \`file\`" or "not applicable: reason"`).toMatch(/^tested in `/);
      expect(files.length, id).toBeGreaterThan(0);
      for (const file of files) {
        const titles = titlesByFile.get(file);
        expect(titles, `${id}: ${file} is not a test file`).toBeDefined();
        expect(
          titles!.some((t) => t.match(ID)?.includes(id)),
          `${id}: no test title in ${file} names it`,
        ).toBe(true);
      }
    }
  });
});
