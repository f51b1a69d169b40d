/**
 * @fileoverview Returns that hand back an object neither locked nor referenced where the
 * function's contract says it is pinned. The contract is read two ways:
 * - the function itself returns the same object pinned on another path (`dma_fence_get_rcu()`
 *   returns the fence referenced, or NULL): a caller cannot tell the two apart, so it either
 *   leaks the reference or uses an object that may already be another;
 * - a private helper's callers rely on its result being pinned (caller-reliance.ts);
 * - it returns a parameter as its answer, and a caller (any the program holds) takes a truthy
 *   answer as a reference taken on that argument (verdict-reliance.ts: `dma_fence_get_rcu()`);
 * - it returns from inside a read-side section it opened and may not leave held (no
 *   `@acquires rcu`, and not a private helper whose every return holds it): by its contract the
 *   section ends at the return, so the candidate leaves it unpinned, as after an unlock.
 * Either way the bug is the helper's return, and it is reported there. A return after the
 * object's section ended is rcu/reference-escape's usedAfterSection already.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../ast.js';
import { isStable, type FactState } from '../../dataflow/facts.js';
import { RCU_LOCK_NAME } from '../../summaries/annotations.js';
import type { RuleContext } from '../define-rule.js';
import { callerReliance, type Reliance } from './caller-reliance.js';
import { verdictReliance, type VerdictReliance } from './verdict-reliance.js';

export interface UnpinnedReturn {
  /** The returned expression. */
  readonly node: ts.Identifier;
  readonly sym: ts.Symbol;
  readonly loadSite: ts.Node | undefined;
  /** Another return of the same object, pinned there. */
  readonly pinnedAt: ts.Node | undefined;
  /** A caller that relies on the result being pinned (when no return of it is pinned). */
  readonly reliance: Reliance | undefined;
  /** The read-side section the return leaves open against the function's contract: where it was opened. */
  readonly leftOpen: ts.Node | undefined;
  /** A caller that takes the returned parameter, as a truthy answer, to be referenced. */
  readonly verdict: VerdictReliance | undefined;
}

function isParameterOf(sym: ts.Symbol, fn: ts.Node): boolean {
  const d = sym.valueDeclaration;
  return d !== undefined && ts.isParameter(d) && d.parent === fn;
}

export function unpinnedReturns<M extends string>(ctx: RuleContext<M>): UnpinnedReturn[] {
  const fn = ctx.analysis.cfg.fn;
  // A parameter of a function entered inside a read-side section is a candidate its caller
  // found, tracked only once something is done to it: untracked, it is still unpinned.
  const candidateParams = ctx.analysis.initial.readMin > 0;
  const pinned = new Map<ts.Symbol, ts.Node>();
  const unpinned: Array<
    Omit<UnpinnedReturn, 'pinnedAt' | 'reliance' | 'leftOpen' | 'verdict'> & { depth: number; loadDepth: number }
  > = [];
  const consider = (x: ts.Identifier, sym: ts.Symbol, state: FactState): void => {
    const o = state.objs.get(sym);
    if (isStable(state, sym)) {
      if (!pinned.has(sym)) pinned.set(sym, x);
      return;
    }
    if (
      o === undefined
        ? !(candidateParams && isParameterOf(sym, fn))
        : o.graceFreed !== undefined || (o.origin === 'rcu' && o.sectionEnded !== undefined)
    )
      return;
    unpinned.push({ node: x, sym, loadSite: o?.loadSite, depth: state.readMin, loadDepth: o?.loadDepth ?? 0 });
  };
  const used = new Set<ts.Node>();
  for (const e of ctx.events) {
    // A tracked object's return is a use, with the facts where the value is taken (before a
    // `using` guard's disposal ends the section); an untracked candidate parameter's, the exit.
    if (e.kind === 'use' && e.how === 'return') {
      used.add(e.node);
      consider(e.node, e.sym, e.state);
    }
    if (!candidateParams || e.kind !== 'exit' || e.how !== 'return' || !ts.isReturnStatement(e.node)) continue;
    const x = e.node.expression === undefined ? undefined : skipParens(e.node.expression);
    if (x === undefined || !ts.isIdentifier(x) || !ctx.primitives.isTypeStableExpr(x)) continue;
    const sym = ctx.checker.getSymbolAtLocation(x);
    if (sym !== undefined && !e.state.objs.has(sym) && !used.has(x)) consider(x, sym, e.state);
  }
  if (unpinned.length === 0) return [];
  let reliance: Reliance | null | undefined;
  const relied = (): Reliance | undefined => {
    if (reliance === undefined) {
      const callers = ctx.callersOf();
      reliance = (callers === undefined ? undefined : callerReliance(callers, ctx.checker, ctx.primitives)) ?? null;
    }
    return reliance ?? undefined;
  };
  // Whether the function may return holding a section it opened: declared, or inferred for a
  // private helper whose every return holds the same depth (rcu/unbalanced-read-lock's rule).
  const entry = ctx.analysis.initial.readMin;
  const depths = new Set<number>();
  for (const e of ctx.events) if (e.kind === 'exit' && e.how === 'return') depths.add(e.state.readMin);
  const mayHold =
    ctx.analysis.annotations.acquires.includes(RCU_LOCK_NAME) || (ctx.analysis.callersKnown && depths.size === 1);
  const opened = ctx.events.find((e) => e.kind === 'readLock')?.node;
  const out: UnpinnedReturn[] = [];
  for (const { depth, loadDepth, ...u } of unpinned) {
    const pinnedAt = pinned.get(u.sym);
    const leftOpen = !mayHold && depth > entry && loadDepth > entry ? (opened ?? u.node) : undefined;
    const r = pinnedAt === undefined && leftOpen === undefined ? relied() : undefined;
    const param =
      ts.isSourceFile(fn) || ts.isClassStaticBlockDeclaration(fn)
        ? -1
        : fn.parameters.findIndex((p) => p === u.sym.valueDeclaration);
    const verdict =
      pinnedAt === undefined && leftOpen === undefined && r === undefined && param >= 0
        ? verdictReliance(ctx.visibleCallersOf(), param, ctx.checker, ctx.primitives)
        : undefined;
    if (pinnedAt !== undefined || r !== undefined || leftOpen !== undefined || verdict !== undefined)
      out.push({ ...u, pinnedAt, reliance: r, leftOpen, verdict });
  }
  return out;
}
