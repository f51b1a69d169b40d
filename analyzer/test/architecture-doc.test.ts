/**
 * @fileoverview Drift check for analyzer/ARCHITECTURE.md, as rust-analyzer's tidy test keeps its
 * docs honest: every source file and folder the map names in backticks must exist, so a file
 * moved or renamed without its map entry fails here instead of misleading the next reader.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const analyzerRoot = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Paths of the files and folders under `dir`, relative to `base`, POSIX-style. */
function listPaths(dir: string, base: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    const rel = relative(base, full).split(sep).join('/');
    if (statSync(full).isDirectory()) {
      out.push(`${rel}/`);
      listPaths(full, base, out);
    } else {
      out.push(rel);
    }
  }
  return out;
}

describe('analyzer/ARCHITECTURE.md', () => {
  const text = readFileSync(join(analyzerRoot, 'ARCHITECTURE.md'), 'utf8');
  // The analyzer's own paths, and the repository's (the server's tests live in its test/lsp/).
  const paths = [...listPaths(analyzerRoot, analyzerRoot), ...listPaths(join(repoRoot, 'test'), repoRoot)];
  // `cfg-builder.ts`, `rule-utils/mark-flow.ts`, `src/engine/`, `lsp/`: names of files and folders.
  const named = [...new Set([...text.matchAll(/`([\w./-]+(?:\.ts|\/))`/g)].map((m) => m[1]!))].filter(
    (n) => !n.startsWith('@'),
  );

  it('names files and folders at all', () => {
    expect(named.length).toBeGreaterThan(40);
  });

  it('names only files and folders that exist', () => {
    // A bare or partial name stands for any path that ends with it (`analyze.ts` under `src/engine/`).
    const missing = named.filter((n) => !paths.some((p) => p === n || p.endsWith(`/${n}`)));
    expect(missing).toEqual([]);
  });
});
