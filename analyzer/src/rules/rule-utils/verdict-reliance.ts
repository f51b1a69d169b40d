/**
 * @fileoverview Whether a caller takes a helper's truthy answer as a reference taken on one of
 * its arguments — the contract of `try_get_ref(obj)` and `dma_fence_get_rcu(fence)`, helpers that
 * pin what they are handed and answer with a verdict (a boolean, or the object or NULL).
 *
 * The evidence is the caller's own release: it tests the call (`if (!tryGetRef(obj)) continue;`,
 * `if (x === null || !dmaFenceGetRcu(x)) return;`) and, where the answer was truthy, drops a reference on that
 * argument (`putRef(obj)`, `dmaFencePut(fence)`, `refcountDecAndTest(obj.refcnt)`) that it never
 * took itself. Only the helper can have taken it; so a helper answering truthy without holding
 * that reference breaks what its callers rely on, and the bug is the helper's answer.
 */

import { ts } from 'ts-morph';
import { jumpsAway, rootIdentifier, skipParens, walkTree } from '../../ast.js';
import type { Primitives } from '../../primitives/primitives.js';
import type { CallerSite } from '../../summaries/function-analysis.js';

export interface VerdictReliance {
  /** The caller's test of the helper's answer. */
  readonly call: ts.CallExpression;
  /** The release the caller makes where the answer was truthy. */
  readonly release: ts.Node;
  /** The argument it releases, as the caller names it. */
  readonly arg: string;
  /** The caller's name, for messages. */
  readonly caller: string;
}

/**
 * The source ranges where `call`, tested by an `if`, answered truthy. Going up from the call:
 * `ifTrue` says the test being true implies a truthy answer, `ifFalse` that its being false does;
 * `!` swaps them, `&&` keeps only the first (`a && f(x)` true: both were), `||` only the second.
 * Truthy where the test was true: the then branch; where it was false: the else branch or, when
 * the then branch jumps away, the statements after the `if` in its block.
 */
function truthyRanges(call: ts.CallExpression): Array<readonly [number, number]> {
  let n: ts.Node = call;
  let ifTrue = true;
  let ifFalse = false;
  for (;;) {
    const p = n.parent;
    if (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p)) n = p;
    else if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken)
      [ifTrue, ifFalse, n] = [ifFalse, ifTrue, p];
    else if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
      [ifFalse, n] = [false, p];
    else if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.BarBarToken) [ifTrue, n] = [false, p];
    else break;
  }
  const test = n.parent;
  if (!ts.isIfStatement(test) || test.expression !== n) return [];
  const range = (s: ts.Node): readonly [number, number] => [s.getStart(), s.end];
  const out: Array<readonly [number, number]> = [];
  if (ifTrue) out.push(range(test.thenStatement));
  if (ifFalse && test.elseStatement !== undefined) out.push(range(test.elseStatement));
  else if (ifFalse && jumpsAway(test.thenStatement)) {
    const block = test.parent;
    if (ts.isBlock(block) || ts.isSourceFile(block) || ts.isCaseClause(block) || ts.isDefaultClause(block))
      out.push([test.end, block.end]);
  }
  return out;
}

/** Whether the caller's body takes a reference on `sym` itself (refcountInc/refcountIncNotZero on it). */
function pinsItself(fn: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker, primitives: Primitives): boolean {
  return walkTree(
    fn,
    (n) => {
      if (!ts.isCallExpression(n)) return undefined;
      const kind = primitives.callKind(n);
      if (kind !== 'refcountInc' && kind !== 'refcountIncNotZero') return undefined;
      const root = rootIdentifier(n.arguments[0]);
      return root !== undefined && checker.getSymbolAtLocation(root) === sym ? 'stop' : undefined;
    },
    'children',
  );
}

/**
 * A caller that relies on the helper holding a reference on its argument `index` whenever it
 * answers truthy (the first such caller), or undefined.
 */
export function verdictReliance(
  callers: readonly CallerSite[],
  index: number,
  checker: ts.TypeChecker,
  primitives: Primitives,
): VerdictReliance | undefined {
  for (const { call, analysis } of callers) {
    const a = call.arguments[index];
    const x = a === undefined ? undefined : skipParens(a);
    if (x === undefined || !ts.isIdentifier(x)) continue;
    const sym = checker.getSymbolAtLocation(x);
    if (sym === undefined) continue;
    const ranges = truthyRanges(call);
    if (ranges.length === 0 || pinsItself(analysis.cfg.fn, sym, checker, primitives)) continue;
    const within = (n: ts.Node): boolean => ranges.some(([from, to]) => n.getStart() >= from && n.end <= to);
    for (const e of analysis.events) {
      if (e.kind !== 'refPut' && e.kind !== 'call') continue;
      const released =
        e.kind === 'refPut'
          ? e.sym === sym
          : e.summary.releasesRefOf.some((j) => {
              const r = e.node.arguments[j];
              const y = r === undefined ? undefined : skipParens(r);
              return y !== undefined && ts.isIdentifier(y) && checker.getSymbolAtLocation(y) === sym;
            });
      if (!released || !within(e.node)) continue;
      // Only a candidate counts: an object the caller allocated, owns, or got pinned elsewhere
      // carries its own reference.
      const o = e.state.objs.get(sym);
      if (o !== undefined && (o.origin === 'fresh' || o.origin === 'owned' || o.origin === 'stable')) continue;
      return { call, release: e.node, arg: x.text, caller: analysis.cfg.name };
    }
  }
  return undefined;
}
