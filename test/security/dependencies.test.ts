// Dependency hygiene, offline (the registry half is `npm run audit:prod`, test/security/audit.ts):
// the core needs exactly @noble/ciphers, @noble/hashes and pako, imports nothing else at run time (no node:,
// no runtime-specific modules), uses every dependency it declares, and the lockfile pins both
// by integrity hash with no install scripts and no dependencies of their own.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<
    string,
    {
      version?: string;
      integrity?: string;
      dev?: boolean;
      devOptional?: boolean;
      peer?: boolean;
      hasInstallScript?: boolean;
      dependencies?: Record<string, string>;
    }
  >;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

/** Module specifiers imported (or re-exported) at run time by `file`; type-only imports left out. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && node.importClause?.isTypeOnly !== true) {
      const named = node.importClause?.namedBindings;
      const allTypes =
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly) &&
        node.importClause?.name === undefined;
      if (!allTypes) found.push(node.moduleSpecifier.text);
    }
    if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly)
      found.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) found.push(node.arguments[0]?.getText(source) ?? "");
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The package a bare specifier names: "@noble/hashes/hmac.js" -> "@noble/hashes". */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe("dependency hygiene", () => {
  const core = sources(join(ROOT, "src"));
  const adapters = sources(join(ROOT, "adapters"));

  test("the runtime dependencies are exactly @noble/ciphers, @noble/hashes and pako; hono, fastify and react-router (types of their adapters) are optional peers", () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["@noble/ciphers", "@noble/hashes", "pako"]);
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["fastify", "hono", "react-router"]);
    expect(pkg.peerDependenciesMeta?.["react-router"]?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta?.fastify?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta?.hono?.optional).toBe(true);
  });

  test("src/ imports at run time only relative modules and its three dependencies: no node:, Deno, Bun or Workers modules", () => {
    const bare = new Map<string, string[]>();
    for (const file of core) {
      for (const specifier of runtimeImports(file)) {
        if (specifier.startsWith(".")) {
          expect(specifier, relative(ROOT, file)).toMatch(/\.ts$/);
          expect(relative(join(ROOT, "src"), resolve(dirname(file), specifier)), `${relative(ROOT, file)} reaches outside src/`).not.toMatch(/^\.\.\//);
          continue;
        }
        bare.set(packageOf(specifier), [...(bare.get(packageOf(specifier)) ?? []), relative(ROOT, file)]);
      }
    }
    expect([...bare.keys()].sort()).toEqual(["@noble/ciphers", "@noble/hashes", "pako"]);
    // Each is needed: noble for the synchronous HMACs, hashes and AES-GCM, pako only for the flask format.
    expect([...new Set(bare.get("pako"))]).toEqual(["src/codecs/flask/zlib.ts"]);
    expect(bare.get("@noble/ciphers")).toEqual(["src/codecs/sealed.ts"]);
    expect(bare.get("@noble/hashes")!.length).toBeGreaterThanOrEqual(3);
  });

  test("adapters import only the core and each other (and hono's types): no runtime dependency of their own", () => {
    for (const file of adapters) {
      for (const specifier of runtimeImports(file)) expect(specifier, relative(ROOT, file)).toMatch(/^(\.\.\/src\/.*|\.\/[a-z-]+)\.ts$/);
    }
  });

  test("the lockfile pins each production dependency by sha512, with no install script and no dependency of its own", () => {
    const production = Object.entries(lock.packages).filter(
      ([path, entry]) => path !== "" && entry.dev !== true && entry.devOptional !== true && entry.peer !== true,
    );
    expect(production.map(([path]) => path).sort()).toEqual(["node_modules/@noble/ciphers", "node_modules/@noble/hashes", "node_modules/pako"]);
    for (const [path, entry] of production) {
      expect(entry.integrity, path).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      expect(entry.hasInstallScript ?? false, path).toBe(false);
      expect(Object.keys(entry.dependencies ?? {}), path).toEqual([]);
      const installed = JSON.parse(readFileSync(join(ROOT, path, "package.json"), "utf8")) as { version: string; scripts?: Record<string, string> };
      expect(installed.version, path).toBe(entry.version);
      for (const hook of ["preinstall", "install", "postinstall"]) expect(installed.scripts?.[hook], `${path} ${hook}`).toBeUndefined();
    }
  });

  test("the installed versions satisfy package.json's ranges (a caret range on the locked major)", () => {
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      const locked = lock.packages[`node_modules/${name}`]!.version!;
      const match = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
      expect(match, `${name}: ${range}`).not.toBeNull();
      const [major, minor, patch] = locked.split(".").map(Number) as [number, number, number];
      expect(major, name).toBe(Number(match![1]));
      expect(minor * 1e6 + patch >= Number(match![2]) * 1e6 + Number(match![3]), `${name} ${locked} vs ${range}`).toBe(true);
    }
  });
});
