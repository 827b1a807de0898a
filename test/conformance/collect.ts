// Turns the `*.suite.ts` modules a runner found into registered cases. Every runner (Node,
// workerd, Deno, Bun) discovers the files itself and hands the modules here, so a new suite
// file runs everywhere without touching a runner.

import type { Suite, TestFn } from "./harness.ts";

/** A discovered suite file: its path (as the runner found it) and how to import it. */
export type SuiteFile = readonly [file: string, load: () => Promise<Record<string, unknown>>];

/** What {@link registerSuites} registered: the number of cases per suite file. */
export type Registered = Map<string, number>;

/**
 * Imports every suite file and registers every case of every suite it exports (default or
 * named), named `"<suite> › <case>"`, then prints one line that `test/runtime/run.ts` checks:
 * `conformance: <cases> cases from <n> suite files (<file>: <cases>, ...)`. A suite may register
 * more cases where the runtime offers more (a KV binding), never fewer. A file that fails to import or
 * exports no suite registers one failing case, so it can neither vanish silently nor hide the
 * other files' results.
 */
export async function registerSuites(found: readonly SuiteFile[], test: TestFn): Promise<Registered> {
  const loaded = await Promise.all(
    found.map(async ([file, load]) => {
      try {
        return [baseName(file), await load()] as const;
      } catch (error) {
        return [baseName(file), error instanceof Error ? error : new Error(String(error))] as const;
      }
    }),
  );
  const sorted = loaded.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const registered: Registered = new Map();
  for (const [file, module] of sorted) {
    let cases = 0;
    const add: TestFn = (name, fn) => {
      cases++;
      test(name, fn);
    };
    if (module instanceof Error) {
      add(`${file} › loads`, () => {
        throw new Error(`${file} failed to load: ${module.message}`, { cause: module });
      });
    } else {
      const suites = new Set(Object.values(module).filter(isSuite));
      if (suites.size === 0) {
        add(`${file} › exports a suite`, () => {
          throw new Error(`${file} exports no suite; export defineSuite(...) from it`);
        });
      }
      for (const suite of suites) suite.register((name, fn) => add(`${suite.name} › ${name}`, fn));
    }
    registered.set(file, cases);
  }
  const total = [...registered.values()].reduce((a, b) => a + b, 0);
  const each = [...registered].map(([file, n]) => `${file}: ${n}`).join(", ");
  console.log(`conformance: ${total} cases from ${registered.size} suite files (${each})`);
  return registered;
}

function isSuite(value: unknown): value is Suite {
  return typeof value === "object" && value !== null && typeof (value as Suite).name === "string" && typeof (value as Suite).register === "function";
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
