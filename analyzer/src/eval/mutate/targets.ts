/**
 * @fileoverview What `npm run mutate` mutates: the one list of target roots, and which functions
 * in them are correct code.
 *
 * A root is a TypeScript project (its tsconfig.json, the first candidate path that exists) and a
 * folder in it. Every function in its files is a target, except a function whose lines carry an
 * inline expectation (`// expect: <rule>` or a caret line, as the fixture harness reads them):
 * those are bugs on purpose, and their mutants would prove nothing. A file's top level counts
 * as a function (`<top>`).
 *
 * The rule fixtures are correct and incorrect code side by side, written next to the checker:
 * they serve only as a development aid, while the corpus (kernel code translated faithfully, and
 * the same patterns as applications write them) has not landed. Once it has, they drop out.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import type { FunctionLike } from '../../ast.js';
import { parseExpectations } from '../fixture-check.js';

export interface TargetRoot {
  /** For the report and `--root`. */
  readonly name: string;
  /** tsconfig.json paths relative to the repository root; the first that exists is used. `*` matches one folder name. */
  readonly projects: readonly string[];
  /** Only files under this folder of the project (relative to the tsconfig's folder). */
  readonly under?: string;
  /** Used only while no corpus exists: a development aid, not a measure. */
  readonly untilCorpus?: boolean;
}

export const TARGET_ROOTS: readonly TargetRoot[] = [
  { name: 'corpus', projects: ['analyzer/test/corpus/tsconfig.json'] },
  { name: 'examples', projects: ['examples/*/tsconfig.json'], under: 'src' },
  // The rule fixtures move to analyzer/test/fixtures/; either place works.
  {
    name: 'fixtures',
    projects: ['analyzer/test/fixtures/tsconfig.json', 'fixtures/tsconfig.json'],
    under: 'rules',
    untilCorpus: true,
  },
];

/** One project of a root, resolved. */
export interface TargetProject {
  readonly root: string;
  /** Absolute path of its tsconfig.json. */
  readonly tsconfig: string;
  /** Absolute folder whose files are targets. */
  readonly dir: string;
}

/** The repository root (from src/ or dist/ alike). */
export function repoRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
}

function expand(repo: string, pattern: string): string[] {
  const parts = pattern.split('/');
  const star = parts.indexOf('*');
  if (star < 0) return existsSync(join(repo, pattern)) ? [join(repo, pattern)] : [];
  const dir = join(repo, ...parts.slice(0, star));
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((name) => expand(repo, [...parts.slice(0, star), name, ...parts.slice(star + 1)].join('/')));
}

/** The projects to mutate: every root that exists (the fixtures only while the corpus does not), or those named. */
export function resolveTargets(repo: string, only?: readonly string[]): TargetProject[] {
  const found = TARGET_ROOTS.map((r) => {
    const paths = r.projects.map((p) => expand(repo, p)).find((l) => l.length > 0) ?? [];
    return { r, paths };
  });
  const corpus = found.some(({ r, paths }) => !r.untilCorpus && r.name === 'corpus' && paths.length > 0);
  const out: TargetProject[] = [];
  for (const { r, paths } of found) {
    if (only !== undefined ? !only.includes(r.name) : r.untilCorpus === true && corpus) continue;
    for (const tsconfig of paths) {
      const base = resolve(tsconfig, '..');
      out.push({ root: r.name, tsconfig, dir: r.under === undefined ? base : join(base, r.under) });
    }
  }
  return out;
}

/** Whether `file` lies in the project's target folder. */
export function inTarget(project: TargetProject, file: string): boolean {
  const rel = relative(project.dir, resolve(file));
  if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`node_modules${sep}`)) return false;
  return /\.(ts|tsx|mts|cts)$/.test(file) && !/\.d\.[mc]?ts$/.test(file);
}

/**
 * The functions of `functions` (a file's function-likes, top level first) that are correct
 * code: none of the lines of their own span holds an inline expectation.
 */
export function correctFunctions(sf: ts.SourceFile, functions: readonly FunctionLike[]): FunctionLike[] {
  const lines = expectationLines(sf.text);
  if (lines.size === 0) return [...functions];
  return functions.filter((fn) => ![...lines].some((l) => ownsLine(sf, functions, fn, l)));
}

/** Lines with an inline expectation: the harness's, and any `// expect: <rule>` comment (followed by prose or not). */
function expectationLines(text: string): Set<number> {
  const lines = new Set(parseExpectations(text).map((e) => e.line));
  text.split(/\r?\n/).forEach((l, i) => {
    if (/\/\/\s*expect:\s*[\w@-]+\/[\w-]+/.test(l)) lines.add(i + 1);
  });
  return lines;
}

/** Whether 1-based `line` lies in `fn` (for a file's top level: outside every function of it). */
export function ownsLine(
  sf: ts.SourceFile,
  functions: readonly FunctionLike[],
  fn: FunctionLike,
  line: number,
): boolean {
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const within = (f: FunctionLike): boolean => line >= lineOf(f.getStart(sf)) && line <= lineOf(f.end);
  if (!ts.isSourceFile(fn)) return within(fn);
  return !functions.some((f) => !ts.isSourceFile(f) && within(f));
}
