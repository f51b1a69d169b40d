/**
 * @fileoverview rcu/unstable-write: a write (`=`, a compound assignment, `++`/`--`, `delete`) to
 * a property of a type-stable object inside a read-side section, where the object is not
 * stabilized and no spinlock at all is held. rcuReadLock() keeps the memory of the object's
 * type, not its identity: the object may already have been freed and reused for another one,
 * whose field the write then corrupts. RCU readers read; writers stabilize first.
 *
 * Handing such an object to a function that changes it (its summary's writesParams: a field
 * written, a list node unlinked, on the strength of its caller's pin) is the same write.
 *
 * Any spinlock held silences it: an updater holding a container's lock (a table's, a bucket's)
 * writes the objects reachable from it legitimately (`prev.next = next` under the chain lock),
 * and which lock protects which field is not something the checker knows.
 */

import { ts } from 'ts-morph';
import { declaredOutside, outermostWrapper, skipParens } from '../ast.js';
import { isWriteTarget } from '../dataflow/assignments.js';
import { type FactState, isStable } from '../dataflow/facts.js';
import type { FunctionSummary } from '../summaries/summary.js';
import { defineRule, type RuleContext } from './define-rule.js';

/** How `node` (a property or element access) is written, if it is: the operator's text. */
function writeOf(node: ts.Node): string | undefined {
  const child = outermostWrapper(node);
  const p = child.parent;
  if (ts.isDeleteExpression(p)) return 'deleted';
  if (!isWriteTarget(node)) return undefined;
  if (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p))
    return p.operator === ts.SyntaxKind.PlusPlusToken ? 'incremented' : 'decremented';
  return ts.isBinaryExpression(p) && p.operatorToken.kind !== ts.SyntaxKind.EqualsToken ? 'updated' : 'written';
}

export default defineRule({
  id: 'rcu/unstable-write',
  meta: {
    description:
      'Disallow writing to a type-stable object inside a read-side section unless the object is stabilized or a spinlock is held.',
    messages: {
      handedToWriter:
        '`{{object}}` is handed at line {{line}} to `{{callee}}()`, which changes it, inside a read-side section, but `{{object}}` is not stabilized and no lock is held: rcuReadLock() keeps its memory of the same type, not the same object, so it may already be another one. Take its lock and revalidate it (or a reference) before handing it on.',
      unstableWrite:
        '`{{target}}` is {{how}} at line {{line}} inside a read-side section, but `{{object}}` is not stabilized and no lock is held: rcuReadLock() keeps its memory of the same type, not the same object, so it may already be another one. Take its lock and revalidate it (or a reference) before writing.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const fn = ctx.analysis.cfg.fn;
    const seen = new Set<ts.Node>();
    for (const e of ctx.events) {
      if (e.kind === 'call' && e.summary.writesParams.length > 0) {
        reportHandedToWriter(ctx, e.node, e.summary, e.state, seen);
        continue;
      }
      // Inside a read-side section on every path (elsewhere rcu/deref-outside-read-lock
      // speaks), and no lock of any kind held, on any path.
      if (e.kind !== 'deref' || e.state.readMin <= 0 || e.state.locks.size > 0 || seen.has(e.node)) continue;
      const how = writeOf(e.node);
      if (how === undefined) continue;
      const base = e.base;
      if (e.sym !== undefined) {
        if (isStable(e.state, e.sym)) continue;
        // A captured variable: the enclosing function's analysis covers it.
        if (declaredOutside(e.sym, fn)) continue;
        const o = e.state.objs.get(e.sym);
        // Its own section ended earlier: rcu/reference-escape reports any use of it.
        if (o?.origin === 'rcu' && o.sectionEnded !== undefined) continue;
        // Not type-stable memory: a write inside its section is the updater's business.
        if (o?.graceFreed !== undefined) continue;
      } else if (!ts.isPropertyAccessExpression(base) && !ts.isElementAccessExpression(base)) {
        // Only a load (`task.sighand.action = …`) is known to be unstabilized; a call's result
        // may be a stabilized object.
        continue;
      }
      seen.add(e.node);
      ctx.report({
        node: e.node,
        messageId: 'unstableWrite',
        data: { target: ctx.text(e.node), how, line: ctx.line(e.node), object: ctx.text(base) },
      });
    }
  },
});

/** `f(x)` where `f` changes its parameter and `x` is an unstabilized object: the write, one call away. */
function reportHandedToWriter(
  ctx: RuleContext<'handedToWriter' | 'unstableWrite'>,
  call: ts.CallExpression,
  summary: FunctionSummary,
  state: FactState,
  seen: Set<ts.Node>,
): void {
  if (state.readMin <= 0 || state.locks.size > 0) return;
  for (const i of summary.writesParams) {
    const a = call.arguments[i];
    const x = a === undefined ? undefined : skipParens(a);
    if (x === undefined || !ts.isIdentifier(x) || seen.has(x)) continue;
    const sym = ctx.checker.getSymbolAtLocation(x);
    if (sym === undefined) continue;
    const o = state.objs.get(sym);
    if (o === undefined || isStable(state, sym) || declaredOutside(sym, ctx.analysis.cfg.fn)) continue;
    if (o.origin === 'rcu' && o.sectionEnded !== undefined) continue;
    seen.add(x);
    ctx.report({
      node: x,
      messageId: 'handedToWriter',
      data: { object: x.text, line: ctx.line(x), callee: summary.name },
    });
  }
}
