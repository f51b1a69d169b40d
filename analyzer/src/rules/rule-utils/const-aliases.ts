/**
 * @fileoverview Names that hold one object for the whole function: `const b = a` where `a` is a
 * `const` or a parameter the function never assigns (get_cred_rcu()'s `nonconstCred = cred`).
 * What is learnt of one — a failed refcountIncNotZero() on `b` — holds for the other, whichever
 * name the code goes on to use.
 */

import { ts } from 'ts-morph';
import { skipParens, walkTree } from '../../ast.js';

const cache = new WeakMap<ts.Node, Map<ts.Symbol, ts.Symbol[]>>();

function isAssignment(k: ts.SyntaxKind): boolean {
  return k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;
}

/** Each aliased name of `fn` with its other names (an empty map when there are none). */
export function constAliases(fn: ts.Node, checker: ts.TypeChecker): Map<ts.Symbol, ts.Symbol[]> {
  const hit = cache.get(fn);
  if (hit !== undefined) return hit;
  const assigned = new Set<ts.Symbol>();
  const pairs: Array<[ts.Symbol, ts.Symbol]> = [];
  walkTree(
    fn,
    (n) => {
      let target: ts.Expression | undefined;
      if (ts.isBinaryExpression(n) && isAssignment(n.operatorToken.kind)) target = n.left;
      else if (
        (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
        (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
      )
        target = n.operand;
      if (target !== undefined && ts.isIdentifier(skipParens(target))) {
        const s = checker.getSymbolAtLocation(skipParens(target));
        if (s !== undefined) assigned.add(s);
      }
      if (
        ts.isVariableDeclaration(n) &&
        ts.isIdentifier(n.name) &&
        n.initializer !== undefined &&
        ts.isVariableDeclarationList(n.parent) &&
        (n.parent.flags & ts.NodeFlags.Const) !== 0
      ) {
        const init = skipParens(n.initializer);
        const to = checker.getSymbolAtLocation(n.name);
        const from = ts.isIdentifier(init) ? checker.getSymbolAtLocation(init) : undefined;
        const d = from?.valueDeclaration;
        const stable =
          d !== undefined &&
          (ts.isParameter(d) ||
            (ts.isVariableDeclaration(d) &&
              ts.isVariableDeclarationList(d.parent) &&
              (d.parent.flags & ts.NodeFlags.Const) !== 0));
        if (to !== undefined && from !== undefined && stable) pairs.push([to, from]);
      }
      return undefined;
    },
    'children',
  );
  // Union the pairs whose source is never reassigned into groups of names.
  const group = new Map<ts.Symbol, Set<ts.Symbol>>();
  for (const [to, from] of pairs) {
    if (assigned.has(from)) continue;
    const g = new Set([...(group.get(to) ?? [to]), ...(group.get(from) ?? [from])]);
    for (const s of g) group.set(s, g);
  }
  const out = new Map<ts.Symbol, ts.Symbol[]>();
  for (const [s, g] of group)
    out.set(
      s,
      [...g].filter((t) => t !== s),
    );
  cache.set(fn, out);
  return out;
}
