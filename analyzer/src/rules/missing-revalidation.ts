/**
 * @fileoverview rcu/missing-revalidation: after taking the spinlock of, or a reference to, an
 * object found by an RCU lookup, a use of it — other fields, returning it, passing it on,
 * leaving the read-side section with it — that is not preceded on every path by an identity
 * re-check (the object compared with a fresh re-read, or its key with the key looked up). In
 * type-stable memory the object may have been freed and reused for another object of the same
 * cache between the lookup and the acquisition; the lock or reference then protects the wrong one.
 */

import { defineRule } from './define-rule.js';
import { isComparisonOperand, lineOf, outermostWrapper, type FunctionLike } from '../ast.js';
import type { CallerSite } from '../summaries/function-analysis.js';
import { callText, fieldOfCall } from './rule-utils/nodes.js';
import { ts } from 'ts-morph';
import type { FactEvent } from '../dataflow/events.js';
import type { FactState } from '../dataflow/facts.js';
import { isWriteTarget } from '../dataflow/assignments.js';

/** A use of an acquired object before its identity re-check: what this rule reports. */
interface UnrevalidatedUse {
  readonly node: ts.Node;
  readonly sym: ts.Symbol;
  readonly state: FactState;
  /** Wrong because the section ended under the lock, not merely because no re-check came first. */
  readonly pastSection: boolean;
  /** `return x`. */
  readonly returned: boolean;
}

/** The uses in `events` of an acquired object not yet revalidated. */
function unrevalidatedUses(events: readonly FactEvent[]): UnrevalidatedUse[] {
  const out: UnrevalidatedUse[] = [];
  for (const e of events) {
    if (e.kind === 'deref' && e.sym !== undefined) {
      const p = e.state.objs.get(e.sym)?.pending;
      if (p === undefined) continue;
      // Touching the acquired field itself (unlocking, dropping the reference) is fine, and so
      // is reading the key inside the re-check — unless the section ended under the lock: then
      // even the unlock touches memory that may be gone.
      const field = ts.isPropertyAccessExpression(e.node) ? e.node.name.text : undefined;
      const lockOp = (field !== undefined && field === fieldOfCall(p.site)) || isComparisonOperand(e.node);
      if (lockOp && !lockedPastSection(e.state, e.sym)) continue;
      // Once a re-check failed, the reference still keeps the other object allocated: reading
      // it to let go of what it holds is how the failure path cleans up (vma_start_read() copies
      // the other vm_mm before the put). Writing to it is writing to someone else's object.
      const o = e.state.objs.get(e.sym)!;
      if (p.failed !== undefined && o.refHeld !== undefined && !isWriteTarget(e.node)) continue;
      out.push({ node: e.node, sym: e.sym, state: e.state, pastSection: lockOp, returned: false });
    } else if (e.kind === 'use') {
      // Ending the read-side section is not itself the mistake (the failing branch of a
      // re-check does it before dropping the reference); using the object afterwards is.
      const p = e.state.objs.get(e.sym)?.pending;
      if (p === undefined || p.checkedBefore !== undefined) continue;
      // Handed to a helper on the failure path, with the reference held: the put (or what
      // cleans up around it) of an object known to be another.
      if (p.failed !== undefined && e.how === 'arg' && e.state.objs.get(e.sym)!.refHeld !== undefined) continue;
      out.push({ node: e.node, sym: e.sym, state: e.state, pastSection: false, returned: e.how === 'return' });
    }
  }
  return out;
}

/**
 * The uses, by the callers of a helper that hands its caller an object pinned but not
 * re-checked, that skip the re-check left to them. A caller that hands the result on unchecked
 * in turn (itself such a helper, keeping it in a variable or returning the call directly:
 * `return pinFirst(b)`) passes the re-check on to its own callers, which are looked at instead.
 */
function skippedRechecks(
  callers: readonly CallerSite[] | undefined,
  callersOf: (fn: FunctionLike) => readonly CallerSite[] | undefined,
  seen: Set<FunctionLike>,
): UnrevalidatedUse[] {
  return (callers ?? []).flatMap((c) => {
    const handsOn = c.analysis.summary.returnsPinnedUnchecked;
    const own = unrevalidatedUses(c.analysis.events).filter(
      (cu) => cu.state.objs.get(cu.sym)!.pending!.site === c.call && !(cu.returned && handsOn),
    );
    const fn = c.analysis.cfg.fn;
    if (!handsOn || !ts.isReturnStatement(outermostWrapper(c.call).parent) || seen.has(fn)) return own;
    seen.add(fn);
    return [...own, ...skippedRechecks(callersOf(fn), callersOf, seen)];
  });
}

/**
 * The object's read-side section ended while its lock was held and its identity not (or not
 * successfully) revalidated: the lock did not keep it past the section (protectedPastSection).
 */
function lockedPastSection(state: FactState, sym: ts.Symbol): boolean {
  const o = state.objs.get(sym);
  return o?.pending?.kind === 'lock' && o.pending.outlived !== undefined && o.refHeld === undefined;
}

export default defineRule({
  id: 'rcu/missing-revalidation',
  meta: {
    description:
      'Require an identity re-check after locking or referencing an object found by an RCU lookup, before using it.',
    messages: {
      usedWithoutRevalidation:
        '`{{object}}` is used at line {{line}} after `{{acquire}}` at line {{acquireLine}} without revalidating its identity; it was loaded from `{{from}}` at line {{loadLine}}, and on the path through line {{acquireLine}} it may be another {{object}} by now.',
      usedAfterFailedRecheck:
        '`{{object}}` is used at line {{line}} on the path where the re-check at line {{checkLine}} found it is no longer the object loaded from `{{from}}` at line {{loadLine}}; `{{acquire}}` at line {{acquireLine}} pinned another {{object}}. Release it there, and retry or fail.',
      sectionEndedWhileLocked:
        '`{{object}}` is used at line {{line}} after the read-side section ended at line {{endLine}} while it was locked by `{{acquire}}` at line {{acquireLine}} but {{why}}; a lock does not keep an object alive: it may have been freed meanwhile, and once the section is over its memory may be gone. End the section only after the re-check, or after the unlock on its failing path.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const reported = new Set<ts.Node>();
    // `pastSection`: a use that is wrong because the section ended under the lock (the unlock
    // itself, or any use once the re-check failed), not merely because no re-check came first.
    const report = (
      node: ts.Node,
      sym: ts.Symbol,
      state: FactState,
      pastSection = false,
      callerUse?: ts.Node,
    ): void => {
      const o = state.objs.get(sym);
      const p = o?.pending;
      if (o === undefined || p === undefined || p.checkedBefore !== undefined || reported.has(p.site)) return;
      reported.add(p.site);
      const related = [{ node: p.site, message: p.kind === 'lock' ? 'lock taken here' : 'reference taken here' }];
      if (o.loadSite !== undefined) related.push({ node: o.loadSite, message: 'loaded here' });
      if (callerUse !== undefined)
        related.push({ node: callerUse, message: 'a caller uses it here without the identity re-check left to it' });
      if (lockedPastSection(state, sym) && (pastSection || p.failed !== undefined)) {
        const ended = p.outlived!;
        ctx.report({
          node,
          messageId: 'sectionEndedWhileLocked',
          data: {
            object: sym.name,
            line: ctx.line(node),
            endLine: ctx.line(ended),
            acquire: callText(p.site),
            acquireLine: ctx.line(p.site),
            why:
              p.failed !== undefined
                ? `the re-check at line ${ctx.line(p.failed)} found it changed`
                : 'before its identity was revalidated',
          },
          related: [...related, { node: ended, message: `${callText(ended)}: read-side section ends here` }],
        });
        return;
      }
      if (p.failed !== undefined) {
        ctx.report({
          node,
          messageId: 'usedAfterFailedRecheck',
          data: {
            object: sym.name,
            line: ctx.line(node),
            checkLine: ctx.line(p.failed),
            acquire: callText(p.site),
            acquireLine: ctx.line(p.site),
            from: o.loadSite !== undefined ? ctx.text(o.loadSite) : sym.name,
            loadLine: o.loadSite !== undefined ? lineOf(o.loadSite) : ctx.line(node),
          },
          related: [...related, { node: p.failed, message: 're-check that failed' }],
        });
        return;
      }
      ctx.report({
        node,
        messageId: 'usedWithoutRevalidation',
        data: {
          object: sym.name,
          line: ctx.line(node),
          acquire: callText(p.site),
          acquireLine: ctx.line(p.site),
          from: o.loadSite !== undefined ? ctx.text(o.loadSite) : sym.name,
          loadLine: o.loadSite !== undefined ? lineOf(o.loadSite) : ctx.line(node),
        },
        related,
      });
    };
    // A caller of a helper that returns what it pinned unchecked (returnsPinnedUnchecked) owes
    // the re-check; one that skips it is reported at the helper's return, where the mutation or
    // the omission is (the call counts as the acquisition in the caller's facts).
    const handedOver = (site: ts.Node): boolean =>
      ts.isCallExpression(site) && ctx.summaryOfCall(site)?.returnsPinnedUnchecked === true;
    for (const u of unrevalidatedUses(ctx.events)) {
      if (u.returned && ctx.analysis.summary.returnsPinnedUnchecked) {
        // A caller that hands the result on unchecked in turn (itself such a helper) passes
        // the re-check on to its own callers, where it is checked the same way.
        const skipped = skippedRechecks(ctx.callersOf(), (fn) => ctx.callersOf(fn), new Set());
        if (skipped.length > 0) report(u.node, u.sym, u.state, u.pastSection, skipped[0]!.node);
        continue;
      }
      if (handedOver(u.state.objs.get(u.sym)!.pending!.site)) continue;
      // A candidate parameter handed back pinned (dma_fence_get_rcu()): the caller loaded it and
      // owes the re-check, its call being the pin of its own variable (summary.pinsParam). One
      // whose re-check failed here is known to be another object: returning it is the bug.
      const o = u.state.objs.get(u.sym)!;
      if (u.returned && isParameter(o.loadSite) && o.pending!.failed === undefined) continue;
      report(u.node, u.sym, u.state, u.pastSection);
    }
  },
});

function isParameter(n: ts.Node | undefined): boolean {
  return n !== undefined && ts.isParameter(n);
}
