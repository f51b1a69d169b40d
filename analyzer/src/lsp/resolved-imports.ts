/**
 * @fileoverview The project files each file of a program imports, resolved by TypeScript with
 * the program's own options: `paths` aliases, `baseUrl`, package `exports` of workspace packages
 * and imports across project references resolve as the compiler resolves them, which the
 * server's lexical scan (import-graph.ts) cannot do. Runs on the engine's thread; the host feeds
 * the edges to its import graph, so that an edit re-analyzes the open files that import the
 * changed one by any route.
 */

import path from 'node:path';
import { ts } from 'ts-morph';

/** Per source file object: TypeScript reuses an unchanged file's object across rebuilt programs. */
const bySourceFile = new WeakMap<ts.SourceFile, readonly string[]>();

/** file -> the non-declaration, non-package files it imports, for every project file of `program`. */
export function resolvedImports(program: ts.Program): Map<string, readonly string[]> {
  const options = program.getCompilerOptions();
  const cwd = program.getCurrentDirectory();
  const cache = ts.createModuleResolutionCache(
    cwd,
    (f) => (ts.sys.useCaseSensitiveFileNames ? f : f.toLowerCase()),
    options,
  );
  const out = new Map<string, readonly string[]>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    let deps = bySourceFile.get(sf);
    if (deps === undefined) {
      const found = new Set<string>();
      for (const spec of ts.preProcessFile(sf.text, true, true).importedFiles) {
        const resolved = ts.resolveModuleName(
          spec.fileName,
          sf.fileName,
          options,
          ts.sys,
          cache,
          undefined,
          sf.impliedNodeFormat,
        ).resolvedModule;
        if (resolved === undefined || resolved.isExternalLibraryImport === true) continue;
        if (/\.d\.[cm]?ts$/.test(resolved.resolvedFileName)) continue;
        found.add(path.normalize(path.resolve(resolved.resolvedFileName)));
      }
      deps = [...found];
      bySourceFile.set(sf, deps);
    }
    out.set(path.normalize(sf.fileName), deps);
  }
  return out;
}
