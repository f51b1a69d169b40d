/**
 * @fileoverview Syntax helpers shared by the whole analyzer: which nodes are function-likes (each
 * gets its own control-flow graph) and what to call them, seeing through the wrappers that do
 * not change a value, the root of a member chain, equality operators, where a symbol is
 * declared. Syntax only: nothing here asks the type checker, and nothing here knows a rule.
 *
 * One copy of each: `skipParens` once existed twice and the copies had drifted apart (one did
 * not see through `satisfies` or `<T>x`). A wrapper that only changes the type changes nothing
 * the engine tracks, so every caller now sees through all of them.
 */

import { ts } from 'ts-morph';

/** A function body, arrow, method, accessor, constructor, or a whole source file's top level. */
export type FunctionLike = ts.FunctionLikeDeclaration | ts.SourceFile;

/** Function-likes whose bodies get their own graph. */
export function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** A readable name for messages and DOT dumps: `lockTaskSighand`, `Table.lookup`, `<arrow@12>`, `<top>`. */
export function functionName(fn: FunctionLike): string {
  if (ts.isSourceFile(fn)) return '<top>';
  const sf = fn.getSourceFile();
  const line = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
  let own: string | undefined;
  if (fn.name !== undefined && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) own = fn.name.text;
  else if (ts.isConstructorDeclaration(fn)) own = 'constructor';
  else if (ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) own = fn.parent.name.text;
  else if (ts.isPropertyAssignment(fn.parent) && ts.isIdentifier(fn.parent.name)) own = fn.parent.name.text;
  const cls =
    fn.parent !== undefined && (ts.isClassDeclaration(fn.parent) || ts.isClassExpression(fn.parent))
      ? fn.parent.name?.text
      : undefined;
  if (own === undefined) return `<${ts.isArrowFunction(fn) ? 'arrow' : 'function'}@${line}>`;
  return cls !== undefined ? `${cls}.${own}` : own;
}

/** Parentheses and the type-only wrappers `x as T`, `x!`, `x satisfies T`, `<T>x`: the value is the inner one. */
function isValueWrapper(
  n: ts.Node,
): n is
  ts.ParenthesizedExpression | ts.AsExpression | ts.NonNullExpression | ts.SatisfiesExpression | ts.TypeAssertion {
  return (
    ts.isParenthesizedExpression(n) ||
    ts.isAsExpression(n) ||
    ts.isNonNullExpression(n) ||
    ts.isSatisfiesExpression(n) ||
    ts.isTypeAssertionExpression(n)
  );
}

/** `e` without the wrappers around it: `((x as T))!` → `x`. */
export function skipParens(e: ts.Expression): ts.Expression {
  let x = e;
  while (isValueWrapper(x)) x = x.expression;
  return x;
}

/**
 * The outermost wrapper around `n` (`((x as T))` for `x`), or `n` itself: the node whose parent
 * says what happens to `n`'s value. The upward twin of skipParens.
 */
export function outermostWrapper(n: ts.Node): ts.Node {
  let w = n;
  while (isValueWrapper(w.parent)) w = w.parent;
  return w;
}

/** `v`, `v.node`, `v.a[i]` → the identifier at the root, if any. */
export function rootIdentifier(e: ts.Expression | undefined): ts.Identifier | undefined {
  if (e === undefined) return undefined;
  let x = skipParens(e);
  while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = skipParens(x.expression);
  return ts.isIdentifier(x) ? x : undefined;
}

/** `null` or `undefined`, wrapped or not. */
export function isNullish(e: ts.Expression): boolean {
  const x = skipParens(e);
  return x.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(x) && x.text === 'undefined');
}

/** `===`, `!==`, `==`, `!=`: the operators of an identity or key comparison. */
export function isEqualityOperator(op: ts.SyntaxKind): boolean {
  return (
    op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
    op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
    op === ts.SyntaxKind.EqualsEqualsToken ||
    op === ts.SyntaxKind.ExclamationEqualsToken
  );
}

/** Whether `node` (a member read) is an operand of `===`/`!==`/`==`/`!=`: an identity or key re-check. */
export function isComparisonOperand(node: ts.Node): boolean {
  let child = node;
  let p = node.parent;
  while (ts.isParenthesizedExpression(p) || ts.isPropertyAccessExpression(p) || ts.isNonNullExpression(p)) {
    child = p;
    p = p.parent;
  }
  return (
    ts.isBinaryExpression(p) && (p.left === child || p.right === child) && isEqualityOperator(p.operatorToken.kind)
  );
}

/** 1-based line of a node's first token, for messages ("on the path through line N"). */
export function lineOf(node: ts.Node): number {
  const sf = node.getSourceFile();
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

/** Whether a symbol is declared outside `fn` (a captured variable); never for the top level. */
export function declaredOutside(sym: ts.Symbol, fn: ts.Node): boolean {
  if (ts.isSourceFile(fn)) return false;
  const d = sym.valueDeclaration ?? sym.declarations?.[0];
  if (d === undefined) return false;
  return d.getSourceFile() !== fn.getSourceFile() || d.pos < fn.pos || d.end > fn.end;
}
