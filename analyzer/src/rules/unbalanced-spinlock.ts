/**
 * @fileoverview rcu/unbalanced-spinlock: a spinlock taken twice, released when not held (or
 * held on some paths only), or still held when the function returns on some path — unless the
 * function returns holding it on every path and its callers can name it (its summary then says
 * it acquires the lock: inferred for a private helper, whose every caller is in the project,
 * declared with `@acquires` by any other function), or it returns the object the lock belongs
 * to (lockTaskSighand: the lock travels with the returned value, and every caller in the
 * project is checked to release it through that value).
 */

import { ts } from 'ts-morph';
import { defineRule, insertBeforeStatement } from './define-rule.js';
import { callText, exitAnchor, leakAnchor } from './rule-utils/nodes.js';
import { type LockFact, lockHeldFor } from '../dataflow/facts.js';
import { heldPathFrom } from '../dataflow/lock-paths.js';
import { locksLeftToHelper } from './rule-utils/release-reliance.js';
import type { FunctionSummary } from '../summaries/summary.js';
import { calleeLockAt, heldLockClass, takenLockClasses } from '../summaries/asserted-locks.js';

export default defineRule({
  id: 'rcu/unbalanced-spinlock',
  meta: {
    description: 'Require each spinLock() to be released exactly once on every path.',
    messages: {
      doubleLock:
        '`{{lock}}` is locked at line {{line}} while already held{{paths}} (taken at line {{siteLine}}); a spinlock does not nest.',
      unlockNotHeld: '`{{lock}}` is unlocked at line {{line}} but is not held{{paths}}.',
      heldAtExit: '`{{lock}}` (taken at line {{siteLine}}) is still held when the function returns here{{paths}}.',
      heldAtThrow:
        '`{{lock}}` (taken at line {{siteLine}}) is still held when the exception at line {{line}} leaves the function.',
      callRequiresLock: '`{{callee}}()` must be called holding `{{lock}}`, which is not held here{{paths}}.',
      heldAfterFinally:
        '`{{lock}}` (taken at line {{siteLine}}) is still held at the end of this `finally` block, where the function returns (the return at line {{line}}){{paths}}.',
      acquiredNeverReleased:
        '`{{lock}}` (taken at line {{siteLine}}) is still held when `{{name}}` returns here, and none of its callers releases it: the lock leaks. Release it before returning (a helper that returns holding a lock is one whose callers release it).',
      releasesStillHeld:
        '`{{lock}}` is still held when the function returns here{{paths}}, but `{{name}}` declares `@releases {{lock}}`: its callers count it released.',
      leftToHelper:
        '`{{lock}}` is still held when `{{name}}` returns here{{paths}}, yet its callers hold it at every call and release it no other way: they leave its release to `{{name}}`, and {{callers}} return holding it. Release it here (sparse would report the context imbalance in the callers).',
      acquiresUndeclared:
        '`{{lock}}` (taken at line {{siteLine}}) is still held when `{{name}}` returns here, and it does not declare `@acquires {{lock}}`: a function that may be called from outside the project must say that it returns holding a lock (as `__acquires` does for sparse). Release it before returning, or declare the contract.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const summary = ctx.analysis.summary;
    const declared = new Set(ctx.analysis.annotations.acquires);
    const releasesDeclared = new Set(ctx.analysis.annotations.releases);
    const reportedExit = new Set<string>();
    let left: ReturnType<typeof locksLeftToHelper> | undefined;
    const leftToMe = (): ReturnType<typeof locksLeftToHelper> =>
      (left ??= locksLeftToHelper(ctx.analysis, ctx.callersOf()));
    // Once per lock and place: a finally body copied onto several paths meets it more than once,
    // and every return through one `finally` is reported at its end, where the release was due.
    const report = (
      exit: ts.Node,
      key: string,
      l: LockFact,
      messageId: 'acquiresUndeclared' | 'acquiredNeverReleased' | 'heldAtExit' | 'releasesStillHeld' | 'leftToHelper',
      data: Record<string, string | number>,
    ): void => {
      const anchor = leakAnchor(exit);
      const id = `${key}@${anchor.pos}`;
      if (reportedExit.has(id)) return;
      reportedExit.add(id);
      const viaFinally = anchor !== exitAnchor(exit);
      ctx.report({
        node: anchor,
        messageId: viaFinally && messageId !== 'releasesStillHeld' ? 'heldAfterFinally' : messageId,
        data: { lock: key, line: ctx.line(exit), paths: '', ...data },
        related: [
          ...(viaFinally ? [{ node: exit, message: 'the function returns here' }] : []),
          ...(l.site === ctx.analysis.cfg.fn
            ? []
            : [{ node: l.site, message: `${callText(l.site)}: lock taken here` }]),
        ],
        fixes:
          l.must && !viaFinally && messageId !== 'releasesStillHeld' && messageId !== 'leftToHelper'
            ? insertBeforeStatement(exit, `spinUnlock(${key});`, `Call spinUnlock(${key}) before this return`)
            : [],
      });
    };
    const classOf = (l: LockFact): string | undefined => heldLockClass(l, ctx.primitives, ctx.checker);
    let taken: Set<string> | undefined;
    const takenClasses = (): Set<string> =>
      (taken ??= takenLockClasses(ctx.events, ctx.analysis.initial, ctx.primitives, ctx.checker));
    for (const e of ctx.events) {
      if (e.kind === 'spinLock') {
        const held = e.state.locks.get(e.key);
        if (held === undefined || e.trylock) continue;
        ctx.report({
          node: e.node,
          messageId: 'doubleLock',
          data: {
            lock: e.key,
            line: ctx.line(e.node),
            siteLine: ctx.line(held.site),
            paths: held.must ? '' : ' on some paths',
          },
          related: [{ node: held.site, message: 'lock taken here' }],
        });
      } else if (e.kind === 'spinUnlock') {
        const held = e.state.locks.get(e.key);
        if (held?.must === true) continue;
        ctx.report({
          node: e.node,
          messageId: 'unlockNotHeld',
          data: { lock: e.key, line: ctx.line(e.node), paths: held === undefined ? '' : ' on every path' },
          related: held === undefined ? [] : [{ node: held.site, message: 'lock taken here on some paths' }],
        });
      } else if (e.kind === 'call') {
        for (const a of e.summary.assertsHeld) {
          // A caller that never takes a lock of the class relies on its own callers for it, as
          // the kernel's wrappers do; one that takes it and calls outside it dropped it too early
          // or took it too late. Which object's lock it holds it can rarely prove (`icq.ioc` is
          // the `ioc` it locked), so a lock of the class held on every path will do.
          if (a.lockClass === undefined || !takenClasses().has(a.lockClass)) continue;
          const key = calleeLockAt(e.node, e.summary, a.key);
          if (e.state.locks.get(key)?.must === true) continue;
          if ([...e.state.locks.values()].some((l) => l.must && classOf(l) === a.lockClass)) continue;
          ctx.report({
            node: e.node,
            messageId: 'callRequiresLock',
            data: { callee: e.summary.name, lock: key, paths: '' },
          });
        }
        for (const l of e.summary.mustHold) {
          const key = calleeLockAt(e.node, e.summary, l);
          const held = e.state.locks.get(key);
          if (held?.must === true) continue;
          ctx.report({
            node: e.node,
            messageId: 'callRequiresLock',
            data: { callee: e.summary.name, lock: key, paths: held === undefined ? '' : ' on every path' },
          });
        }
      } else if (e.kind === 'exit') {
        for (const [key, l] of e.state.locks) {
          if (ctx.analysis.initial.locks.has(key)) {
            // Held at entry: kept (`@mustHold`, a caller's lock), unless it was declared released.
            if (e.how === 'return' && releasesDeclared.has(key))
              report(e.node, key, l, 'releasesStillHeld', {
                name: summary.name,
                paths: l.must ? '' : ' on some paths',
              });
            else if (e.how === 'return' && leftToMe().has(key))
              report(e.node, key, l, 'leftToHelper', {
                name: summary.name,
                callers: leftToMe()
                  .get(key)!
                  .leakers.map((n) => `\`${n}\``)
                  .join(', '),
                paths: l.must ? '' : ' on some paths',
              });
            continue;
          }
          if (e.how === 'throw') {
            ctx.report({
              node: exitAnchor(e.node),
              messageId: 'heldAtThrow',
              data: { lock: key, siteLine: ctx.line(l.site), line: ctx.line(e.node) },
              related: [{ node: l.site, message: 'lock taken here' }],
            });
            continue;
          }
          const siteLine = ctx.line(l.site);
          if (l.must && summary.acquires.includes(key) && !declared.has(key)) {
            // Inferred for a private helper (its callers apply the summary), unless no caller
            // ever releases it; declared otherwise.
            if (!ctx.analysis.callersKnown) {
              report(e.node, key, l, 'acquiresUndeclared', { siteLine, name: summary.name });
              continue;
            }
            if (ctx.analysis.unreleased?.locks.includes(key) === true)
              report(e.node, key, l, 'acquiredNeverReleased', { siteLine, name: summary.name });
            continue;
          }
          if (l.must && summary.acquires.includes(key)) continue;
          // A private conditional acquire: held on the returns of the result that says so.
          if (
            l.must &&
            ctx.analysis.callersKnown &&
            conditionallyAcquired(e.node, key, summary.acquiresWhen) &&
            ctx.analysis.unreleased?.locks.includes(key) !== true
          )
            continue;
          // Returning the locked object hands the lock to the caller (lockTaskSighand), also when
          // it is held exactly where that object is non-null (NULL returned unlocked).
          const ret = ts.isReturnStatement(e.node) ? e.node.expression : undefined;
          const retSym = ret !== undefined && ts.isIdentifier(ret) ? ctx.checker.getSymbolAtLocation(ret) : undefined;
          if (retSym !== undefined && summary.returnsLockedField !== undefined) {
            if (lockHeldFor(l, retSym) && summary.returnsLockedField === l.field) continue;
            // A lock reached through it (`anonVma.root.rwsem`), held wherever it is non-null.
            const symbolOf = (n: ts.Node): ts.Symbol | undefined => ctx.checker.getSymbolAtLocation(n);
            if (heldPathFrom(l, retSym, symbolOf) === summary.returnsLockedField) continue;
          }
          report(e.node, key, l, 'heldAtExit', { siteLine, paths: l.must ? '' : ' on some paths' });
        }
      }
    }
  },
});

function conditionallyAcquired(exit: ts.Node, key: string, when: FunctionSummary['acquiresWhen']): boolean {
  const e = ts.isReturnStatement(exit) ? exit.expression : undefined;
  if (when === undefined || e === undefined) return false;
  const k = e.kind;
  return (
    (k === ts.SyntaxKind.TrueKeyword && when.whenTrue.includes(key)) ||
    (k === ts.SyntaxKind.FalseKeyword && when.whenFalse.includes(key))
  );
}
