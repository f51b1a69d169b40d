/**
 * @fileoverview Which variables a fact may be correlated with, decided by symbol: the facts
 * analysis remembers a branch's assumption on a variable (`if (locked) …`, `if (old !== null) …`)
 * and forgets it at every assignment the control-flow graph shows. That is sound only for a
 * variable no other code can change behind the graph's back: a `const`, or a parameter or local
 * of the function being analyzed that no nested function assigns (a callback, even one that runs
 * in place, is a separate graph). Names never decide: a same-named variable in a nested callback
 * is another symbol, and destructuring assignments (`[locked] = …`, `({ locked } = …)`) and
 * `for (x of …)` heads are assignments like `x = …`.
 */

import { ts } from 'ts-morph';
import { isFunctionLike } from '../ast.js';

/**
 * Whether a branch assumption on `sym` may be kept while analyzing `fn`, forgotten at the
 * assignments of `fn`'s own graph: a `const` anywhere, or a parameter or local declared by
 * `fn` itself that no nested function assigns.
 */
export function isCorrelatable(sym: ts.Symbol, fn: ts.Node, checker: ts.TypeChecker): boolean {
  const d = sym.valueDeclaration;
  if (d === undefined) return false;
  if (isConstBinding(d)) return true;
  if (!ts.isParameter(d) && !ts.isVariableDeclaration(d) && !ts.isBindingElement(d)) return false;
  if (declaringFunction(d) !== fn) return false;
  return !assignedInNestedFunction(sym, d, checker);
}

/** Whether `id` is written by the expression around it: `id = …`, `id += …`, `id++`, a destructuring or `for…of` target. */
export function isWriteTarget(id: ts.Node): boolean {
  let n: ts.Node = id;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isBinaryExpression(p)) return p.left === n && isAssignmentOperator(p.operatorToken.kind);
  if (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p))
    return p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken;
  if (ts.isForInStatement(p) || ts.isForOfStatement(p)) return p.initializer === n;
  if (ts.isShorthandPropertyAssignment(p)) return p.name === n && isPatternTarget(p.parent);
  if (ts.isPropertyAssignment(p)) return p.initializer === n && isPatternTarget(p.parent);
  if (ts.isArrayLiteralExpression(p)) return isPatternTarget(p);
  if (ts.isSpreadElement(p) || ts.isSpreadAssignment(p)) return isPatternTarget(p.parent);
  return false;
}

/** Whether `id` is assigned by a `for (… of …)` / `for (… in …)` head (`for (x of xs)`, `for ([k, v] of m)`). */
export function isLoopHeadTarget(id: ts.Identifier): boolean {
  if (!isWriteTarget(id)) return false;
  let n: ts.Node = id;
  while (
    ts.isParenthesizedExpression(n.parent) ||
    ts.isArrayLiteralExpression(n.parent) ||
    ts.isObjectLiteralExpression(n.parent) ||
    ts.isShorthandPropertyAssignment(n.parent) ||
    ts.isPropertyAssignment(n.parent) ||
    ts.isSpreadElement(n.parent) ||
    ts.isSpreadAssignment(n.parent)
  )
    n = n.parent;
  return (ts.isForOfStatement(n.parent) || ts.isForInStatement(n.parent)) && n.parent.initializer === n;
}

/** The identifiers a destructuring assignment's pattern writes (`[a, { b, c: d }] = …` → a, b, d). */
export function patternTargets(pattern: ts.Expression): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      if (isWriteTarget(n)) out.push(n);
      return;
    }
    // Property names and computed keys are read, not written; nested functions are not the pattern.
    if (isFunctionLike(n) || ts.isComputedPropertyName(n)) return;
    if (ts.isPropertyAssignment(n)) visit(n.initializer);
    else ts.forEachChild(n, visit);
  };
  visit(pattern);
  return out;
}

/** The symbol a write target names (a shorthand `{ locked }` names the variable, not the property). */
export function writtenSymbol(id: ts.Identifier, checker: ts.TypeChecker): ts.Symbol | undefined {
  const p = id.parent;
  if (ts.isShorthandPropertyAssignment(p)) return checker.getShorthandAssignmentValueSymbol(p);
  return checker.getSymbolAtLocation(id);
}

function isAssignmentOperator(op: ts.SyntaxKind): boolean {
  return op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
}

/** An array or object literal used as an assignment pattern (`[a] = …`, `for ([k, v] of …)`, nested in one). */
function isPatternTarget(lit: ts.Node): boolean {
  let n = lit;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isBinaryExpression(p)) return p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken;
  if (ts.isForInStatement(p) || ts.isForOfStatement(p)) return p.initializer === n;
  if (ts.isArrayLiteralExpression(p)) return isPatternTarget(p);
  if (ts.isPropertyAssignment(p)) return p.initializer === n && isPatternTarget(p.parent);
  if (ts.isSpreadElement(p) || ts.isSpreadAssignment(p)) return isPatternTarget(p.parent);
  return false;
}

/** `const x`, or a name bound by a `const` destructuring. */
function isConstBinding(d: ts.Declaration): boolean {
  let n: ts.Node = d;
  while (ts.isBindingElement(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) n = n.parent;
  return ts.isVariableDeclaration(n) && ts.isVariableDeclarationList(n.parent)
    ? (n.parent.flags & ts.NodeFlags.Const) !== 0
    : false;
}

/** The function (or source file, for a top-level variable) whose graph a declaration belongs to. */
function declaringFunction(d: ts.Node): ts.Node {
  let n = d.parent;
  while (!isFunctionLike(n) && !ts.isSourceFile(n)) n = n.parent;
  return n;
}

/** Code that runs in its own activation, not where it is written: functions, class fields and static blocks. */
function runsElsewhere(n: ts.Node): boolean {
  return isFunctionLike(n) || ts.isClassStaticBlockDeclaration(n) || ts.isPropertyDeclaration(n);
}

const nestedAssignment = new WeakMap<ts.Symbol, boolean>();

/** Whether a function nested in the declaring one writes `sym` (compared by symbol, not by name). */
function assignedInNestedFunction(sym: ts.Symbol, d: ts.Node, checker: ts.TypeChecker): boolean {
  const cached = nestedAssignment.get(sym);
  if (cached !== undefined) return cached;
  const owner = declaringFunction(d);
  let found = false;
  // A work stack, not recursion: generated code nests expressions thousands deep.
  const work: Array<[ts.Node, boolean]> = [[owner, false]];
  while (!found && work.length > 0) {
    const [n, nested] = work.pop()!;
    if (nested && ts.isIdentifier(n) && n.text === sym.name && isWriteTarget(n) && writtenSymbol(n, checker) === sym)
      found = true;
    else ts.forEachChild(n, (c) => void work.push([c, nested || (runsElsewhere(c) && c !== owner)]));
  }
  nestedAssignment.set(sym, found);
  return found;
}
