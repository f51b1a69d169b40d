/**
 * @fileoverview The checker on a large body of real code nobody here wrote: every function body of
 * some 50,000 lines of published JavaScript and TypeScript from node_modules, wrapped in a correct
 * read-side section (test/robustness/wrap-in-sections.ts), analyzed by the real engine as loose
 * files. Correct code must draw zero findings, and no function may be skipped. A CI lint that
 * fails correct code gets switched off on its first day.
 *
 * - JavaScript (as loose .js, the way `rcukit check file.js` takes it): ts-morph and its common
 *   library (generated from TypeScript: classes, big switches over SyntaxKind), commander, chai.
 *   The 'unlock' style over all of it, the 'finally' style over commander and chai.
 * - TypeScript: @azure/msal-common's sources (shipped in the package), both styles. Here the
 *   'unlock' style leaves out the end-of-body unlock wherever TypeScript itself knows the end is
 *   unreachable (a declared return type without undefined/void: calls typed `never`, exhaustive
 *   switches), as a person would; a checker that did not know what TypeScript knows would report
 *   those functions as falling off their end holding the lock.
 *
 * A planted bug (one entry lock removed) must be found, so a clean result means something.
 * Sources that are not installed are skipped with their name; the sizes and times are printed.
 * Generated code: a deep `+` chain, run on a shrunk stack so that 2,500 terms weigh like the
 * 20,000 tsc accepts, is analyzed, not skipped.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../src/engine/project-loader.js';
import { analyze, type AnalysisResult } from '../src/index.js';
import { cliPath, makeProject, removeProjects, strictTsconfig } from './cli/cli-harness.js';
import { unreachableEnds, wrapInSections, type SectionStyle } from './robustness/wrap-in-sections.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const modules = path.join(repoRoot, 'node_modules');
/** Where the wrapped files pretend to live (in memory only): `@rcukit/runtime` resolves from here. */
const virtualRoot = path.join(repoRoot, 'analyzer/test/robustness/.virtual');

const js = {
  large: ['ts-morph/dist/ts-morph.js', '@ts-morph/common/dist/ts-morph-common.js'],
  rest: [
    'commander/lib/command.js',
    'commander/lib/help.js',
    'commander/lib/option.js',
    'commander/lib/argument.js',
    'commander/lib/error.js',
    'commander/lib/suggestSimilar.js',
    'chai/index.js',
  ],
};
const tsSources = '@azure/msal-common/src';

/** Installed sources among `files` (relative to node_modules), by virtual path. */
function readSources(files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    const full = path.join(modules, f);
    if (existsSync(full)) out.set(path.join(virtualRoot, 'js', f.replace(/\//g, '__')), readFileSync(full, 'utf8'));
  }
  return out;
}

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    if (statSync(f).isDirectory()) return listTs(f);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [f] : [];
  });
}

function lineCount(texts: Iterable<string>): number {
  let n = 0;
  for (const t of texts) n += t.split('\n').length;
  return n;
}

interface Run {
  readonly result: AnalysisResult;
  readonly wrapped: Map<string, string>;
  readonly functions: number;
  readonly ms: number;
}

function wrapAndAnalyze(
  sources: ReadonlyMap<string, string>,
  style: SectionStyle,
  ends?: Map<string, Set<number>>,
): Run {
  const wrapped = new Map<string, string>();
  let functions = 0;
  for (const [file, text] of sources) {
    const w = wrapInSections(file, text, style, ends?.get(file));
    wrapped.set(file, w.text);
    functions += w.functions;
  }
  const start = performance.now();
  const result = analyze({ cwd: virtualRoot, files: [...wrapped.keys()], overlays: wrapped });
  return { result, wrapped, functions, ms: performance.now() - start };
}

/** Findings and skips, one line each, for a readable failure. */
function problems(r: AnalysisResult): string[] {
  return [
    ...r.diagnostics.map((d) => `${path.basename(d.span.file)}:${d.span.startLine} ${d.ruleId}: ${d.message}`),
    ...(r.skipped ?? []).map((s) => `${path.basename(s.file)}:${s.line} skipped ${s.name}: ${s.reason}`),
  ];
}

function report(what: string, sources: ReadonlyMap<string, string>, run: Run): void {
  console.log(
    `robustness: ${what}: ${sources.size} files, ${lineCount(sources.values())} lines, ${run.functions} functions wrapped, analyzed in ${(run.ms / 1000).toFixed(1)} s`,
  );
}

const TIMEOUT = 180_000;

describe('real code wrapped in correct read-side sections', () => {
  const all = readSources([...js.large, ...js.rest]);
  const rest = readSources(js.rest);

  it.skipIf(all.size === 0)(
    'JavaScript, unlocking before each return and throw: no findings, nothing skipped',
    () => {
      const run = wrapAndAnalyze(all, 'unlock');
      report('JavaScript, unlock before exits', all, run);
      expect(run.result.filesAnalyzed).toBe(all.size);
      expect(problems(run.result)).toEqual([]);
      expect(run.functions).toBeGreaterThan(3_000);

      // The clean result means something: drop the lock at one function's entry (in the
      // smallest file, to keep it quick), and its unlocks are reported.
      const [file, text] = [...run.wrapped].sort((a, b) => a[1].length - b[1].length)[0]!;
      const planted = text.replace(' rcuReadLock();', '');
      const bug = analyze({ cwd: virtualRoot, files: [file], overlays: new Map([[file, planted]]) });
      expect(bug.diagnostics.map((d) => d.messageId)).toContain('unlockWithoutLock');
    },
    TIMEOUT,
  );

  it.skipIf(rest.size === 0)(
    'JavaScript, try/finally: no findings, nothing skipped',
    () => {
      const run = wrapAndAnalyze(rest, 'finally');
      report('JavaScript, try/finally', rest, run);
      expect(problems(run.result)).toEqual([]);
    },
    TIMEOUT,
  );

  const tsDir = path.join(modules, tsSources);
  it.skipIf(!existsSync(tsDir))(
    `TypeScript (${tsSources}), both styles, no dead unlock where TypeScript knows the end is unreachable`,
    () => {
      const sources = new Map(
        listTs(tsDir).map((f) => [path.join(virtualRoot, 'ts', path.relative(tsDir, f)), readFileSync(f, 'utf8')]),
      );
      // TypeScript's own verdict on each function's end, from the unwrapped program.
      const program = loadProgram({ cwd: virtualRoot, files: [...sources.keys()], overlays: sources });
      const checker = program.getTypeChecker();
      const ends = new Map([...sources.keys()].map((f) => [f, unreachableEnds(program.getSourceFile(f)!, checker)]));
      expect([...ends.values()].reduce((n, s) => n + s.size, 0)).toBeGreaterThan(100);

      for (const style of ['unlock', 'finally'] as const) {
        const run = wrapAndAnalyze(sources, style, ends);
        report(`TypeScript, ${style}`, sources, run);
        expect(run.result.filesAnalyzed).toBe(sources.size);
        expect(problems(run.result)).toEqual([]);
      }
    },
    TIMEOUT,
  );
});

describe('generated code', () => {
  /*
   * tsc accepts a 20,000-term `+` chain, but checking one costs tsc itself some 25 s (it walks up
   * the tree from every term), too slow for a test. What the test must prove is that nothing in
   * the checker recurses once per level: so it runs the real CLI with an eighth of V8's default
   * stack (984 KB) over 2,500 terms, the same stack per term as 20,000 at the default size. A
   * plain recursive walk of the same file, in the same budget, must overflow: the control that
   * shows the budget is tight enough to catch one.
   */
  const defaultStackKb = 984;
  const stackKb = Math.floor(defaultStackKb / 8);
  const terms = 2_500;
  const code = `import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
export function f(${Array.from({ length: 10 }, (_, i) => `x${i}: number`).join(', ')}): number {
  rcuReadLock();
  const v = ${Array.from({ length: terms }, (_, i) => `x${i % 10}`).join(' + ')};
  if (v < 0) return 0;
  rcuReadUnlock();
  return v;
}
`;

  function runNode(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [`--stack-size=${stackKb}`, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  afterAll(removeProjects);

  it(`a ${terms.toLocaleString('en')}-term \`+\` chain in a section, on 1/8 of the default stack, is analyzed, not skipped`, () => {
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/plus.ts': code });
    const r = runNode([cliPath, 'check', '--format', 'json'], dir);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as {
      skipped: unknown[];
      diagnostics: Array<{ ruleId: string; span: { startLine: number } }>;
    };
    expect(report.skipped).toEqual([]);
    // Analyzed for real: the early return leaves the section open.
    expect(report.diagnostics.map((d) => [d.ruleId, d.span.startLine])).toEqual([['rcu/unbalanced-read-lock', 5]]);
    expect(r.status).toBe(1);
  });

  it('control: a recursive walk of the same file overflows that stack', () => {
    const walk = `import ts from 'typescript';
const sf = ts.createSourceFile('plus.ts', ${JSON.stringify(code)}, ts.ScriptTarget.ES2022, true);
const walk = (n) => ts.forEachChild(n, walk);
try { walk(sf); console.log('walked'); } catch (e) { console.log(e instanceof RangeError ? 'overflow' : String(e)); }`;
    const r = runNode(['--input-type=module', '-e', walk], repoRoot);
    expect(r.stdout.trim()).toBe('overflow');
  });
});

describe('wrapInSections', () => {
  it('unlocks after evaluating what a return or an escaping throw carries, not before a caught throw', () => {
    const src = [
      'function f(a) {',
      '  try {',
      '    if (a) throw new Error("caught");',
      '    return g(a);',
      '  } catch (e) {',
      '    throw e;',
      '  }',
      '}',
      'async function h() { return 1; }',
      '',
    ].join('\n');
    const out = wrapInSections('/v/a.js', src, 'unlock').text;
    expect(out).toContain('if (a) throw new Error("caught");');
    expect(out).toContain('{ const __rcuResult = (g(a)); rcuReadUnlock(); return __rcuResult;; }');
    expect(out).toContain('{ const __rcuThrown = (e); rcuReadUnlock(); throw __rcuThrown;; }');
    expect(out).toContain('async function h() { return 1; }');
    expect(wrapInSections('/v/a.js', src, 'finally').text).toContain('function f(a) { rcuReadLock(); try {\n  try {');
  });
});
