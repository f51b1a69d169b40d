/**
 * @fileoverview Translation of Linux kernel/exit.c __exit_signal() and its caller
 * release_task(): the writer that clears task->sighand under the siglock and drops the task's
 * reference on it, which is why __lock_task_sighand() must re-read task->sighand.
 *
 * Source read: kernel/exit.c at ColinIanKing/linux-next commit
 * 19340abe02c79f5cac9eaa8a9f1e4d232ee7765f (linux-next, 6.18 cycle).
 * Functions: __exit_signal, release_task.
 */

import { rcuReadLock, rcuReadUnlock, spinLock, spinUnlock } from '@rcukit/runtime';
import { tasklistLock, type TaskRef } from '../lib/sched.js';
import { __cleanupSighand } from './kernel-fork.js';

/** EXIT_ZOMBIE / EXIT_DEAD in task->exit_state. */
const EXIT_ZOMBIE = 0x20;
const EXIT_DEAD = 0x10;

/**
 * __exit_signal (kernel/exit.c): detach an exiting task from its signal state.
 * "This function expects the tasklist_lock write-locked."
 * @mustHold tasklistLock.lock
 */
function __exitSignal(tsk: TaskRef): void {
  const sig = tsk.signal!;
  const groupDead = threadGroupLeader(tsk);
  let tty = 0;

  // rcu_dereference_check(tsk->sighand, lockdep_tasklist_lock_is_held()): tasklist_lock
  // orders every writer of ->sighand.
  const sighand = tsk.sighand!;
  spinLock(sighand.siglock);

  posixCpuTimersExit(tsk, groupDead);

  if (groupDead) {
    tty = sig.tty;
    sig.tty = 0;
  } else {
    // If there is any task waiting for the group exit then notify it:
    if (sig.notifyCount > 0 && !--sig.notifyCount) wakeUpGroupExecTask(sig.groupExecTask);
    // (The curr_target update that follows in the kernel touches no sighand: left out.)
  }

  // Accumulate the counters for all threads as they die (under sig->stats_lock).
  accumulateThreadStats(tsk);
  sig.nrThreads--;
  __unhashProcess(tsk, groupDead);

  tsk.sighand = null;
  spinUnlock(sighand.siglock);

  __cleanupSighand(sighand);
  if (groupDead) ttyKrefPut(tty);
}

/** release_task (kernel/exit.c): reap a dead task, and its group leader when it was the last thread. */
export function releaseTask(p: TaskRef): void {
  repeat: for (;;) {
    // Not needed for a dead task, but it shuts RCU-lockdep up.
    rcuReadLock();
    decRlimitUcounts(p);
    rcuReadUnlock();

    pidfsExit(p);
    // (cgroup_release, the thread_pid reference, proc_flush_pid, free_pids and the sigqueue
    // flushes, which touch no sighand, are left out.)

    spinLock(tasklistLock.lock); // write_lock_irq(&tasklist_lock)
    ptraceReleaseTask(p);
    __exitSignal(p);

    // If we are the last non-leader member of the thread group, and the leader is zombie,
    // then notify the group leader's parent process.
    let zapLeader = false;
    const leader = groupLeader(p);
    if (leader !== p && threadGroupEmpty(leader) && leader.exitState === EXIT_ZOMBIE) {
      // If we were the last child thread and the leader has exited already, and the leader's
      // parent ignores SIGCHLD, then we are the one who should release the leader.
      zapLeader = doNotifyParent(leader);
      if (zapLeader) leader.exitState = EXIT_DEAD;
    }

    spinUnlock(tasklistLock.lock);
    releaseThread(p);
    putTaskStructRcuUser(p);

    p = leader;
    if (zapLeader) continue repeat;
    return;
  }
}

// The rest of exit.c and of the scheduler, not translated.
declare function threadGroupLeader(p: TaskRef): boolean;
declare function threadGroupEmpty(p: TaskRef): boolean;
declare function groupLeader(p: TaskRef): TaskRef;
declare function posixCpuTimersExit(tsk: TaskRef, groupDead: boolean): void;
declare function ttyKrefPut(tty: number): void;
declare function wakeUpGroupExecTask(groupExecTask: number): void;
declare function accumulateThreadStats(tsk: TaskRef): void;
declare function __unhashProcess(tsk: TaskRef, groupDead: boolean): void;
declare function decRlimitUcounts(p: TaskRef): void;
declare function pidfsExit(p: TaskRef): void;
declare function ptraceReleaseTask(p: TaskRef): void;
declare function doNotifyParent(leader: TaskRef): boolean;
declare function releaseThread(p: TaskRef): void;
declare function putTaskStructRcuUser(p: TaskRef): void;
