/**
 * @fileoverview Value imports between TypeScript modules, and the cycles they form: the checker
 * behind layout.test.ts.
 *
 * A value edge is an import whose bindings exist at run time: `import … from`, `import 'x'`,
 * `export … from`, `import x = require()` and dynamic `import()`. Type-only imports are not
 * edges: `import type`, `export type … from`, and imports whose every specifier is marked
 * `type`. (Under verbatimModuleSyntax the last kind still loads its module, as
 * `import {} from`; it binds nothing, so it cannot read a binding before it is initialized,
 * which is what a cycle risks.)
 */

import path from 'node:path';
import ts from 'typescript';

/** The specifiers of the modules `text` (the file `fileName`) imports for their values. */
export function valueImportSpecifiers(fileName: string, text: string): string[] {
  const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      if (ts.isStringLiteral(node.moduleSpecifier) && !isTypeOnlyImport(node))
        specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node)) {
      const from = node.moduleSpecifier;
      if (from !== undefined && ts.isStringLiteral(from) && !isTypeOnlyExport(node)) specifiers.push(from.text);
    } else if (ts.isImportEqualsDeclaration(node)) {
      const ref = node.moduleReference;
      if (!node.isTypeOnly && ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression))
        specifiers.push(ref.expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first !== undefined && ts.isStringLiteralLike(first)) specifiers.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return specifiers;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return false; // `import 'x'`: run for its effects
  if (clause.phaseModifier === ts.SyntaxKind.TypeKeyword) return true;
  if (clause.name !== undefined) return false; // a default import
  const bindings = clause.namedBindings;
  if (bindings === undefined || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  if (clause === undefined || ts.isNamespaceExport(clause)) return false; // `export * (as ns) from`
  return clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/** Where a relative specifier may point, as NodeNext resolves it to a TypeScript source. */
const SOURCE_FOR: Readonly<Record<string, readonly string[]>> = {
  '.js': ['.ts', '.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/**
 * The value-import graph of `files` (absolute path → text): for each file, the files of the
 * same set it imports for their values. Bare specifiers (packages) and relative ones that
 * leave the set are not followed.
 */
export function importGraph(files: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const targets = new Set<string>();
    for (const specifier of valueImportSpecifiers(file, text)) {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const base = path.resolve(path.dirname(file), specifier);
      const ext = path.extname(base);
      const stem = base.slice(0, base.length - ext.length);
      const candidates = [
        ...(SOURCE_FOR[ext] ?? []).map((e) => stem + e),
        base,
        base + '.ts',
        path.join(base, 'index.ts'),
      ];
      const target = candidates.find((c) => files.has(c));
      if (target !== undefined) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/**
 * The cycles of `graph`: one for each strongly connected component that has one (two or more
 * modules, or a module that imports itself), as a path that starts and ends at the same
 * module. Empty when the graph has no cycle.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);

  const cycles: string[][] = [];
  for (const component of components) {
    const start = [...component].sort()[0]!;
    const cycle = cycleThrough(graph, start, new Set(component));
    if (cycle !== undefined) cycles.push(cycle);
  }
  return cycles;
}

/** A shortest path from `start` back to `start` within `members`, or undefined. */
function cycleThrough(
  graph: ReadonlyMap<string, readonly string[]>,
  start: string,
  members: ReadonlySet<string>,
): string[] | undefined {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = previous.get(u)) path.push(u);
        return [...path, start].reverse();
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}
