/**
 * @fileoverview The source layout issue 14 asks to hold, checked on every run: no source file
 * over 800 lines (the generated WebAssembly module aside), at most 10 files at the top of
 * runtime/src, and no value import cycle in runtime/src or analyzer/src (import-cycles.ts
 * says what counts as a value import). Then the cycle checker itself, on small graphs.
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph, valueImportSpecifiers } from './import-cycles.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const MAX_LINES = 800;
const MAX_RUNTIME_TOP_FILES = 10;
/** Generated, and committed so that no build needs an assembler (runtime/scripts/build-heap-atomics.mjs). */
const GENERATED = new Set(['runtime/src/heap/atomics-wasm.ts']);
const SOURCE_ROOTS = ['runtime/src', 'analyzer/src'];

const relative = (file: string): string => path.relative(repo, file).split(path.sep).join('/');

/** Every file under `dir` (relative to the repository), recursively, as absolute paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(child);
    return entry.isFile() ? [path.join(repo, child)] : [];
  });
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('source layout', () => {
  it.each(SOURCE_ROOTS)(`%s has no file over ${MAX_LINES} lines`, (root) => {
    const long = filesUnder(root)
      .filter((file) => !GENERATED.has(relative(file)))
      .map((file) => ({ file: relative(file), lines: lineCount(readFileSync(file, 'utf8')) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it(`runtime/src has at most ${MAX_RUNTIME_TOP_FILES} files at its top (the rest are in subsystem folders)`, () => {
    const top = readdirSync(path.join(repo, 'runtime/src'), { withFileTypes: true }).filter((e) => e.isFile());
    expect(top.length, top.map((e) => e.name).join(', ')).toBeLessThanOrEqual(MAX_RUNTIME_TOP_FILES);
  });

  it.each(SOURCE_ROOTS)('%s has no value import cycle', (root) => {
    const sources = new Map(
      filesUnder(root)
        .filter((file) => /\.[mc]?tsx?$/.test(file) && !file.endsWith('.d.ts'))
        .map((file) => [file, readFileSync(file, 'utf8')] as const),
    );
    expect(sources.size).toBeGreaterThan(10);
    const cycles = findCycles(importGraph(sources)).map((cycle) => cycle.map(relative).join(' -> '));
    expect(cycles).toEqual([]);
  });
});

describe('the import cycle checker', () => {
  const graphOf = (files: Record<string, string>): Map<string, string[]> =>
    importGraph(new Map(Object.entries(files).map(([name, text]) => [path.resolve('/m', name), text])));
  const cyclesOf = (files: Record<string, string>): string[][] =>
    findCycles(graphOf(files)).map((cycle) => cycle.map((file) => path.relative('/m', file)));

  it('counts static, side-effect, re-export, require and dynamic imports as value imports', () => {
    const text = [
      "import a from './a.js';",
      "import * as b from './b.js';",
      "import { c, type C } from './c.js';",
      "import './d.js';",
      "import {} from './e.js';",
      "export * from './f.js';",
      "export { g } from './g.js';",
      "import h = require('./h.js');",
      "export async function later() { return import('./i.js'); }",
    ].join('\n');
    expect(valueImportSpecifiers('x.ts', text)).toEqual([
      './a.js',
      './b.js',
      './c.js',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
      './h.js',
      './i.js',
    ]);
  });

  it('does not count type-only imports and re-exports', () => {
    const text = [
      "import type { A } from './a.js';",
      "import type * as B from './b.js';",
      "import { type C, type D } from './c.js';",
      "export type { E } from './e.js';",
      "export { type F } from './f.js';",
      "export type G = import('./g.js').G;",
    ].join('\n');
    expect(valueImportSpecifiers('x.ts', text)).toEqual([]);
  });

  it('finds a cycle through a static and a dynamic import, and names its modules in order', () => {
    expect(
      cyclesOf({
        'a.ts': "import { b } from './b.js';\nexport const a = b;",
        'b.ts': "export const b = 1;\nexport const load = () => import('./sub/c.js');",
        'sub/c.ts': "import '../a.js';",
        'd.ts': "import { a } from './a.js';", // reaches the cycle, is not on it
      }),
    ).toEqual([['a.ts', 'b.ts', 'sub/c.ts', 'a.ts']]);
  });

  it('finds no cycle where one direction is type-only', () => {
    expect(
      cyclesOf({
        'struct.ts': "import { objectMap } from './object-map.js';",
        'object-map.ts': "import type { Struct } from './struct.js';\nimport { type Def } from './struct.js';",
      }),
    ).toEqual([]);
  });

  it('resolves .js to .ts and a folder to its index.ts, and ignores packages', () => {
    const graph = graphOf({
      'a.ts': "import './lib';\nimport 'node:fs';\nimport 'typescript';",
      'lib/index.ts': "import { a } from '../a.js';",
    });
    expect(graph.get(path.resolve('/m/a.ts'))).toEqual([path.resolve('/m/lib/index.ts')]);
    expect(findCycles(graph)).toHaveLength(1);
  });

  it('reports each cycle once, and a module that imports itself', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['d']],
      ['d', ['c']],
      ['e', ['e']],
      ['f', ['a']],
    ]);
    expect(findCycles(graph).sort()).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'c'],
      ['e', 'e'],
    ]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });
});
