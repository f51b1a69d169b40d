/**
 * @fileoverview Small node helpers the rules share: where to anchor a finding about a function
 * exit, the field an acquisition took, whether a read is part of an identity comparison.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../cfg/cfg-builder.js';

/** Where a finding about leaving a function points: the return/throw statement, or the closing brace. */
export function exitAnchor(node: ts.Node): ts.Node {
  if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) return node;
  if (ts.isSourceFile(node)) return node.endOfFileToken;
  if (ts.isFunctionLike(node)) {
    const body = (node as ts.FunctionLikeDeclaration).body;
    if (body !== undefined && ts.isBlock(body)) return body.getLastToken() ?? body;
    if (body !== undefined) return body;
  }
  return node;
}

/** The keyword that opens a statement (`if`, `for`, `while`, `switch`, `try`), or the node itself. */
export function keywordOf(node: ts.Node): ts.Node {
  if (ts.isIfStatement(node) || ts.isIterationStatement(node, false) || ts.isSwitchStatement(node) || ts.isTryStatement(node)) {
    return node.getFirstToken() ?? node;
  }
  return node;
}

/** The field a primitive call's first argument names: `siglock` in `spinLock(sighand.siglock)`. */
export function fieldOfCall(site: ts.Node): string | undefined {
  if (!ts.isCallExpression(site)) return undefined;
  const arg = site.arguments[0];
  if (arg === undefined) return undefined;
  const a = skipParens(arg);
  return ts.isPropertyAccessExpression(a) ? a.name.text : undefined;
}

/** The text of the call as the message quotes it: `spinLock(sighand.siglock)`. */
export function callText(site: ts.Node): string {
  if (ts.isCallExpression(site)) return site.getText().replace(/\s+/g, ' ');
  if (ts.isVariableDeclaration(site)) return `using ${site.name.getText()}`;
  return site.getText().split('\n')[0] ?? '';
}

/** Whether `node` (a member read) is an operand of `===`/`!==`/`==`/`!=`: an identity or key re-check. */
export function isComparisonOperand(node: ts.Node): boolean {
  let child = node;
  let p = node.parent;
  while (ts.isParenthesizedExpression(p) || ts.isPropertyAccessExpression(p) || ts.isNonNullExpression(p)) {
    child = p;
    p = p.parent;
  }
  if (!ts.isBinaryExpression(p) || (p.left !== child && p.right !== child)) return false;
  const op = p.operatorToken.kind;
  return (
    op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
    op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
    op === ts.SyntaxKind.EqualsEqualsToken ||
    op === ts.SyntaxKind.ExclamationEqualsToken
  );
}

/** The line of the last element of a block path, for "on the path through line N". */
export function lineOf(node: ts.Node): number {
  const sf = node.getSourceFile();
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

/** Calls that run their callback later, not during the call. */
export const DEFERRING_CALLEES: ReadonlySet<string> = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'nextTick', 'then', 'catch', 'finally', 'addEventListener', 'on', 'once', 'callRcu']);

/** An arrow or function expression passed straight to a call that runs it synchronously. */
export function isInlineCallback(fn: ts.Node): boolean {
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return false;
  let child: ts.Node = fn;
  let p = fn.parent;
  while (ts.isParenthesizedExpression(p)) {
    child = p;
    p = p.parent;
  }
  if (!ts.isCallExpression(p) || !p.arguments.includes(child as ts.Expression)) return false;
  const callee = skipParens(p.expression);
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
  return !DEFERRING_CALLEES.has(name);
}

/** Whether a symbol is declared outside `fn` (a captured variable); never for the top level. */
export function declaredOutside(sym: ts.Symbol, fn: ts.Node): boolean {
  if (ts.isSourceFile(fn)) return false;
  const d = sym.valueDeclaration ?? sym.declarations?.[0];
  if (d === undefined) return false;
  return d.getSourceFile() !== fn.getSourceFile() || d.pos < fn.pos || d.end > fn.end;
}
