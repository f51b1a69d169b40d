/**
 * @fileoverview Debug mode's checks of calls that block: synchronizeRcu(), rcuBarrier() and
 * kmemCacheDestroy() may sleep for a grace period, so none may run while the thread holds a
 * spinlock (another thread spinning on it would wait on a sleeper, and a reader that needs it
 * to finish its section would wait on the grace period). And a thread that detaches while
 * holding spinlocks leaves them to the owner-dead path of the next locker.
 */

import { InvalidBlockingError } from '../errors.js';
import type { DebugThread } from './debug-thread.js';

/** Throw InvalidBlockingError when the thread holds a spinlock. `what` is the call. */
export function assertMayBlock(d: DebugThread, what: string): void {
  if (d.held.length === 0) return;
  throw new InvalidBlockingError(
    `${what}() while holding a spinlock: it may sleep for a grace period\n${d.heldText()}`,
  );
}

/** Report (without throwing) the spinlocks a detaching thread still holds. */
export function reportHeldAtDetach(d: DebugThread): void {
  if (d.held.length === 0) return;
  d.report(new InvalidBlockingError(`thread detached from the heap while holding spinlocks\n${d.heldText()}`));
}
