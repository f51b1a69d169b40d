/**
 * @fileoverview rcu/inc-not-zero-unchecked: refcountIncNotZero() whose result is ignored, whose
 * failure branch goes on as if the reference were taken (wrong polarity), or whose key re-check
 * was made before the increment — which proves nothing, since the object may be freed and
 * reused between the check and the increment (the kernel's __nf_conntrack_find_get re-checks
 * the tuple after nf_conntrack_get_not_zero, never before).
 */

import type { ts } from 'ts-morph';
import { defineRule } from './define-rule.js';
import { isComparisonOperand, lineOf } from '../ast.js';

export default defineRule({
  id: 'rcu/inc-not-zero-unchecked',
  meta: {
    description:
      'Require the result of refcountIncNotZero() to be tested, with the right polarity, and the key to be re-checked after the increment.',
    messages: {
      resultIgnored:
        'The result of `refcountIncNotZero()` at line {{line}} is ignored; when it returns false no reference was taken and the object is being freed.',
      wrongPolarity:
        '`{{object}}` is {{how}} at line {{useLine}} on the path where `refcountIncNotZero()` at line {{line}} failed: no reference was taken there.',
      recheckBeforeIncrement:
        'The key of `{{object}}` is checked at line {{checkLine}}, before `refcountIncNotZero()` at line {{line}}; the object may be reused in between. Re-check it after the increment.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const done = new Set<ts.Node>();
    for (const e of ctx.events) {
      if (e.kind === 'incIgnored') {
        ctx.report({ node: e.node, messageId: 'resultIgnored', data: { line: ctx.line(e.node) } });
        continue;
      }
      if (e.kind !== 'use' && e.kind !== 'deref' && e.kind !== 'refPut') continue;
      const sym = e.sym;
      if (sym === undefined) continue;
      const o = e.state.objs.get(sym);
      if (o === undefined) continue;
      const checked = o.pending?.checkedBefore;
      const isRecheck = e.kind === 'deref' && isComparisonOperand(e.node);
      if (
        checked !== undefined &&
        o.pending !== undefined &&
        (e.kind === 'use' || e.kind === 'deref') &&
        !isRecheck &&
        !done.has(o.pending.site)
      ) {
        done.add(o.pending.site);
        ctx.report({
          node: o.pending.site,
          messageId: 'recheckBeforeIncrement',
          data: { object: sym.name, checkLine: lineOf(checked), line: ctx.line(o.pending.site) },
          related: [{ node: checked, message: 'key checked here, before the increment' }],
        });
        continue;
      }
      if (o.incFailed === undefined || o.refHeld !== undefined || done.has(o.incFailed)) continue;
      // On the failure path the object may still be read inside the section (to move on); it
      // must not be kept, returned, handed on, or put.
      const how =
        e.kind === 'refPut'
          ? 'released'
          : e.kind === 'use'
            ? e.how === 'return'
              ? 'returned'
              : 'handed on'
            : e.state.readMin <= 0
              ? 'dereferenced outside the read-side section'
              : undefined;
      if (how === undefined) continue;
      done.add(o.incFailed);
      ctx.report({
        node: o.incFailed,
        messageId: 'wrongPolarity',
        data: { object: sym.name, how, useLine: ctx.line(e.node), line: ctx.line(o.incFailed) },
        related: [{ node: e.node, message: `${how} here although the increment failed` }],
      });
    }
  },
});
