/**
 * @fileoverview The parameters a function changes on the strength of its caller's pin: it
 * writes one of their fields, links or unlinks one of their list nodes, sets their refcount or
 * lock word, or hands them to another function that does, where the parameter is stable only by
 * the parameter contract (not locked by its own lock, not referenced by the function itself,
 * outside any section of its own). A caller that passes an object it has not pinned there has it
 * changed while it may already be another object (nf_ct_delete() on a conntrack entry that
 * SLAB_TYPESAFE_BY_RCU may have recycled): what rcu/unstable-write reports.
 */

import { ts } from 'ts-morph';
import { outermostWrapper, skipParens } from '../ast.js';
import { isWriteTarget } from '../dataflow/assignments.js';
import type { FactEvent } from '../dataflow/events.js';
import type { FactState } from '../dataflow/facts.js';
import type { CallKind } from '../primitives/primitives.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';

/** Runtime primitives that change the object whose field they are given. */
const CHANGES_ITS_ARGUMENT: ReadonlySet<CallKind> = new Set<CallKind>([
  'hlistNullsAddHeadRcu',
  'hlistNullsDelRcu',
  'hlistNullsDelInitRcu',
  'hlistNullsReplaceRcu',
  'initHlistNullsNode',
  'refcountSet',
  'spinLockInit',
]);

/**
 * Whether `sym` is stable here only by the parameter contract (or `@owned`): not locked or
 * referenced by this function itself, and outside any read-side section.
 */
export function reliesOnContract(state: FactState, sym: ts.Symbol): boolean {
  if (state.readMin > 0) return false;
  const o = state.objs.get(sym);
  if (o?.origin !== 'owned' || o.refHeld !== undefined) return false;
  for (const l of state.locks.values()) if (l.must && l.obj === sym) return false;
  return true;
}

export function writtenParams(
  paramSyms: ReadonlyArray<ts.Symbol | undefined>,
  events: readonly FactEvent[],
  ctx: TransferContext,
): number[] {
  const found = new Set<number>();
  const changes = (node: ts.Node): boolean => {
    if (isWriteTarget(node)) return true;
    const p = outermostWrapper(node).parent;
    if (!ts.isCallExpression(p)) return false;
    const kind = ctx.primitives.callKind(p);
    return kind !== undefined && CHANGES_ITS_ARGUMENT.has(kind);
  };
  for (const e of events) {
    if (e.kind === 'deref' && e.sym !== undefined) {
      const i = paramSyms.indexOf(e.sym);
      const own = ts.isPropertyAccessExpression(e.node) || ts.isElementAccessExpression(e.node);
      if (i >= 0 && own && skipParens(e.base) === skipParens(e.node.expression) && changes(e.node))
        if (reliesOnContract(e.state, e.sym)) found.add(i);
    } else if (e.kind === 'call') {
      for (const j of e.summary.writesParams) {
        const a = e.node.arguments[j];
        const x = a === undefined ? undefined : skipParens(a);
        const sym = x !== undefined && ts.isIdentifier(x) ? ctx.checker.getSymbolAtLocation(x) : undefined;
        const i = sym === undefined ? -1 : paramSyms.indexOf(sym);
        if (i >= 0 && reliesOnContract(e.state, sym!)) found.add(i);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}
