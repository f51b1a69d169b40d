/**
 * @fileoverview Debug mode's spinLock / spinTrylock / spinUnlock: they record which spinlocks
 * the thread holds (for the protection check, the blocking check and the report at detach),
 * check the lock order (debug/lock-order.ts) and fuzz before acquiring. Installed for the
 * calling thread by debug/debug-bindings.ts.
 */

import { LockOrderError, SpinlockOwnerDeadError } from '../errors.js';
import { spinlockPlain, type Spinlock } from '../spinlock.js';
import { captureCallSite, callSiteText } from './call-site.js';
import type { DebugThread } from './debug-thread.js';
import { fuzzDelay } from './fuzz.js';
import { checkLockOrder } from './lock-order.js';

/**
 * The lock's heap's debug record, or null; null too for a value that is not a lock, which the
 * plain function then refuses with InvalidArgumentError.
 */
function debugOf(lock: Spinlock): DebugThread | null {
  const given = lock as unknown as { heap?: { debug: DebugThread | null } } | null | undefined; // as a JavaScript caller may pass it
  return given?.heap?.debug ?? null;
}

function spinLockDebug(lock: Spinlock): Spinlock {
  const d = debugOf(lock);
  if (d === null) return spinlockPlain.spinLock(lock);
  const site = captureCallSite(spinLockDebug);
  beforeAcquire(d, lock, site, 'spinLock');
  try {
    spinlockPlain.spinLock(lock);
  } catch (error) {
    // The lock is held by this thread after an owner-dead report.
    if (error instanceof SpinlockOwnerDeadError) d.lockTaken(lock, site);
    throw error;
  }
  d.lockTaken(lock, site);
  return lock;
}

function spinTrylockDebug(lock: Spinlock): boolean {
  const d = debugOf(lock);
  if (d === null) return spinlockPlain.spinTrylock(lock);
  const site = captureCallSite(spinTrylockDebug);
  beforeAcquire(d, lock, site, 'spinTrylock');
  let taken: boolean;
  try {
    taken = spinlockPlain.spinTrylock(lock);
  } catch (error) {
    if (error instanceof SpinlockOwnerDeadError) d.lockTaken(lock, site);
    throw error;
  }
  if (taken) d.lockTaken(lock, site);
  return taken;
}

function spinUnlockDebug(lock: Spinlock): void {
  spinlockPlain.spinUnlock(lock);
  lock.heap.debug?.lockReleased(lock);
}

function beforeAcquire(d: DebugThread, lock: Spinlock, site: ReturnType<typeof captureCallSite>, what: string): void {
  const again = d.held.find((h) => h.lock.index === lock.index);
  if (again !== undefined) {
    throw new LockOrderError(
      `${what}(${lock.label}): this thread already holds it; taking it again would deadlock\n` +
        `  first taken at:\n${callSiteText(again.site)}\n  taken again at:\n${callSiteText(site)}`,
    );
  }
  checkLockOrder(d, lock, site, what);
  fuzzDelay(d);
}

/** The debug functions, for setSpinlockBindings(). */
export const spinlockDebug = { spinLock: spinLockDebug, spinTrylock: spinTrylockDebug, spinUnlock: spinUnlockDebug };
