/**
 * @fileoverview The same functions as signal-buggy.ts, written correctly. `rcukit check`
 * reports nothing here.
 */

import { rcuReadLock, rcuReadUnlock, refcountDecAndTest, refcountIncNotZero, spinLock, spinUnlock, synchronizeRcuAsync } from '@rcukit/runtime';
import type { Sighand, Sock, SockTable, Task } from './model.js';

/**
 * Linux's __lock_task_sighand: lock the sighand found under the read lock (its memory stays a
 * sighand while we hold it), then check it is still the task's; if not, it was freed and
 * reused, so drop it and retry.
 */
export function lockTaskSighand(task: Task): Sighand | null {
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

/** Read the field inside the read-side section; `using` ends it on every path. */
export function pendingSignals(task: Task): number {
  using _rcu = rcuReadLock();
  const sighand = task.sighand;
  return sighand === null ? 0 : sighand.pending;
}

/** try/finally keeps the read lock balanced whatever path leaves the function. */
export function sighandCount(task: Task): number {
  rcuReadLock();
  try {
    const sighand = task.sighand;
    if (sighand === null) return 0;
    return sighand.count;
  } finally {
    rcuReadUnlock();
  }
}

/**
 * Pin with a reference only if the object is live, then re-check the key: the object may have
 * been freed and reused for another port between the comparison and the increment.
 */
export function lookupSock(table: SockTable, port: number): Sock | null {
  rcuReadLock();
  for (const sock of table.bucket(port)) {
    if (sock.port !== port) continue;
    if (!refcountIncNotZero(sock.refcnt)) continue;
    if (sock.port !== port) {
      putSock(table, sock);
      continue;
    }
    rcuReadUnlock();
    return sock;
  }
  rcuReadUnlock();
  return null;
}

/**
 * Drop a reference; the last one frees the socket.
 * @owned sock
 */
export function putSock(table: SockTable, sock: Sock): void {
  if (refcountDecAndTest(sock.refcnt)) table.free(sock);
}

/** Leave the read-side section before waiting for a grace period. */
export async function flushSighand(task: Task): Promise<void> {
  const sighand = lockTaskSighand(task);
  if (sighand !== null) {
    sighand.pending = 0;
    spinUnlock(sighand.siglock);
  }
  await synchronizeRcuAsync();
}

/** Lock, revalidate, and unlock on every path. */
export function clearPending(task: Task): void {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand !== null) {
    spinLock(sighand.siglock);
    if (sighand === task.sighand) sighand.pending = 0;
    spinUnlock(sighand.siglock);
  }
  rcuReadUnlock();
}
