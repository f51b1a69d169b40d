/**
 * @fileoverview rcu/blocking-in-read-section: something that blocks or suspends — `await`,
 * `yield`, `for await`, synchronizeRcu(), rcuBarrier(), Atomics.wait, or a helper that may
 * block — inside a read-side section or while holding a spinlock. A suspended reader stalls
 * every grace period (and synchronizeRcu() inside one would wait for itself); a suspended lock
 * holder makes every other thread spin.
 */

import { defineRule } from './define-rule.js';
import { callText } from './rule-utils/nodes.js';

export default defineRule({
  id: 'rcu/blocking-in-read-section',
  meta: {
    description: 'Disallow blocking or suspending inside a read-side section or while holding a spinlock.',
    messages: {
      blockingInReadSection:
        '`{{what}}` at line {{line}} may block or suspend inside a read-side section{{paths}}; readers must not sleep, or grace periods stall.',
      blockingUnderSpinlock:
        '`{{what}}` at line {{line}} may block or suspend while `{{lock}}` is held (taken at line {{siteLine}}).',
    },
  },
  defaultSeverity: 'error',
  precision: 'very-high',
  check(ctx) {
    // A helper entered as its callers call it (inside their section, under their lock) reports
    // only its own sections and locks: the callers see its blocking through its summary.
    const entry = ctx.analysis.entry?.from === 'callers' ? ctx.analysis.initial : undefined;
    const baseDepth = entry?.readMax ?? 0;
    for (const e of ctx.events) {
      if (e.kind !== 'blocking') continue;
      if (e.state.readMax > baseDepth) {
        ctx.report({
          node: e.node,
          messageId: 'blockingInReadSection',
          data: { what: e.what, line: ctx.line(e.node), paths: e.state.readMin > baseDepth ? '' : ' (on some paths)' },
        });
        continue;
      }
      const lock = [...e.state.locks.values()].find((l) => entry?.locks.has(l.key) !== true);
      if (lock !== undefined) {
        ctx.report({
          node: e.node,
          messageId: 'blockingUnderSpinlock',
          data: { what: e.what, line: ctx.line(e.node), lock: lock.key, siteLine: ctx.line(lock.site) },
          related: [{ node: lock.site, message: `${callText(lock.site)}: lock taken here` }],
        });
      }
    }
  },
});
