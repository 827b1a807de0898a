// package.json and jsr.json publish the same subpaths, pointing at the same modules.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8"));
const jsr = JSON.parse(readFileSync(`${ROOT}/jsr.json`, "utf8"));

test("the same subpaths, in the same order, pointing at the same sources", () => {
  const npmPaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json");
  expect(Object.keys(jsr.exports)).toEqual(npmPaths);
  for (const path of npmPaths) {
    const entry = pkg.exports[path] as { types: string; default: string };
    expect(Object.keys(entry), path).toEqual(["types", "default"]); // types first
    const source = jsr.exports[path] as string;
    expect(entry.default, path).toBe(source.replace(/^\.\//, "./dist/").replace(/\.ts$/, ".js"));
    expect(entry.types, path).toBe(source.replace(/^\.\//, "./dist/").replace(/\.ts$/, ".d.ts"));
    expect(existsSync(`${ROOT}/${source}`), source).toBe(true);
  }
  expect(jsr.version).toBe(pkg.version);
  // The test kit is published like any other subpath.
  expect(jsr.exports["./testing"]).toBe("./src/testing.ts");
});

test("the bin points at the built CLI, whose source exists", () => {
  expect(pkg.bin).toEqual({ websession: "./dist/bin/websession.js" });
  expect(existsSync(`${ROOT}/bin/websession.ts`)).toBe(true);
  expect(readFileSync(`${ROOT}/bin/websession.ts`, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
});

test("Flask's value classes live in websession/flask, not in the package root", async () => {
  const root = await import("../../src/index.ts");
  const flask = await import("../../src/codecs/flask/values.ts");
  expect(pkg.exports["./flask"].default).toBe("./dist/src/codecs/flask/values.js");
  expect(Object.keys(flask).sort()).toEqual(["Markup", "PyFloat", "Tuple", "UUID"]);
  for (const name of ["Markup", "PyFloat", "Tuple", "UUID"]) expect(Object.keys(root)).not.toContain(name);
});
