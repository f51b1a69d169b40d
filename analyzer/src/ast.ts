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

/**
 * Code that gets its own control-flow graph: a function body, arrow, method, accessor,
 * constructor, a class's `static { }` block (run once, when the class is evaluated), or a
 * whole source file's top level.
 */
export type FunctionLike = ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration | ts.SourceFile;

/**
 * A file's top level or a class's `static { }` block: code that no call runs, with no
 * parameters, no annotations and no caller to summarize for.
 */
export function isTopLevelCode(fn: FunctionLike): fn is ts.SourceFile | ts.ClassStaticBlockDeclaration {
  return ts.isSourceFile(fn) || ts.isClassStaticBlockDeclaration(fn);
}

/** Nodes that get a graph of their own besides a file's top level: function-likes and static blocks. */
export function hasOwnGraph(node: ts.Node): node is ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration {
  return isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node);
}

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

/**
 * A readable name for messages and DOT dumps: `lockTaskSighand`, `Table.lookup`, `<arrow@12>`,
 * `Table.<static>` (a static block), `<top>`.
 */
export function functionName(fn: FunctionLike): string {
  if (ts.isSourceFile(fn)) return '<top>';
  const sf = fn.getSourceFile();
  const line = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
  let own: string | undefined;
  if (ts.isClassStaticBlockDeclaration(fn)) own = '<static>';
  else if (fn.name !== undefined && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) own = fn.name.text;
  else if (ts.isConstructorDeclaration(fn)) own = 'constructor';
  else if (ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) own = fn.parent.name.text;
  else if (ts.isPropertyAssignment(fn.parent) && ts.isIdentifier(fn.parent.name)) own = fn.parent.name.text;
  const cls = ts.isClassDeclaration(fn.parent) || ts.isClassExpression(fn.parent) ? fn.parent.name?.text : undefined;
  if (own === undefined) return `<${ts.isArrowFunction(fn) ? 'arrow' : 'function'}@${line}>`;
  if (cls === undefined && ts.isClassStaticBlockDeclaration(fn)) return `<static@${line}>`;
  return cls !== undefined ? `${cls}.${own}` : own;
}

/** Parentheses and the type-only wrappers `x as T`, `x!`, `x satisfies T`, `<T>x`: the value is the inner one. */
export function isValueWrapper(
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

/** What a `walkTree` visitor asks for next: go on (the default), not into this node, or stop the walk. */
export type WalkStep = 'skip' | 'stop' | undefined;

/**
 * Visit the nodes under `root` in source order, each before its children, with an explicit
 * work stack rather than recursion: generated code has left-deep `+` chains tens of thousands
 * of operands long, which TypeScript parses and checks (its binder and checker use work stacks
 * too) and which a recursive walk would overflow on. `from: 'children'` leaves `root` itself
 * unvisited. Returns whether a visitor stopped the walk.
 */
export function walkTree(root: ts.Node, visit: (n: ts.Node) => WalkStep, from: 'root' | 'children' = 'root'): boolean {
  const stack: ts.Node[] = [];
  const pushChildren = (n: ts.Node): void => {
    const first = stack.length;
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
    // Pushed in source order; reversed so that the first child is popped first.
    for (let i = first, j = stack.length - 1; i < j; i++, j--) [stack[i], stack[j]] = [stack[j]!, stack[i]!];
  };
  if (from === 'root') stack.push(root);
  else pushChildren(root);
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    const step = visit(n);
    if (step === 'stop') return true;
    if (step !== 'skip') pushChildren(n);
  }
  return false;
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

/** A loop statement: while, do, for, for-of, for-in. */
export function isLoop(s: ts.Node): s is ts.IterationStatement {
  return (
    ts.isWhileStatement(s) ||
    ts.isDoStatement(s) ||
    ts.isForStatement(s) ||
    ts.isForOfStatement(s) ||
    ts.isForInStatement(s)
  );
}

/**
 * The field a `const` alias stands for: `const lock = sighand.siglock` names the same lock as
 * `sighand.siglock` wherever `lock` is used. `decl` is the alias's declaration, as the checker
 * resolves it.
 */
export function constAliasedField(decl: ts.Declaration | undefined): ts.PropertyAccessExpression | undefined {
  if (decl === undefined || !ts.isVariableDeclaration(decl) || decl.initializer === undefined) return undefined;
  if (!ts.isVariableDeclarationList(decl.parent) || (decl.parent.flags & ts.NodeFlags.Const) === 0) return undefined;
  const init = skipParens(decl.initializer);
  return ts.isPropertyAccessExpression(init) ? init : undefined;
}

/** Whether a statement can never complete normally (it jumps away: `continue`, `return`, …). */
export function jumpsAway(s: ts.Statement): boolean {
  if (ts.isBlock(s)) {
    const last = s.statements[s.statements.length - 1];
    return last !== undefined && jumpsAway(last);
  }
  return ts.isContinueStatement(s) || ts.isBreakStatement(s) || ts.isReturnStatement(s) || ts.isThrowStatement(s);
}
