/**
 * @fileoverview Debug mode's rcuReadLock / rcuReadUnlock: they note where each outermost
 * read-side section began, and check, when the current job yields (a microtask queued by the
 * section runs once the synchronous code has returned to the event loop, or reached an
 * `await`), that no section is still open. A section open across an await is reported
 * through the heap's 'debug' event (InvalidBlockingError), without throwing: by then the code
 * that opened it is no longer on the stack.
 */

import { InvalidBlockingError } from '../errors.js';
import { threadLocal } from '../heap/thread-context.js';
import { rcuReadLockFull, rcuReadUnlockFull } from '../rcu/read-side.js';
import { callSiteText, captureCallSite } from './call-site.js';
import type { DebugThread } from './debug-thread.js';

function rcuReadLockDebug(): Disposable {
  const guard = rcuReadLockFull();
  const t = threadLocal.current!;
  const d = t.heap.debug;
  if (d !== null && t.readNesting === 1 && !t.qsbr) {
    d.sectionSite = captureCallSite(rcuReadLockDebug);
    d.sections++;
    if (!d.yieldCheckQueued) {
      d.yieldCheckQueued = true;
      queueMicrotask(() => checkAtYield(d));
    }
  }
  return guard;
}

function rcuReadUnlockDebug(): void {
  rcuReadUnlockFull();
  const t = threadLocal.current;
  if (t !== null && t.readNesting === 0 && t.heap.debug !== null) t.heap.debug.sectionSite = null;
}

function checkAtYield(d: DebugThread): void {
  d.yieldCheckQueued = false;
  const t = threadLocal.current;
  if (t === null || t.heap !== d.heap || t.readNesting === 0 || d.sectionSite === null) return;
  d.report(
    new InvalidBlockingError(
      `read-side section left open across an await (or the end of a job): the event loop may run for ` +
        `any length of time with this thread inside rcuReadLock(), stalling every grace period\n` +
        `  section entered at:\n${callSiteText(d.sectionSite)}`,
    ),
  );
  // One report per section.
  d.sectionSite = null;
}

/** The debug functions, for setReadSideBindings(). */
export const readSideDebug = { lock: rcuReadLockDebug, unlock: rcuReadUnlockDebug };
