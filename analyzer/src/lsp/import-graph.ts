/**
 * @fileoverview Which open documents depend on a file, so that an edit re-analyzes only the
 * changed file and its dependents (the engine's interprocedural summaries cross imports: a
 * helper that starts returning with the read lock held changes its callers' findings).
 *
 * A file's edges are the union of two sources. The engine's thread reports, with each run,
 * the imports TypeScript resolved for every file of the program (resolved-imports.ts): `paths`
 * aliases, workspace packages and imports across project references included. Those edges
 * are kept until the next report replaces them, even while the file is being edited (an edge
 * that went away costs one needless re-analysis, a missing one a stale finding). Files no run
 * has reported on yet, and imports typed since the last run, come from a lexical scan that is
 * cheap enough for every keystroke on the server's main thread: it resolves relative
 * specifiers the way TypeScript does for NodeNext and bundler projects (`./a.js` → `./a.ts`,
 * `./dir` → `./dir/index.ts`) and skips bare ones.
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
  /** Imports the engine resolved, per file, from its last report. */
  private readonly resolved = new Map<string, readonly string[]>();

  /**
   * @param readOverlay text of an open document (the unsaved buffer), or undefined for files
   *   that are only on disk.
   */
  constructor(private readonly readOverlay: (file: string) => string | undefined) {}

  /** Forget what is known about a file (it changed on disk or in the editor). */
  invalidate(file: string): void {
    this.cache.delete(file);
  }

  /** The engine resolved `file`'s imports to `imports` (replacing what it said before). */
  learn(file: string, imports: readonly string[]): void {
    this.resolved.set(path.normalize(file), imports);
  }

  /** Forget the engine's edges (its programs were dropped: the options may have changed). */
  forgetResolved(): void {
    this.resolved.clear();
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

  /** Project files `file` imports: the engine's edges and the lexical scan's. */
  importsOf(file: string): readonly string[] {
    const scanned = this.scannedImportsOf(file);
    const resolved = this.resolved.get(file);
    if (resolved === undefined || resolved.length === 0) return scanned;
    return [...new Set([...scanned, ...resolved])];
  }

  /** Relative imports found by the lexical scan (cached until the file changes). */
  private scannedImportsOf(file: string): readonly string[] {
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
