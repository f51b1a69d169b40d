/**
 * @fileoverview What a project helper's result means for its caller's facts, beyond what one
 * call's summary says: a value built from stabilized results (`pinOne(a) ?? pinOne(b)`), a
 * pinned result folded with a null test (`x === null ? null : pin(x)`). (A
 * helper that pins its argument when it returns truthy is its summary's `pinsParam`, applied in
 * branch-refinement.ts.)
 */

import { ts } from 'ts-morph';
import { isNullish, skipParens } from '../ast.js';
import { elementSource, iteratedCollection } from './collection-reads.js';
import type { FactState } from './facts.js';
import type { TransferContext } from './rcu-transfer.js';

/**
 * Whether `x` is a stabilized reference or nothing: a call whose summary returns a stable or
 * fresh object, a table lookup, an updater's `rcuDereferenceProtected`, a value read out of a
 * collection that holds only pinned objects, a nullish value, or a fallback (`??`, `||`) or a choice (`c ? a : b`) between such.
 */
export function isStableResult(x0: ts.Expression, ctx: TransferContext): boolean {
  const x = skipParens(x0);
  if (isNullish(x)) return true;
  if (isPinnedElement(x, ctx)) return true;
  if (ts.isCallExpression(x)) {
    const kind = ctx.primitives.callKind(x);
    if (kind === 'tableLookup' || kind === 'tableLookupLocked' || kind === 'rcuDereferenceProtected') return true;
    if (kind !== undefined) return false;
    const summary = ctx.summaryOfCall(x);
    return summary !== undefined && (summary.returnsStable || summary.returnsFresh);
  }
  if (ts.isBinaryExpression(x)) {
    const op = x.operatorToken.kind;
    if (op !== ts.SyntaxKind.QuestionQuestionToken && op !== ts.SyntaxKind.BarBarToken) return false;
    return isStableResult(x.left, ctx) && isStableResult(x.right, ctx);
  }
  if (ts.isConditionalExpression(x)) return isStableResult(x.whenTrue, ctx) && isStableResult(x.whenFalse, ctx);
  return false;
}

/**
 * Whether `x` reads a type-stable value out of a collection whose every value is pinned
 * (summaries/pinned-collections.ts): the collection's reference keeps it.
 */
export function isPinnedElement(x: ts.Expression, ctx: TransferContext, whole = false): boolean {
  // `whole`: an entry or a record taken apart, whose parts are checked one by one.
  if (!whole && (ts.isIdentifier(x) || !ctx.primitives.isTypeStableExpr(x))) return false;
  const source = elementSource(x, ctx.checker, ctx.primitives);
  return source !== undefined && ctx.pinnedCollection(source);
}

/**
 * Whether what a `for…of` over `iterable` (or an iteration method's callback over it) gets is
 * pinned for the iteration: the values of a collection that holds only pinned objects, or what
 * a generator yields when it yields only objects it keeps pinned until it is resumed.
 */
export function pinnedIteration(iterable: ts.Expression, ctx: TransferContext): boolean {
  const x = skipParens(iterable);
  if (ts.isCallExpression(x) && ctx.primitives.callKind(x) === undefined && ctx.summaryOfCall(x)?.yieldsPinned === true)
    return true;
  const source = iteratedCollection(x, ctx.checker, ctx.primitives);
  return source !== undefined && ctx.pinnedCollection(source);
}

/**
 * Whether the object in `sym` is kept by a reference here, one that outlasts this point: taken
 * and revalidated, fresh, owned, or returned stable by a helper — not merely locked, since a
 * lock is dropped again before the holder lets go of it (put into a collection, yielded).
 */
export function pinnedHere(state: FactState, sym: ts.Symbol): boolean {
  const o = state.objs.get(sym);
  if (o === undefined || o.pending !== undefined) return false;
  if (o.refHeld !== undefined || o.origin === 'fresh' || o.origin === 'owned') return true;
  if (o.origin !== 'stable') return false;
  // Returned locked by a helper (`lockTaskSighand(t)`): its lock is all that keeps it.
  for (const l of state.locks.values()) if (l.obj === sym && l.site === o.loadSite) return false;
  return true;
}

/**
 * `found === null ? null : pinCandidate(found)`: the call, when it is to a helper whose result
 * is pinned but owes its re-check (returnsPinnedUnchecked, handsBackUnchecked), as the helper
 * may return null itself; otherwise `x`. Only for a helper whose call changes no lock or
 * section: the path that does not call must not look as if it did.
 */
export function pinnedCallOrNull(x: ts.Expression, ctx: TransferContext): ts.Expression {
  if (!ts.isConditionalExpression(x)) return x;
  const a = skipParens(x.whenTrue);
  const b = skipParens(x.whenFalse);
  const call = isNullish(a) ? b : isNullish(b) ? a : undefined;
  if (call === undefined || !ts.isCallExpression(call)) return x;
  const summary = ctx.summaryOfCall(call);
  if (summary === undefined || !(summary.returnsPinnedUnchecked || summary.handsBackUnchecked)) return x;
  const quiet =
    summary.readDelta === 0 &&
    summary.readDeltaByResult === undefined &&
    summary.acquires.length === 0 &&
    summary.releases.length === 0;
  return quiet ? call : x;
}
