/**
 * @fileoverview `free-without-grace-period`: an object of a cache that is not type-stable,
 * freed after a grace period, freed at once instead:
 * - `callRcu(() => kmemCacheFree(c, x))` → `kmemCacheFree(c, x)` (a block callback becomes a
 *   block, unless it returns); the same where the callback is a project helper that frees its
 *   argument into such a cache (`callRcu(() => fdbRcuFree(f))` → `fdbRcuFree(f)`, the kernel's
 *   `call_rcu(&f->rcu, fdb_rcu_free)` called directly);
 * - the same `callRcu(cb)` → `queueMicrotask(cb)`: deferred, but by no grace period (in a
 *   program without the host's typings the mutant does not compile and is discarded);
 * - a `synchronizeRcu();` / `await synchronizeRcuAsync();` statement deleted, where such a free
 *   (direct, or by such a helper) follows it in the function.
 * Only in functions that unlink something first (store into an RCU pointer field, or an
 * `hlistNulls…Rcu` delete or replace): without an unlink here, the object left the readers'
 * reach elsewhere (a caller, or a structure the checker does not model), and the function alone
 * does not say that the grace period is what made the free safe. Objects of type-stable caches
 * (the `TypeStable` brand, or SLAB_TYPESAFE_BY_RCU in the cache's folded flags) may be freed at
 * once, so freeing them is not a mutant.
 *
 * Judged lines: the frees (or helper calls) that lost their grace period. Rule:
 * rcu/free-without-grace-period.
 */

import { ts } from 'ts-morph';
import { isFunctionLike, skipParens } from '../../../ast.js';
import { freedArguments, freesIntoPlainCache } from '../../../rules/rule-utils/frees-argument.js';
import { rcuFieldStore, unlinkedByCall } from '../../../rules/rule-utils/slab-sites.js';
import type { FunctionScope, MutantDraft, MutationOperator } from '../operator.js';

/**
 * Whether a call frees an object into a cache that is not type-stable: `kmemCacheFree` into
 * one, or a project helper that may free an argument into one.
 */
function freesPlain(scope: FunctionScope, call: ts.CallExpression): boolean {
  const kind = scope.kindOf(call);
  if (kind === 'kmemCacheFree') return freesIntoPlainCache(call, scope.primitives, scope.checker);
  return kind === undefined && freedArguments(call, scope.primitives, scope.checker).size > 0;
}

/** Such frees inside `node`, nested functions included (a callback body is what callRcu defers). */
function freesIn(scope: FunctionScope, node: ts.Node): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && freesPlain(scope, n)) out.push(n);
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
    'Free an unlinked object of a plain (not type-stable) cache at once: callRcu(() => free) inlined or made a queueMicrotask(), or the synchronizeRcu() before the free deleted.',
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
      // Deferred, but by a microtask: later, and still before readers are done.
      const callee = call.expression;
      out.push({
        edits: [{ start: callee.getStart(scope.sf), end: callee.end, text: 'queueMicrotask' }],
        description: `\`${scope.show(callee)}\` → \`queueMicrotask\` in \`${scope.show(call)}\``,
        judged: frees.map((f) => ({ from: f.getStart(scope.sf), to: f.end })),
      });
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
      // Every free after the wait: the statement right after it starts where the wait ends.
      const frees = scope
        .ownNodes()
        .filter(
          (f): f is ts.CallExpression =>
            ts.isCallExpression(f) && f.getStart(scope.sf) >= w.end && freesPlain(scope, f),
        );
      if (frees.length === 0) continue;
      const judged = frees.map((f) => ({ from: f.getStart(scope.sf), to: f.end }));
      out.push({ edits: [scope.removeStatement(w)], description: `delete \`${scope.show(w)}\``, judged });
    }
    return out;
  },
};
