/**
 * @fileoverview ProgramAnalysis: per-program state shared by all functions — the checker, the
 * primitive resolver, each function's analyses (computed once, on demand), and recursion
 * guarding. Two analyses per function at most: the base one, entered as its annotations say,
 * whose summary its callers apply (computed before the caller that needs it: summaries are
 * built bottom-up; a call back into a function still being analyzed uses no summary), and the
 * one the rules read, entered with its callers' facts where those are known (a callback run in
 * place, a private helper: top-down, summaries/entry-context.ts) — the same object when there
 * is nothing to add.
 */

import { ts } from 'ts-morph';
import { hasOwnGraph, isFunctionLike, walkTree, type FunctionLike } from '../ast.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';
import type { StructDecl } from '../primitives/slab-model.js';
import { FreePathLocks } from '../summaries/free-path-locks.js';
import { Primitives } from '../primitives/primitives.js';
import type { FunctionSummary } from '../summaries/summary.js';
import { unreleasedAcquires } from '../summaries/acquire-use.js';
import { directCallSites } from '../summaries/call-sites.js';
import { visibleCallSites } from '../summaries/visible-callers.js';
import { type CallerView, enclosingFunction, entryContextOf } from '../summaries/entry-context.js';
import { analyzeFunction, type CallerSite, type FunctionAnalysis } from '../summaries/function-analysis.js';
import { GuardedByModel } from '../summaries/guarded-by.js';
import { inheritedReadLockEntry } from '../summaries/inherited-read-lock.js';
import { declaredSummary, isBodilessDeclaration, type BodilessDeclaration } from '../summaries/declared-summary.js';
import { judgeCollection } from '../summaries/pinned-collections.js';

export class ProgramAnalysis implements TransferContext, CallerView {
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  /** Entered as the annotations say: what callers' summaries come from. */
  private readonly base = new Map<FunctionLike, FunctionAnalysis>();
  private readonly inProgress = new Set<FunctionLike>();
  /** Entered with the callers' facts where those are known: what the rules read. */
  private readonly refined = new Map<FunctionLike, FunctionAnalysis>();
  private readonly refining = new Set<FunctionLike>();
  private readonly indexes = new Map<ts.SourceFile, Map<FunctionLike, number>>();
  /** Which data each lock guards, gathered on demand from the analyses the rules read. */
  readonly guards: GuardedByModel = new GuardedByModel(this);
  /** Collections judged to hold only pinned objects (summaries/pinned-collections.ts), in judging order. */
  private readonly collections = new Map<ts.Symbol, boolean>();
  private readonly judging = new Set<ts.Symbol>();
  /** Summaries of body-less declarations, from their annotations (null: they state nothing). */
  private readonly declared = new Map<BodilessDeclaration, FunctionSummary | null>();

  private readonly freeLocks: FreePathLocks;

  constructor(readonly program: ts.Program) {
    this.checker = program.getTypeChecker();
    this.primitives = new Primitives(this.checker, program);
    this.freeLocks = new FreePathLocks(program, this.checker, this.primitives);
  }

  freePathLocks(struct: StructDecl): ReadonlySet<string> {
    return this.freeLocks.pathsFor(struct);
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

  private indexIn(fn: FunctionLike): number {
    return this.indexOf(fn.getSourceFile()).get(fn) ?? 0;
  }

  /** The analysis a function's summary comes from: entered as its annotations say. */
  baseAnalysisOf(fn: FunctionLike): FunctionAnalysis | undefined {
    const done = this.base.get(fn);
    if (done !== undefined) return done;
    if (this.inProgress.has(fn)) return undefined;
    this.inProgress.add(fn);
    try {
      const a = analyzeFunction(fn, this.indexIn(fn), this);
      this.base.set(fn, a);
      return a;
    } finally {
      this.inProgress.delete(fn);
    }
  }

  /**
   * The analysis the rules read: entered with its callers' facts where every caller is known
   * (summaries/entry-context.ts), else the base analysis. On a cycle (a callback of a helper
   * that calls it back), the base analysis stands in.
   */
  analysisOf(fn: FunctionLike): FunctionAnalysis | undefined {
    const done = this.refined.get(fn);
    if (done !== undefined) return done;
    if (this.refining.has(fn)) return this.baseAnalysisOf(fn);
    this.refining.add(fn);
    try {
      const entry = entryContextOf(fn, this) ?? inheritedReadLockEntry(fn, this);
      let a = entry === undefined ? this.baseAnalysisOf(fn) : analyzeFunction(fn, this.indexIn(fn), this, entry);
      if (a === undefined) return a;
      const unreleased = a.callersKnown ? unreleasedAcquires(fn, a, this) : undefined;
      if (unreleased !== undefined) a = { ...a, unreleased };
      this.refined.set(fn, a);
      return a;
    } finally {
      this.refining.delete(fn);
    }
  }

  /**
   * A private helper's calls (call-sites.ts), each with its caller's analysis, or undefined when
   * the function may be called from code the checker does not see. Recursive calls are left out.
   */
  callersOf(fn: FunctionLike): readonly CallerSite[] | undefined {
    const calls = directCallSites(fn, this.checker);
    if (calls === undefined) return undefined;
    const out: CallerSite[] = [];
    for (const call of calls) {
      const caller = enclosingFunction(call);
      if (caller === fn) continue;
      const analysis = this.analysisOf(caller);
      if (analysis !== undefined) out.push({ call, analysis });
    }
    return out;
  }

  /**
   * Every call of the function the program holds, each with its caller's analysis, exported
   * or not: evidence of what its callers rely on, not the complete list (callersOf is that).
   */
  visibleCallersOf(fn: FunctionLike): readonly CallerSite[] {
    const out: CallerSite[] = [];
    for (const call of directCallSites(fn, this.checker) ?? visibleCallSites(fn, this.program, this.checker)) {
      const caller = enclosingFunction(call);
      if (caller === fn) continue;
      const analysis = this.analysisOf(caller);
      if (analysis !== undefined) out.push({ call, analysis });
    }
    return out;
  }

  /** The project function a call invokes (declarations with a body in a non-declaration file). */
  calleeFunction(call: ts.CallExpression): FunctionLike | undefined {
    const sym = this.primitives.calleeSymbol(call);
    // An overloaded function's first declaration is a signature: its implementation has the body.
    const decl =
      sym?.declarations?.find((d) => isFunctionLike(d) && d.body !== undefined) ??
      sym?.valueDeclaration ??
      sym?.declarations?.[0];
    if (decl === undefined || decl.getSourceFile().isDeclarationFile) return undefined;
    if (isFunctionLike(decl)) return decl.body !== undefined ? decl : undefined;
    if ((ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl)) && decl.initializer !== undefined) {
      const init = decl.initializer;
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
    return undefined;
  }

  /**
   * Whether every value put into the collection is pinned (summaries/pinned-collections.ts).
   * While one is judged its own reads count as pinned (a store may put back what was read out);
   * when the verdict is no, what was analyzed or judged under that assumption is forgotten.
   */
  pinnedCollection(sym: ts.Symbol): boolean {
    const known = this.collections.get(sym);
    if (known !== undefined) return known;
    if (this.judging.has(sym)) return true;
    const mark = { base: this.base.size, refined: this.refined.size, collections: this.collections.size };
    this.judging.add(sym);
    let verdict = false;
    try {
      verdict = judgeCollection(sym, this);
    } finally {
      this.judging.delete(sym);
    }
    if (!verdict) {
      forgetAfter(this.base, mark.base);
      forgetAfter(this.refined, mark.refined);
      forgetAfter(this.collections, mark.collections);
    }
    this.collections.set(sym, verdict);
    return verdict;
  }

  /** An analysis of `fn` made afresh and not kept: what judging a collection's stores reads. */
  probeAnalysis(fn: FunctionLike): FunctionAnalysis | undefined {
    return analyzeFunction(fn, this.indexIn(fn), this, entryContextOf(fn, this));
  }

  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined {
    const fn = this.calleeFunction(call);
    return fn === undefined ? this.declaredSummaryOfCall(call) : this.baseAnalysisOf(fn)?.summary;
  }

  /**
   * The contract a body-less declaration of the project's own states (summaries/declared-summary.ts).
   * A library's declarations are left alone: the runtime's primitives are modelled by kind, and
   * other libraries' JSDoc tags mean nothing here.
   */
  private declaredSummaryOfCall(call: ts.CallExpression): FunctionSummary | undefined {
    if (this.primitives.callKind(call) !== undefined) return undefined;
    const sym = this.primitives.calleeSymbol(call);
    const decl = sym?.declarations?.find(isBodilessDeclaration);
    if (decl === undefined) return undefined;
    const sf = decl.getSourceFile();
    if (this.program.isSourceFileFromExternalLibrary(sf) || this.program.isSourceFileDefaultLibrary(sf))
      return undefined;
    let known = this.declared.get(decl);
    if (known === undefined) this.declared.set(decl, (known = declaredSummary(decl) ?? null));
    return known ?? undefined;
  }
}

/** Delete the entries a map gained after its first `keep` (insertion order). */
function forgetAfter<K, V>(m: Map<K, V>, keep: number): void {
  let i = 0;
  for (const k of [...m.keys()]) if (i++ >= keep) m.delete(k);
}
