/**
 * @fileoverview CFG fixtures: each file in analyzer/test/fixtures/cfg/ is named
 * `<construct>--<variant>.ts` and holds its expected edges in a closing comment; the graph of its
 * first function (or static block) must have exactly those edges (and unreachable blocks), in
 * creation order. Graphs are built with the type checker's FlowOracle, as the engine builds
 * them (calls typed `never` end their path, exhaustive switches have no way past the last test).
 */

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { hasOwnGraph } from '../src/ast.js';
import { CfgBuilder } from '../src/cfg/cfg-builder.js';
import { edgeList, toDot } from '../src/cfg/debug-dot.js';
import { fixturesRoot, listFixtureFiles } from '../src/eval/fixture-check.js';
import { checkerFlowOracle } from '../src/summaries/flow-oracle.js';

const dir = join(fixturesRoot(), 'cfg');
const project = new Project({
  compilerOptions: {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2024.d.ts', 'lib.esnext.disposable.d.ts'],
  },
});

function firstFunction(sf: ts.SourceFile): ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration {
  let found: ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if (found === undefined && hasOwnGraph(n) && n.body !== undefined) found = n;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  if (found === undefined) throw new Error(`no function in ${sf.fileName}`);
  return found;
}

function expectedEdges(text: string): string[] {
  const m = /\/\* expected edges[^\n]*\n([\s\S]*?)\*\//.exec(text);
  if (m === null) throw new Error('fixture has no expected edges comment');
  return m[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

describe('CFG fixtures', () => {
  const files = listFixtureFiles(dir);
  it('has fixtures named <construct>--<variant>.ts', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) expect(basename(f)).toMatch(/^[a-z-]+--[a-z-]+\.ts$/);
  });
  for (const file of files) {
    it(basename(file, '.ts'), () => {
      const text = readFileSync(file, 'utf8');
      const source = project.createSourceFile(file, text, { overwrite: true });
      const oracle = checkerFlowOracle(project.getTypeChecker().compilerObject);
      const cfg = CfgBuilder.build(firstFunction(source.compilerNode), 1, oracle);
      expect(edgeList(cfg)).toEqual(expectedEdges(text));
    });
  }
});

describe('CFG builder', () => {
  it('flags unreachable code instead of dropping it, and dumps DOT', () => {
    const sf = project.createSourceFile(
      '/virtual/dead.ts',
      'function f() { return 1; g(); }\ndeclare function g(): void;',
      { overwrite: true },
    ).compilerNode;
    const cfg = CfgBuilder.build(firstFunction(sf), 1);
    const dead = cfg.blocks.filter((b) => !b.reachable && b.elements.length > 0);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.elements.some((e) => e.kind === 'node' && e.node.getText() === 'g()')).toBe(true);
    const dot = toDot(cfg);
    expect(dot).toContain('style=dashed');
    expect(dot).toMatch(/f1_b0 -> f1_b1/);
  });

  it('copies a finally body onto each path through it', () => {
    const code =
      'function f(a: boolean) { try { if (a) return 1; } finally { cleanup(); } return 2; }\ndeclare function cleanup(): void;';
    const sf = project.createSourceFile('/virtual/fin.ts', code, { overwrite: true }).compilerNode;
    const cfg = CfgBuilder.build(firstFunction(sf), 1);
    const copies = cfg.blocks.filter((b) =>
      b.elements.some((e) => e.kind === 'node' && ts.isCallExpression(e.node) && e.node.getText() === 'cleanup()'),
    );
    // The return path, the normal path, and the exceptional path each run their own copy.
    expect(copies.filter((b) => b.reachable).length).toBeGreaterThanOrEqual(2);
  });

  it('walks 20,000-link chains (as generated code has) with work stacks, not recursion', () => {
    const n = 20_000;
    const terms = (sep: string) => Array.from({ length: n }, (_, i) => `x${i % 10}`).join(sep);
    const params = Array.from({ length: 10 }, (_, i) => `x${i}: any`).join(', ');
    const values = {
      plus: terms(' + '),
      nullish: terms(' ?? '),
      comma: `(${terms(', ')})`,
      member: 'x0' + '.p'.repeat(n),
      calls: 'x0' + '.f()'.repeat(n),
      element: 'x0' + '[x1]'.repeat(n),
    };
    const bodies = [
      ...Object.entries(values).map(([name, e]) => [name, `const v = ${e};\n  return v;`] as const),
      ['and', `if (${terms(' && ')}) return 1;\n  return 0;`] as const,
      ['or', `if (!(${terms(' || ')})) return 1;\n  return 0;`] as const,
    ];
    for (const [name, body] of bodies) {
      const code = `function f(${params}) {\n  ${body}\n}`;
      const sf = project.createSourceFile(`/virtual/chain-${name}.ts`, code, { overwrite: true }).compilerNode;
      const cfg = CfgBuilder.build(firstFunction(sf), 1);
      const elements = cfg.blocks.reduce((k, b) => k + b.elements.length, 0);
      expect(elements, name).toBeGreaterThan(name === 'and' || name === 'or' ? n - 1 : n);
      expect(cfg.exit.reachable, name).toBe(true);
    }
  });

  it('builds a long straight-line function without deep recursion', () => {
    const body = Array.from({ length: 6_000 }, (_, i) => `  if (x > ${i}) x--;`).join('\n');
    const sf = project.createSourceFile('/virtual/long.ts', `function f(x: number) {\n${body}\n  return x;\n}`, {
      overwrite: true,
    }).compilerNode;
    const cfg = CfgBuilder.build(firstFunction(sf), 1);
    expect(cfg.reversePostOrder().length).toBeGreaterThan(12_000);
  });
});
