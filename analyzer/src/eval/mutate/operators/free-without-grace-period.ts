/**
 * @fileoverview `free-without-grace-period`: an object of a cache that is not type-stable,
 * freed after a grace period, freed at once instead:
 * - `callRcu(() => kmemCacheFree(c, x))` → `kmemCacheFree(c, x)` (a block callback becomes a
 *   block, unless it returns);
 * - a `synchronizeRcu();` / `await synchronizeRcuAsync();` statement deleted, where a
 *   `kmemCacheFree` of such an object follows it in the function.
 * Only in functions that unlink something first (store into an RCU pointer field, or an
 * `hlistNulls…Rcu` delete or replace): without an unlink, no reader can hold the object and
 * the grace period was not what made the free safe. Objects of type-stable caches (the
 * `TypeStable` brand, or SLAB_TYPESAFE_BY_RCU in the cache's folded flags) may be freed at
 * once, so freeing them is not a mutant.
 *
 * Judged lines: the frees that lost their grace period. Rule: rcu/free-without-grace-period.
 */

import { ts } from 'ts-morph';
import { isFunctionLike, skipParens } from '../../../ast.js';
import { SLAB_TYPESAFE_BY_RCU_BIT } from '../../../primitives/slab-model.js';
import { rcuFieldStore, unlinkedByCall } from '../../../rules/rule-utils/slab-sites.js';
import type { FunctionScope, MutantDraft, MutationOperator } from '../operator.js';

/** Whether `kmemCacheFree(cache, obj)` frees into a cache that is not type-stable. */
function freesPlain(scope: FunctionScope, free: ts.CallExpression): boolean {
  const [cacheArg, obj] = free.arguments;
  if (obj === undefined || scope.primitives.isTypeStableExpr(obj)) return false;
  const x = cacheArg === undefined ? undefined : skipParens(cacheArg);
  const d = x !== undefined && ts.isIdentifier(x) ? scope.checker.getSymbolAtLocation(x)?.valueDeclaration : undefined;
  const init =
    d !== undefined && ts.isVariableDeclaration(d) && d.initializer !== undefined
      ? skipParens(d.initializer)
      : undefined;
  const cache = init === undefined ? undefined : scope.primitives.slab.caches().find((c) => c.call === init);
  return cache?.flags === undefined || (cache.flags & SLAB_TYPESAFE_BY_RCU_BIT) === 0;
}

/** kmemCacheFree calls inside `node`, nested functions included (a callback body is what callRcu defers). */
function freesIn(scope: FunctionScope, node: ts.Node): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && scope.kindOf(n) === 'kmemCacheFree' && freesPlain(scope, n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

function firstUnlink(scope: FunctionScope): number | undefined {
  const n = scope
    .ownNodes()
    .find(
      (x) =>
        rcuFieldStore(x, scope.primitives, scope.checker) !== undefined ||
        (ts.isCallExpression(x) && unlinkedByCall(x, scope.primitives) !== undefined),
    );
  return n?.getStart(scope.sf);
}

function containsReturn(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

export const freeWithoutGracePeriod: MutationOperator = {
  id: 'free-without-grace-period',
  rules: ['rcu/free-without-grace-period'],
  summary:
    'Free an unlinked object of a plain (not type-stable) cache at once: callRcu(() => free) inlined, or the synchronizeRcu() before the free deleted.',
  generate(scope) {
    const out: MutantDraft[] = [];
    const unlink = firstUnlink(scope);
    if (unlink === undefined) return out;
    for (const call of scope.calls('callRcu')) {
      const cb = call.arguments[0] === undefined ? undefined : skipParens(call.arguments[0]);
      if (
        call.getStart(scope.sf) < unlink ||
        cb === undefined ||
        !(ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))
      )
        continue;
      const frees = freesIn(scope, cb.body);
      if (frees.length === 0) continue;
      const bodyText = scope.src(cb.body);
      if (ts.isBlock(cb.body)) {
        const st = scope.callStatement(call);
        if (st === undefined || containsReturn(cb.body)) continue;
        const description = `\`${scope.show(st)}\` → \`${scope.show(cb.body)}\``;
        out.push({ edits: [scope.replaceStatement(st, bodyText, true)], description, judged: [{ inserted: 0 }] });
      } else {
        const e = skipParens(cb.body);
        const description = `\`${scope.show(call)}\` → \`${scope.show(e)}\``;
        out.push({
          edits: [{ start: call.getStart(scope.sf), end: call.end, text: scope.src(e) }],
          description,
          judged: [{ inserted: 0 }],
        });
      }
    }
    const waits = scope.ownNodes().filter((n): n is ts.ExpressionStatement => {
      if (!ts.isExpressionStatement(n)) return false;
      const e = skipParens(n.expression);
      if (scope.kindOf(e) === 'synchronizeRcu') return true;
      return ts.isAwaitExpression(e) && scope.kindOf(skipParens(e.expression)) === 'synchronizeRcuAsync';
    });
    for (const w of waits) {
      if (w.getStart(scope.sf) < unlink) continue;
      const frees = scope.calls('kmemCacheFree').filter((f) => f.pos > w.end && freesPlain(scope, f));
      if (frees.length === 0) continue;
      const judged = frees.map((f) => ({ from: f.getStart(scope.sf), to: f.end }));
      out.push({ edits: [scope.removeStatement(w)], description: `delete \`${scope.show(w)}\``, judged });
    }
    return out;
  },
};
