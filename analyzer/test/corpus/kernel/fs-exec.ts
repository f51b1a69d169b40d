/**
 * @fileoverview Translation of Linux fs/exec.c unshare_sighand(): exec gives the task a
 * private copy of a shared sighand_struct and publishes it, the writer side that
 * __lock_task_sighand() (kernel-signal.ts) races with.
 *
 * Source read: fs/exec.c at ColinIanKing/linux-next commit
 * 03b9d3141510e2d2d83eea1f60c18467b01b9ac2 (linux-next, 6.18 cycle).
 * Function: unshare_sighand (called by begin_new_exec with me == current).
 */

import { kmemCacheAlloc, refcountRead, refcountSet, spinLock, spinUnlock } from '@rcukit/runtime';
import { tasklistLock, type TaskRef } from '../lib/sched.js';
import { __cleanupSighand, sighandCachep } from './kernel-fork.js';

/**
 * unshare_sighand (fs/exec.c): make sure `me` (the current task) has its own signal table, so
 * that flush_signal_handlers() can reset it without disturbing other processes sharing it
 * through CLONE_SIGHAND. The kernel's comment: "This function makes sure the current process
 * has its own signal table"; begin_new_exec() passes `me = current`.
 * @current me
 */
export function unshareSighand(me: TaskRef): number {
  const oldsighand = me.sighand!;

  if (refcountRead(oldsighand.count) !== 1) {
    // This ->sighand is shared with the CLONE_SIGHAND but not CLONE_THREAD task: switch to a
    // new one. (kmem_cache_alloc() failing is the runtime throwing: no -ENOMEM path.)
    const newsighand = kmemCacheAlloc(sighandCachep);

    refcountSet(newsighand.count, 1);

    spinLock(tasklistLock.lock); // write_lock_irq(&tasklist_lock)
    spinLock(oldsighand.siglock);
    newsighand.action.set(oldsighand.action); // memcpy(newsighand->action, oldsighand->action, ...)
    newsighand.actionFlags.set(oldsighand.actionFlags);
    me.sighand = newsighand; // rcu_assign_pointer(me->sighand, newsighand)
    spinUnlock(oldsighand.siglock);
    spinUnlock(tasklistLock.lock); // write_unlock_irq(&tasklist_lock)

    __cleanupSighand(oldsighand);
  }
  return 0;
}
