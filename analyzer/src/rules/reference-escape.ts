/**
 * @fileoverview rcu/reference-escape: a reference obtained inside a read-side section that
 * flows past the end of the section without being stabilized — used, returned, handed on,
 * stored in outer or shared state, captured by a deferred callback, or posted to another
 * thread. Once the section ends the object may be freed and reused at any instant.
 */

import { isStable } from '../dataflow/facts.js';
import { defineRule } from './define-rule.js';
import { lineOf } from '../ast.js';
import { containerLockHeld } from './rule-utils/container-lock.js';
import { callText } from './rule-utils/nodes.js';

export default defineRule({
  id: 'rcu/reference-escape',
  meta: {
    description:
      'Disallow references obtained under rcuReadLock() from escaping the read-side section unless stabilized.',
    messages: {
      usedAfterSection:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is {{how}} at line {{line}}, after the read-side section ended at line {{endLine}}; it was never locked or referenced, so it may already be another object.',
      storedBeyondSection:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is {{how}} at line {{line}}, where it outlives the read-side section; take a reference first.',
      capturedByClosure:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is captured at line {{line}} by a callback that runs after the read-side section may have ended.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const HOW = {
      return: 'returned',
      arg: 'passed on',
      storeOuter: 'stored outside the function',
      storeField: 'stored in a field',
      postMessage: 'posted to another thread',
    } as const;
    for (const e of ctx.events) {
      if (e.kind !== 'deref' && e.kind !== 'use' && e.kind !== 'capture') continue;
      const sym = e.sym;
      if (sym === undefined) continue;
      const o = e.state.objs.get(sym);
      if (o === undefined || o.origin !== 'rcu' || isStable(e.state, sym)) continue;
      const base = {
        object: sym.name,
        from: o.loadSite !== undefined ? ctx.text(o.loadSite) : sym.name,
        loadLine: o.loadSite !== undefined ? lineOf(o.loadSite) : ctx.line(e.node),
        line: ctx.line(e.node),
      };
      const loaded = o.loadSite !== undefined ? [{ node: o.loadSite, message: 'loaded here' }] : [];
      if (e.kind === 'capture') {
        ctx.report({ node: e.node, messageId: 'capturedByClosure', data: base, related: loaded });
      } else if (o.sectionEnded !== undefined) {
        ctx.report({
          node: e.node,
          messageId: 'usedAfterSection',
          data: { ...base, how: e.kind === 'deref' ? 'dereferenced' : HOW[e.how], endLine: lineOf(o.sectionEnded) },
          related: [
            ...loaded,
            { node: o.sectionEnded, message: `${callText(o.sectionEnded)}: read-side section ends here` },
          ],
        });
      } else if (e.kind === 'use' && (e.how === 'storeOuter' || e.how === 'storeField' || e.how === 'postMessage')) {
        // A writer publishing or unlinking under the container's lock (`prev.hnext = next` with
        // the bucket locked): the structure it stores into is the lock's, not a reader's escape.
        if (e.how === 'storeField' && containerLockHeld(e.state, ctx.checker, ctx.primitives)) continue;
        ctx.report({
          node: e.node,
          messageId: 'storedBeyondSection',
          data: { ...base, how: HOW[e.how] },
          related: loaded,
        });
      }
    }
  },
});
