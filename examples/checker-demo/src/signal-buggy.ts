/**
 * @fileoverview The mistakes: each line marked `// expect: <rule>` is a real bug that
 * `rcukit check` reports. Compare with signal-fixed.ts, the same functions written correctly.
 */

import { rcuReadLock, rcuReadUnlock, refcountIncNotZero, spinLock, spinUnlock, synchronizeRcuAsync } from '@rcukit/runtime';
import type { Sighand, Sock, SockTable, Task } from './model.js';

/** Locks the sighand, but never checks that it is still the task's: it may have been reused. */
export function lockTaskSighand(task: Task): Sighand | null {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand === null) {
    rcuReadUnlock();
    return null;
  }
  spinLock(sighand.siglock);
  rcuReadUnlock();
  return sighand; // expect: rcu/missing-revalidation
}

/** Reads a field of a type-stable object with no read lock and no lock of its own. */
export function pendingSignals(task: Task): number {
  const sighand = task.sighand;
  return sighand === null ? 0 : sighand.pending; // expect: rcu/deref-outside-read-lock
}

/** An early return leaves the read-side section held. */
export function sighandCount(task: Task): number {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand === null) return 0; // expect: rcu/unbalanced-read-lock
  const n = sighand.count;
  rcuReadUnlock();
  return n;
}

/** Takes a reference but ignores whether it succeeded: the object may be free (refcount 0). */
export function lookupSock(table: SockTable, port: number): Sock | null {
  rcuReadLock();
  for (const sock of table.bucket(port)) {
    if (sock.port !== port) continue;
    refcountIncNotZero(sock.refcnt); // expect: rcu/inc-not-zero-unchecked
    rcuReadUnlock();
    return sock; // expect: rcu/reference-escape
  }
  rcuReadUnlock();
  return null;
}

/**
 * Writes a sighand it never locked (under rcuReadLock() it may already be another task's), and
 * waits for a grace period from inside a read-side section: that wait can never end.
 */
export async function flushSighand(task: Task): Promise<void> {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand !== null) sighand.pending = 0; // expect: rcu/unstable-write
  await synchronizeRcuAsync(); // expect: rcu/blocking-in-read-section
  rcuReadUnlock();
}

/** Unlocks on one path only: when the revalidation fails, the lock stays held. */
export function clearPending(task: Task): void {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand !== null) {
    spinLock(sighand.siglock);
    if (sighand === task.sighand) {
      sighand.pending = 0;
      spinUnlock(sighand.siglock);
    }
  }
  rcuReadUnlock();
} // expect: rcu/unbalanced-spinlock (reported where the function returns with the lock held)
