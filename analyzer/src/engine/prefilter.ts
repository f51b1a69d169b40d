/**
 * @fileoverview The cheap pre-filter: which files can hold anything the rules look at. A file
 * qualifies when its text mentions @rcukit/runtime, or it imports (transitively) a project file
 * that does — type-stable types and lock helpers travel through a project's own modules. Files
 * that qualify by neither cost a string search and a walk over their import declarations.
 */

import { ts } from 'ts-morph';
import { RUNTIME_PACKAGE } from '../primitives/runtime-package.js';

function importedFiles(sf: ts.SourceFile, checker: ts.TypeChecker): ts.SourceFile[] {
  const out: ts.SourceFile[] = [];
  for (const st of sf.statements) {
    const spec = ts.isImportDeclaration(st) || ts.isExportDeclaration(st) ? st.moduleSpecifier : undefined;
    if (spec === undefined || !ts.isStringLiteral(spec)) continue;
    // The module symbol's declaration is the imported file (resolution only, no type checking).
    const target = checker.getSymbolAtLocation(spec)?.valueDeclaration;
    if (target !== undefined && ts.isSourceFile(target) && !target.isDeclarationFile) out.push(target);
  }
  return out;
}

/** The subset of `files` that can matter, given the whole program. */
export function filesUsingRuntime(files: readonly ts.SourceFile[], program: ts.Program): Set<ts.SourceFile> {
  const all = program.getSourceFiles().filter((f) => !f.isDeclarationFile);
  const uses = new Set(all.filter((f) => f.text.includes(RUNTIME_PACKAGE)));
  const checker = program.getTypeChecker();
  const imports = new Map(all.map((f) => [f, importedFiles(f, checker)] as const));
  let changed = true;
  while (changed) {
    changed = false;
    for (const f of all) {
      if (uses.has(f)) continue;
      if (imports.get(f)!.some((g) => uses.has(g))) {
        uses.add(f);
        changed = true;
      }
    }
  }
  return new Set(files.filter((f) => uses.has(f)));
}
