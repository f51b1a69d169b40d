/**
 * @fileoverview A buggy file to try the extension on by hand (see README.md here). The kernel's
 * `__lock_task_sighand`, correct and broken, plus a read outside any read-side section.
 */

import { rcuReadLock, rcuReadUnlock, spinLock, spinUnlock, type Spinlock, type TypeStable } from '@rcukit/runtime';

export interface Sighand {
  siglock: Spinlock;
  count: number;
}

export interface Task {
  sighand: TypeStable<Sighand> | null;
}

/** Correct: lock under the read lock, then revalidate identity under the spinlock. */
export function lockTaskSighand(task: Task): TypeStable<Sighand> | null {
  for (;;) {
    rcuReadLock();
    const sighand = task.sighand;
    if (sighand === null) {
      rcuReadUnlock();
      return null;
    }
    spinLock(sighand.siglock);
    if (sighand === task.sighand) {
      rcuReadUnlock();
      return sighand;
    }
    spinUnlock(sighand.siglock);
    rcuReadUnlock();
  }
}

/** Broken: no revalidation; the lock may belong to an object reused for another task. */
export function lockTaskSighandBroken(task: Task): TypeStable<Sighand> | null {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand === null) {
    rcuReadUnlock();
    return null;
  }
  spinLock(sighand.siglock);
  rcuReadUnlock();
  return sighand;
}

/** Broken: reads a type-stable object with no read-side section at all. */
export function peekCount(task: Task): number {
  const sighand = task.sighand;
  return sighand === null ? 0 : sighand.count;
}
