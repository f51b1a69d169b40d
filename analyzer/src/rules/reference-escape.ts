/**
 * @fileoverview rcu/reference-escape: a reference obtained inside a read-side section that
 * flows past the end of the section without being stabilized — used, returned, handed on,
 * stored in outer or shared state, captured by a deferred callback, or posted to another
 * thread. Once the section ends the object may be freed and reused at any instant.
 */

import { isStable } from '../dataflow/facts.js';
import { defineRule } from './define-rule.js';
import { lineOf } from '../ast.js';
import { unpinnedReturns } from './rule-utils/unpinned-returns.js';
import { ESCAPE_HOW } from './rule-utils/caller-reliance.js';
import { containerLockHeld } from '../dataflow/container-lock.js';
import { callText } from './rule-utils/nodes.js';

export default defineRule({
  id: 'rcu/reference-escape',
  meta: {
    description:
      'Disallow references obtained under rcuReadLock() from escaping the read-side section unless stabilized.',
    messages: {
      usedAfterSection:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is {{how}} at line {{line}}, after the read-side section ended at line {{endLine}}; it was never locked or referenced, so it may already be another object.',
      freedAfterSection:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is {{how}} at line {{line}}, after the read-side section ended at line {{endLine}}; `{{from}}` is an RCU pointer to an object that is not type-stable: its updater frees it once a grace period ends, and the section was all that held that grace period off, so the memory may already be freed (not merely reused, as type-stable memory would be). Use it inside the section, or take a reference (refcountInc) or its lock before the section ends.',
      storedBeyondSection:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is {{how}} at line {{line}}, where it outlives the read-side section; take a reference first.',
      returnedUnpinned:
        "`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is returned at line {{line}} neither locked nor referenced, but `{{caller}}()` relies on this function's result being pinned: it keeps the result of the call at line {{callLine}} and {{how}} it at line {{useLine}}, where no read-side section protects it. Take its lock or a reference (and revalidate) before returning it.",
      returnedMixed:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is returned at line {{line}} neither locked nor referenced, while the return at line {{pinnedLine}} hands it back pinned: a caller cannot tell which it got, so it either leaks the reference or uses an object that may already be another. Pin it here too, or return null.',
      returnedFromOpenSection:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is returned at line {{line}} neither locked nor referenced, from a read-side section this function opened and does not declare to leave held (@acquires rcu): for its caller the section is over, so the object may already be another. Take its lock or a reference (and revalidate) first.',
      returnedAsVerdict:
        "`{{object}}` is returned at line {{line}} as this function's answer with no reference held on it, but `{{caller}}()` takes a truthy answer as a reference taken on `{{arg}}`: it tests the call at line {{callLine}} and drops a reference on `{{arg}}` at line {{useLine}} that it never took itself. Take the reference (refcountIncNotZero) before answering, or answer null.",
      capturedByClosure:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is captured at line {{line}} by a callback that runs after the read-side section may have ended.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    for (const r of unpinnedReturns(ctx)) {
      const from = r.loadSite !== undefined ? ctx.text(r.loadSite) : r.sym.name;
      const loadLine = r.loadSite !== undefined ? lineOf(r.loadSite) : ctx.line(r.node);
      const loaded = r.loadSite !== undefined ? [{ node: r.loadSite, message: 'loaded here' }] : [];
      const base = { object: r.sym.name, from, loadLine, line: ctx.line(r.node) };
      if (r.pinnedAt !== undefined) {
        ctx.report({
          node: r.node,
          messageId: 'returnedMixed',
          data: { ...base, pinnedLine: ctx.line(r.pinnedAt) },
          related: [...loaded, { node: r.pinnedAt, message: 'returned pinned here' }],
        });
      } else if (r.leftOpen !== undefined) {
        ctx.report({
          node: r.node,
          messageId: 'returnedFromOpenSection',
          data: base,
          related: [...loaded, { node: r.leftOpen, message: 'read-side section opened here' }],
        });
      } else if (r.verdict !== undefined) {
        const { caller, call, release, arg } = r.verdict;
        ctx.report({
          node: r.node,
          messageId: 'returnedAsVerdict',
          data: { ...base, caller, arg, callLine: ctx.line(call), useLine: ctx.line(release) },
          related: [
            ...loaded,
            { node: call, message: `${caller}() tests the answer here` },
            { node: release, message: `${caller}() drops the reference it takes the answer to mean` },
          ],
        });
      } else if (r.reliance !== undefined) {
        const { caller, call, use, how } = r.reliance;
        ctx.report({
          node: r.node,
          messageId: 'returnedUnpinned',
          data: { ...base, caller, callLine: ctx.line(call), how, useLine: ctx.line(use) },
          related: [...loaded, { node: use, message: `${caller}() relies on the result being pinned here` }],
        });
      }
    }
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
      // A plain RCU-freed object: only a use after its section ended is known to be wrong (what
      // is stored or captured inside the section may be pinned by means the checker cannot see).
      // Returning it is the caller's contract: the kernel returns such pointers where the caller
      // keeps them alive by other means (ioc_lookup_icq(): "the found icq is guaranteed to be
      // valid until the io is done").
      const graceFreed = o.graceFreed !== undefined;
      if (graceFreed && (o.sectionEnded === undefined || (e.kind === 'use' && e.how === 'return'))) continue;
      if (e.kind === 'capture') {
        if (!graceFreed) ctx.report({ node: e.node, messageId: 'capturedByClosure', data: base, related: loaded });
      } else if (o.sectionEnded !== undefined) {
        ctx.report({
          node: e.node,
          messageId: graceFreed ? 'freedAfterSection' : 'usedAfterSection',
          data: {
            ...base,
            how: e.kind === 'deref' ? 'dereferenced' : ESCAPE_HOW[e.how],
            endLine: lineOf(o.sectionEnded),
          },
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
          data: { ...base, how: ESCAPE_HOW[e.how] },
          related: loaded,
        });
      }
    }
  },
});
