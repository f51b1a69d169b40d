/**
 * @fileoverview rcu/deref-outside-read-lock: a type-stable object dereferenced where neither
 * rcuReadLock() is held on every path nor the object is stabilized (locked, referenced, fresh,
 * or owned by the caller). Its memory may be freed and reused for another object at any instant.
 */

import { ts } from 'ts-morph';
import { declaredOutside, skipParens } from '../ast.js';
import { type FactState, isStable } from '../dataflow/facts.js';
import { defineRule } from './define-rule.js';
import { isInlineCallback } from './rule-utils/nodes.js';

/** Every identifier argument that the caller tracks is stabilized here (a ctor handing its object to a helper). */
function argsStable(call: ts.CallExpression, state: FactState, checker: ts.TypeChecker): boolean {
  let tracked = 0;
  for (const a of call.arguments) {
    const x = skipParens(a);
    const sym = ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined;
    if (sym === undefined || !state.objs.has(sym)) continue;
    if (!isStable(state, sym)) return false;
    tracked++;
  }
  return tracked > 0;
}

export default defineRule({
  id: 'rcu/deref-outside-read-lock',
  meta: {
    description: 'Disallow dereferencing a type-stable object outside rcuReadLock() unless the object is stabilized.',
    messages: {
      derefOutsideReadLock:
        '`{{object}}` is dereferenced at line {{line}} {{where}}; it lives in type-stable memory and may be freed and reused at any instant. Hold rcuReadLock(), or stabilize it first (take its lock and revalidate, or take a reference).',
      callRequiresReadLock: '`{{callee}}()` requires the RCU read lock, but at line {{line}} it is {{where}}.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    // An inline synchronous callback (`list.forEach((x) => …)`) runs in its caller's context,
    // which this per-function analysis cannot see: its caller's findings cover it.
    if (isInlineCallback(ctx.analysis.cfg.fn, ctx.primitives)) return;
    const fn = ctx.analysis.cfg.fn;
    for (const e of ctx.events) {
      if (e.kind === 'call') {
        if (!e.summary.requiresRead || e.state.readMin > 0 || ctx.analysis.inferredRequiresRead) continue;
        if (e.summary.requiresReadForParams && argsStable(e.node, e.state, ctx.checker)) continue;
        ctx.report({
          node: e.node,
          messageId: 'callRequiresReadLock',
          data: {
            callee: e.summary.name,
            line: ctx.line(e.node),
            where: e.state.readMax > 0 ? 'not held on every path' : 'not held',
          },
        });
        continue;
      }
      if (e.kind !== 'deref' || e.state.readMin > 0) continue;
      // Update side: a container's lock held (a table's, a bucket's — not a type-stable
      // object's own lock) protects the structure, as rcu_dereference_protected() says in the kernel.
      const isContainerLock = (obj: ts.Symbol | undefined): boolean =>
        obj === undefined || !ctx.primitives.isTypeStableType(ctx.checker.getTypeOfSymbol(obj));
      if ([...e.state.locks.values()].some((l) => l.must && isContainerLock(l.obj))) continue;
      if (ctx.analysis.inferredRequiresRead) continue; // the callers' business: reported at their calls
      if (e.sym !== undefined) {
        if (isStable(e.state, e.sym)) continue;
        // A captured variable: the enclosing function's capture analysis (rcu/reference-escape) covers it.
        if (declaredOutside(e.sym, fn)) continue;
        const o = e.state.objs.get(e.sym);
        // Loaded in a section that has since ended: rcu/reference-escape says it better.
        if (o?.origin === 'rcu' && o.sectionEnded !== undefined) continue;
      }
      // In a chain `a.b.c` report the innermost unprotected step once.
      const inner = e.base;
      if (
        (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner)) &&
        ctx.primitives.isTypeStableExpr(inner.expression)
      )
        continue;
      ctx.report({
        node: e.node,
        messageId: 'derefOutsideReadLock',
        data: {
          object: ctx.text(e.base),
          line: ctx.line(e.node),
          where:
            e.state.readMax > 0 ? 'where rcuReadLock() is held on some paths only' : 'outside any read-side section',
        },
      });
    }
  },
});
