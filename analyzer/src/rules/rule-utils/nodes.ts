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

/**
 * The `finally` block a return runs last before leaving the function (the outermost one around
 * it, from its `try` or `catch`), or undefined. A lock that a return leaves held has last been
 * missed there: that block is where a release was due for every path through it.
 */
export function lastFinallyBefore(exit: ts.Node): ts.Block | undefined {
  let found: ts.Block | undefined;
  let child: ts.Node = exit;
  for (let p = exit.parent; !ts.isSourceFile(p); child = p, p = p.parent) {
    if (ts.isFunctionLike(p) || ts.isClassStaticBlockDeclaration(p)) break;
    if (ts.isTryStatement(p) && p.finallyBlock !== undefined && child !== p.finallyBlock) found = p.finallyBlock;
  }
  return found;
}

/**
 * Where a finding about a return that leaves a lock held points: the closing brace of the last
 * `finally` it runs (see lastFinallyBefore), else the return itself (exitAnchor).
 */
export function leakAnchor(exit: ts.Node): ts.Node {
  if (!ts.isReturnStatement(exit)) return exitAnchor(exit);
  const fin = lastFinallyBefore(exit);
  return fin === undefined ? exit : (fin.getLastToken() ?? fin);
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
