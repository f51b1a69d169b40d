/**
 * @fileoverview Debug mode's checks of calls that block: synchronizeRcu(), rcuBarrier() and
 * kmemCacheDestroy() may sleep for a grace period, so none may run while the thread holds a
 * spinlock (another thread spinning on it would wait on a sleeper, and a reader that needs it
 * to finish its section would wait on the grace period). And a thread that detaches, or a
 * worker that exits, while holding spinlocks leaves them to the owner-dead path of the next
 * locker.
 */

import { writeSync } from 'node:fs';
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

/**
 * Report the spinlocks a worker still holds as it exits without detach(). This runs in the
 * process 'exit' event, where a warning would be queued for a tick that never comes: with no
 * 'debug' listener, the report is written to stderr at once.
 */
export function reportHeldAtExit(d: DebugThread, threadName: string): void {
  if (d.held.length === 0) return;
  const error = new InvalidBlockingError(
    `worker "${threadName}" exited without detach() while holding spinlocks; the next locker of each gets ` +
      `SpinlockOwnerDeadError\n${d.heldText()}`,
  );
  if (d.heap.listenerCount('debug') > 0) d.heap.emit('debug', error);
  else writeSync(2, `(rcukit) ${error.code}: ${error.message}\n`);
}
