/**
 * @fileoverview MarkFlow: a small may-analysis over a function's CFG for rules whose facts are
 * about what happened to one object held in a variable ("published here", "unlinked here")
 * rather than about locks and read-side sections. Each variable carries a value of the rule's
 * choosing; at joins a value survives if it holds on any path (the rule sees the bad path).
 * It reuses the engine's solver and CFG, and like the engine replays each reachable block once
 * after the fixpoint, in reverse post-order, so the rule reports each finding once.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../ast.js';
import type { BasicBlock, Edge } from '../../cfg/basic-block.js';
import type { ControlFlowGraph } from '../../cfg/control-flow-graph.js';
import { solveForward, type ForwardProblem } from '../../dataflow/solver.js';

/** Variable -> the rule's value for it. Immutable: steps return a new map when they change it. */
export type Marks<V> = ReadonlyMap<ts.Symbol, V>;

export interface MarkRules<V> {
  /** One element (an expression or declaration node, in evaluation order). `replay` is true once per element, after the fixpoint. */
  step(marks: Marks<V>, node: ts.Node, replay: boolean): Marks<V>;
  /** Refinement along a branch edge (`if (table.insert(p))`); optional. */
  edge?(marks: Marks<V>, edge: Edge): Marks<V>;
  /** Two values of one variable meeting at a join. */
  join(a: V, b: V): V;
  equals(a: V, b: V): boolean;
}

function joinMarks<V>(rules: MarkRules<V>, a: Marks<V>, b: Marks<V>): Marks<V> {
  if (a === b) return a;
  const out = new Map(a);
  for (const [k, vb] of b) {
    const va = a.get(k);
    out.set(k, va === undefined ? vb : rules.join(va, vb));
  }
  return out;
}

function marksEqual<V>(rules: MarkRules<V>, a: Marks<V>, b: Marks<V>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, va] of a) {
    const vb = b.get(k);
    if (vb === undefined || !rules.equals(va, vb)) return false;
  }
  return true;
}

/** Solve, then replay every reachable block once with `replay = true`. */
export function runMarkFlow<V>(cfg: ControlFlowGraph, rules: MarkRules<V>): void {
  const problem: ForwardProblem<Marks<V>> = {
    initial: new Map(),
    transferBlock: (block, entry) => stepBlock(rules, block, entry, false),
    transferEdge: (edge, out) =>
      rules.edge !== undefined && (edge.kind === 'true' || edge.kind === 'false') ? rules.edge(out, edge) : out,
    join: (a, b) => joinMarks(rules, a, b),
    equals: (a, b) => marksEqual(rules, a, b),
  };
  const solution = solveForward(cfg, problem);
  for (const block of cfg.reversePostOrder()) {
    const entry = solution.entry.get(block);
    if (entry !== undefined) stepBlock(rules, block, entry, true);
  }
}

function stepBlock<V>(rules: MarkRules<V>, block: BasicBlock, entry: Marks<V>, replay: boolean): Marks<V> {
  let m = entry;
  for (const el of block.elements) if (el.kind === 'node') m = rules.step(m, el.node, replay);
  return m;
}

export function withMark<V>(m: Marks<V>, sym: ts.Symbol, v: V | undefined): Marks<V> {
  if (v === undefined && !m.has(sym)) return m;
  const out = new Map(m);
  if (v === undefined) out.delete(sym);
  else out.set(sym, v);
  return out;
}

/**
 * The variable a declaration or plain assignment element defines, and the value it gets; for
 * the variable of a `for (const x of xs)` loop, `of` is the iterated expression.
 */
export function definition(
  node: ts.Node,
  checker: ts.TypeChecker,
): { sym: ts.Symbol; init: ts.Expression | undefined; of?: ts.Expression } | undefined {
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
    const sym = checker.getSymbolAtLocation(node.name);
    const loop = node.parent.parent;
    const of = ts.isForOfStatement(loop) && loop.initializer === node.parent ? loop.expression : undefined;
    return sym === undefined ? undefined : { sym, init: node.initializer, ...(of === undefined ? {} : { of }) };
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const l = skipParens(node.left);
    if (!ts.isIdentifier(l)) return undefined;
    const sym = checker.getSymbolAtLocation(l);
    return sym === undefined ? undefined : { sym, init: node.right };
  }
  return undefined;
}

/** A write to a property: `x.f = …`, `x.f += …`, `x.f++`, `x.a[i] = …`; returns the target. */
export function writtenProperty(node: ts.Node): ts.PropertyAccessExpression | ts.ElementAccessExpression | undefined {
  let target: ts.Expression | undefined;
  if (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  ) {
    target = node.left;
  } else if (
    (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
    (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
  ) {
    target = node.operand;
  }
  const t = target === undefined ? undefined : skipParens(target);
  return t !== undefined && (ts.isPropertyAccessExpression(t) || ts.isElementAccessExpression(t)) ? t : undefined;
}
