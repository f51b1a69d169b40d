/**
 * @fileoverview What the rules share about presenting a finding: where to anchor one about a
 * function exit or a statement, the field an acquisition took, and how a message quotes a call.
 * Syntax helpers that are not about findings live in ast.ts.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../ast.js';

/** Where a finding about leaving a function points: the return/throw statement, or the closing brace. */
export function exitAnchor(node: ts.Node): ts.Node {
  if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) return node;
  if (ts.isSourceFile(node)) return node.endOfFileToken;
  if (ts.isClassStaticBlockDeclaration(node)) return node.body.getLastToken() ?? node;
  if (ts.isFunctionLike(node)) {
    const body = (node as ts.FunctionLikeDeclaration).body;
    if (body !== undefined && ts.isBlock(body)) return body.getLastToken() ?? body;
    if (body !== undefined) return body;
  }
  return node;
}

/** The keyword that opens a statement (`if`, `for`, `while`, `switch`, `try`), or the node itself. */
export function keywordOf(node: ts.Node): ts.Node {
  if (
    ts.isIfStatement(node) ||
    ts.isIterationStatement(node, false) ||
    ts.isSwitchStatement(node) ||
    ts.isTryStatement(node)
  ) {
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
