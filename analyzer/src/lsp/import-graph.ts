/**
 * @fileoverview Which open documents depend on a file, so that an edit re-analyzes only the
 * changed file and its dependents (the engine's interprocedural summaries cross imports: a
 * helper that starts returning with the read lock held changes its callers' findings).
 *
 * The graph is built from import specifiers found by a lexical scan, not by the type checker:
 * it must be cheap enough to run on every keystroke on the server's main thread, and the
 * engine (on its own thread) is busy analyzing. It resolves relative specifiers the way
 * TypeScript does for NodeNext and bundler projects (`./a.js` → `./a.ts`, `./dir` →
 * `./dir/index.ts`); bare specifiers (packages, tsconfig `paths`) are not followed, so a
 * dependency only reached through a path alias is missed until that dependent is edited or
 * saved itself.
 */

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files a BFS may visit from one open document; beyond this the graph is cut (and logged). */
const maxFilesPerWalk = 5000;

interface Entry {
  /** mtime of the disk file the imports were read from, or -1 for an editor buffer. */
  readonly stamp: number;
  readonly imports: readonly string[];
}

export class ImportGraph {
  private readonly cache = new Map<string, Entry>();

  /**
   * @param readOverlay text of an open document (the unsaved buffer), or undefined for files
   *   that are only on disk.
   */
  constructor(private readonly readOverlay: (file: string) => string | undefined) {}

  /** Forget what is known about a file (it changed on disk or in the editor). */
  invalidate(file: string): void {
    this.cache.delete(file);
  }

  /**
   * Of `candidates`, those whose imports reach `changed` (directly or through other files).
   * One walk over everything the candidates import, each file read (or stat'ed) once, then a
   * walk back from `changed` over the reversed edges.
   */
  dependentsOf(changed: string, candidates: Iterable<string>): string[] {
    const roots = [...candidates];
    const importers = new Map<string, string[]>();
    const seen = new Set<string>(roots);
    const queue = [...roots];
    for (let i = 0; i < queue.length && seen.size < maxFilesPerWalk; i++) {
      const file = queue[i]!;
      for (const dep of this.importsOf(file)) {
        let list = importers.get(dep);
        if (list === undefined) importers.set(dep, (list = []));
        list.push(file);
        if (!seen.has(dep)) {
          seen.add(dep);
          queue.push(dep);
        }
      }
    }
    const reaching = new Set<string>();
    const stack = [changed];
    while (stack.length > 0) {
      for (const importer of importers.get(stack.pop()!) ?? []) {
        if (reaching.has(importer)) continue;
        reaching.add(importer);
        stack.push(importer);
      }
    }
    return roots.filter((r) => r !== changed && reaching.has(r));
  }

  /** Resolved project files `file` imports (cached until the file changes). */
  importsOf(file: string): readonly string[] {
    const overlay = this.readOverlay(file);
    const cached = this.cache.get(file);
    if (overlay !== undefined) {
      if (cached !== undefined && cached.stamp === -1) return cached.imports;
      return this.store(file, -1, overlay);
    }
    let stamp: number;
    try {
      stamp = statSync(file).mtimeMs;
    } catch {
      return [];
    }
    if (cached !== undefined && cached.stamp === stamp) return cached.imports;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return this.store(file, stamp, text);
  }

  private store(file: string, stamp: number, text: string): readonly string[] {
    const dir = path.dirname(file);
    const imports: string[] = [];
    for (const spec of scanImportSpecifiers(text)) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const resolved = resolveRelative(path.resolve(dir, spec));
      if (resolved !== undefined) imports.push(resolved);
    }
    this.cache.set(file, { stamp, imports });
    return imports;
  }
}

/**
 * Module specifiers in `import … from 'x'`, `import 'x'`, `export … from 'x'`, `import('x')`,
 * `require('x')` and `import x = require('x')`, with comments removed first so commented-out
 * imports do not count. Strings that merely contain such text are rare enough to accept.
 */
export function scanImportSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:\\'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+|;\s*import\s+)(['"])([^'"\n]+)\1/gm;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) out.push(m[2]!);
  return out;
}

const tsExtensions = ['.ts', '.tsx', '.mts', '.cts', '.d.ts'];
const jsToTs: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx', '.d.ts'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts', '.d.mts'],
  '.cjs': ['.cts', '.d.cts'],
};

function resolveRelative(base: string): string | undefined {
  const ext = path.extname(base);
  const candidates: string[] = [];
  const mapped = jsToTs[ext];
  if (mapped !== undefined) {
    const stem = base.slice(0, -ext.length);
    for (const e of mapped) candidates.push(stem + e);
  }
  if (tsExtensions.includes(ext)) candidates.push(base);
  for (const e of tsExtensions) candidates.push(base + e);
  for (const e of tsExtensions) candidates.push(path.join(base, 'index' + e));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return path.normalize(c);
    } catch {
      // not this one
    }
  }
  return undefined;
}
