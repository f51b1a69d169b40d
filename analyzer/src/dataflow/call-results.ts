/**
 * @fileoverview Where a call's value goes, as the transfer functions need to know it: thrown
 * away (a `refcountIncNotZero()` whose verdict nobody tests), or stored in a variable whose
 * later tests stand for the call's result.
 */

import { ts } from 'ts-morph';
import { outermostWrapper, skipParens } from '../ast.js';

/**
 * Whether a call's value is thrown away: an expression statement or `void`, also as the right
 * operand of `&&`, `||`, `??` or a branch of `?:` in one (`x && refcountIncNotZero(r);`), or
 * any operand of a comma but the last.
 */
export function resultDiscarded(call: ts.CallExpression): boolean {
  let n: ts.Node = outermostWrapper(call);
  for (;;) {
    const p = n.parent;
    if (ts.isExpressionStatement(p) || ts.isVoidExpression(p)) return true;
    if (ts.isBinaryExpression(p)) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.CommaToken && p.left === n) return true;
      const passesOn =
        op === ts.SyntaxKind.CommaToken ||
        op === ts.SyntaxKind.AmpersandAmpersandToken ||
        op === ts.SyntaxKind.BarBarToken ||
        op === ts.SyntaxKind.QuestionQuestionToken;
      if (!passesOn || p.right !== n) return false;
    } else if (!ts.isConditionalExpression(p) || p.condition === n) return false;
    n = outermostWrapper(p);
  }
}

/** The variable name a call's value is stored in (`const x = f()` / `x = f()`), or the call itself. */
export function storedName(call: ts.CallExpression): ts.Node {
  const p = outermostWrapper(call).parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name;
  if (
    ts.isBinaryExpression(p) &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isIdentifier(skipParens(p.left))
  )
    return skipParens(p.left);
  return call;
}
