import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";

// The shape of the code: no import cycle between files of src/ and views/ (type-only
// imports count: a cycle of types is still two files that cannot be read apart), views
// take types and path builders, never services, no file grows past 400 lines and no
// function past 100.

const ROOT = resolve(import.meta.dir, "../..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function target(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")])
    if (existsSync(candidate) && statSync(candidate).isFile() && /\.(ts|tsx)$/.test(candidate))
      return candidate;
  return null;
}

const files = [...sources(join(ROOT, "src")), ...sources(join(ROOT, "views"))];
const graph = new Map(
  files.map((file) => [
    file,
    [...readFileSync(file, "utf8").matchAll(IMPORT)]
      .map((m) => target(file, m[1] as string))
      .filter((t): t is string => t !== null),
  ]),
);

/** Every cycle's files (Tarjan's strongly connected components of more than one file). */
function cycles(): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string) => {
    order.set(file, index);
    low.set(file, index++);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (stack.includes(next)) low.set(file, Math.min(low.get(file) ?? 0, order.get(next) ?? 0));
    }
    if (low.get(file) === order.get(file)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member) component.push(relative(ROOT, member));
      } while (member && member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return found;
}

describe("the code's shape", () => {
  test("no import cycle between files of src/ and views/", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles()).toEqual([]);
  });

  test("views import types and path builders, never services", () => {
    const views = files.filter((file) => /\/views\//.test(file));
    const reaching = views.flatMap((view) =>
      [...readFileSync(view, "utf8").matchAll(/^import\s+(?!type\b)[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']/gm)]
        .map((m) => m[1] as string)
        .filter((spec) =>
          /\/(service|repo|state|room|scan|write|handover|store|signins)(\.tsx?)?$/.test(spec),
        )
        .map((spec) => `${relative(ROOT, view)} -> ${spec}`),
    );
    expect(reaching).toEqual([]);
  });

  test("no function over 100 lines", () => {
    const long: string[] = [];
    for (const file of files) {
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
          const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (last - first + 1 > 100)
            long.push(`${relative(ROOT, file)}:${first + 1} (${last - first + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });

  test("no file over 400 lines but the French catalog", () => {
    const long = files
      .filter((file) => !file.endsWith("i18n/fr.ts"))
      .map((file) => [relative(ROOT, file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });
});
