/**
 * @fileoverview What a project helper's result means for its caller's facts, beyond what one
 * call's summary says: a value built from stabilized results (`pinOne(a) ?? pinOne(b)`). (A
 * helper that pins its argument when it returns truthy is its summary's `pinsParam`, applied in
 * branch-refinement.ts.)
 */

import { ts } from 'ts-morph';
import { isNullish, skipParens } from '../ast.js';
import type { TransferContext } from './rcu-transfer.js';

/**
 * Whether `x` is a stabilized reference or nothing: a call whose summary returns a stable or
 * fresh object, a table lookup, an updater's `rcuDereferenceProtected`, a nullish value, or a
 * fallback (`??`, `||`) or a choice (`c ? a : b`) between such.
 */
export function isStableResult(x0: ts.Expression, ctx: TransferContext): boolean {
  const x = skipParens(x0);
  if (isNullish(x)) return true;
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
