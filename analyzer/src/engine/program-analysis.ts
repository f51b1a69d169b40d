/**
 * @fileoverview ProgramAnalysis: per-program state shared by all functions — the checker, the
 * primitive resolver, each function's analysis (computed once, on demand, so that a callee is
 * analyzed before the caller that needs its summary: summaries are built bottom-up), and
 * recursion guarding (a call back into a function still being analyzed uses no summary).
 */

import { ts } from 'ts-morph';
import { hasOwnGraph, isFunctionLike, walkTree, type FunctionLike } from '../ast.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';
import { Primitives } from '../primitives/primitives.js';
import type { FunctionSummary } from '../summaries/summary.js';
import { analyzeFunction, type FunctionAnalysis } from '../summaries/function-analysis.js';

export class ProgramAnalysis implements TransferContext {
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  private readonly analyses = new Map<FunctionLike, FunctionAnalysis>();
  private readonly inProgress = new Set<FunctionLike>();
  private readonly indexes = new Map<ts.SourceFile, Map<FunctionLike, number>>();

  constructor(readonly program: ts.Program) {
    this.checker = program.getTypeChecker();
    this.primitives = new Primitives(this.checker, program);
  }

  /** The function-likes (static blocks included) of a file in source order; index 0 is the file's top level. */
  functionsOf(sf: ts.SourceFile): FunctionLike[] {
    return [...this.indexOf(sf).keys()];
  }

  private indexOf(sf: ts.SourceFile): Map<FunctionLike, number> {
    let m = this.indexes.get(sf);
    if (m !== undefined) return m;
    m = new Map<FunctionLike, number>([[sf, 0]]);
    const found = m;
    walkTree(
      sf,
      (n) => {
        if (hasOwnGraph(n) && n.body !== undefined) found.set(n, found.size);
        return undefined;
      },
      'children',
    );
    this.indexes.set(sf, m);
    return m;
  }

  analysisOf(fn: FunctionLike): FunctionAnalysis | undefined {
    const done = this.analyses.get(fn);
    if (done !== undefined) return done;
    if (this.inProgress.has(fn)) return undefined;
    this.inProgress.add(fn);
    try {
      const sf = fn.getSourceFile();
      const a = analyzeFunction(fn, this.indexOf(sf).get(fn) ?? 0, this);
      this.analyses.set(fn, a);
      return a;
    } finally {
      this.inProgress.delete(fn);
    }
  }

  /** The project function a call invokes (declarations with a body in a non-declaration file). */
  calleeFunction(call: ts.CallExpression): FunctionLike | undefined {
    const sym = this.primitives.calleeSymbol(call);
    const decl = sym?.valueDeclaration ?? sym?.declarations?.[0];
    if (decl === undefined || decl.getSourceFile().isDeclarationFile) return undefined;
    if (isFunctionLike(decl)) return decl.body !== undefined ? decl : undefined;
    if ((ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl)) && decl.initializer !== undefined) {
      const init = decl.initializer;
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
    return undefined;
  }

  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined {
    const fn = this.calleeFunction(call);
    return fn === undefined ? undefined : this.analysisOf(fn)?.summary;
  }
}
