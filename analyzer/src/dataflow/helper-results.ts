/**
 * @fileoverview What a project helper's result means for its caller's facts, beyond what one
 * call's summary says: a value built from stabilized results (`pinOne(a) ?? pinOne(b)`), and a
 * helper that pins its argument when it returns truthy (`tryGetRef(obj)`, the kernel's
 * `dma_fence_get_rcu()`: refcountIncNotZero on a parameter, the result returned).
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

/** The argument a call pins when it returns truthy (its summary's pinsParam), as an identifier. */
export function pinnedArgument(call: ts.CallExpression, ctx: TransferContext): ts.Identifier | undefined {
  if (ctx.primitives.callKind(call) !== undefined) return undefined;
  const i = ctx.summaryOfCall(call)?.pinsParam;
  const a = i === undefined ? undefined : call.arguments[i];
  const x = a === undefined ? undefined : skipParens(a);
  return x !== undefined && ts.isIdentifier(x) ? x : undefined;
}
