/**
 * @fileoverview Translation of Linux kernel/signal.c around __lock_task_sighand(): the
 * canonical SLAB_TYPESAFE_BY_RCU reader (lock an object found through an RCU pointer, then
 * check that the pointer still leads to it) and its callers.
 *
 * Sources read:
 * - kernel/signal.c at ColinIanKing/linux-next commit 1ab815f203c2a88e66700850fe6e44ef8e7c3526
 *   (__lock_task_sighand, lockdep_assert_task_sighand_held, group_send_sig_info,
 *   kill_pid_usb_asyncio, posixtimer_send_sigqueue);
 * - kernel/signal.c at torvalds/linux commit 496156e3647f44e2aab3e64f86b63294afca458a
 *   (do_send_sig_info, the same in every version since);
 * - include/linux/sched/signal.h at ColinIanKing/linux-next commit
 *   4e7e5ceebae5930cd3370f059b5a04ca4b4e4ea4 (lock_task_sighand, unlock_task_sighand);
 * - kernel/signal.c do_sigaction() and sig_handler() as of Linux 6.13 (SA_IMMUTABLE, the
 *   posixtimer_sig_unignore() call of the posix-timers rework, flush_sigqueue_mask(p, …)), read
 *   from the published patches that touch it.
 */

import { rcuReadLock, rcuReadUnlock, spinLock, spinUnlock } from '@rcukit/runtime';
import { EINVAL, EPERM, ESRCH, lockdepAssertHeld, warnOn } from '../lib/kernel.js';
import {
  PIDTYPE_PID,
  PIDTYPE_TGID,
  SA_IMMUTABLE,
  SIGKILL,
  SIGSTOP,
  SIG_IGN,
  UAPI_SA_FLAGS,
  current,
  flushSigqueueMask,
  forEachThread,
  posixtimerSigUnignore,
  sharedPending,
  sigHandlerIgnored,
  sigKernelOnly,
  sigactionCompatAbi,
  sigmask,
  taskPending,
  pidTask,
  posixtimerGetTarget,
  posixtimerPutref,
  posixtimerQueueSigqueue,
  posixtimerSigIgnore,
  posixtimerSigqueueGetref,
  prepareSignal,
  securityTaskKill,
  sendSignalLocked,
  traceSignalGenerate,
  validSignal,
  killAsCredPerm,
  type Cred,
  type KItimer,
  type KSigaction,
  type KernelSiginfo,
  type Pid,
  type SighandRef,
  type TaskRef,
} from '../lib/sched.js';

/** SI_ASYNCIO, POSIX_TIMER_REQUEUE_PENDING and the TRACE_SIGNAL_* results used below. */
const SI_ASYNCIO = -4;
const POSIX_TIMER_REQUEUE_PENDING = 1;
const TRACE_SIGNAL_DELIVERED = 0;
const TRACE_SIGNAL_IGNORED = 1;
const TRACE_SIGNAL_ALREADY_PENDING = 2;

/** __lock_task_sighand (kernel/signal.c): lock tsk->sighand, whichever object it is by then. */
export function __lockTaskSighand(tsk: TaskRef): SighandRef | null {
  let sighand: SighandRef | null;

  rcuReadLock();
  for (;;) {
    sighand = tsk.sighand; // rcu_dereference(tsk->sighand)
    if (sighand === null) break;

    // This sighand can be already freed and even reused, but SLAB_TYPESAFE_BY_RCU and
    // sighand_ctor() keep ->siglock a lock. We must check that tsk->sighand is still the same
    // after we take the lock: we can race with de_thread() or __exit_signal(), and in the
    // latter case the next iteration sees ->sighand == NULL.
    spinLock(sighand.siglock);
    if (sighand === tsk.sighand) break; // rcu_access_pointer(tsk->sighand)
    spinUnlock(sighand.siglock);
  }
  rcuReadUnlock();

  return sighand;
}

/** lock_task_sighand (include/linux/sched/signal.h): __cond_lock(&task->sighand->siglock, ret) is for sparse. */
function lockTaskSighand(task: TaskRef): SighandRef | null {
  const ret = __lockTaskSighand(task);
  return ret;
}

/** unlock_task_sighand (include/linux/sched/signal.h). */
function unlockTaskSighand(task: TaskRef): void {
  spinUnlock(task.sighand!.siglock);
}

/** lockdep_assert_task_sighand_held (kernel/signal.c, CONFIG_LOCKDEP). */
export function lockdepAssertTaskSighandHeld(task: TaskRef): void {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand) lockdepAssertHeld(sighand.siglock);
  else warnOn(true);
  rcuReadUnlock();
}

/** do_send_sig_info (kernel/signal.c). */
export function doSendSigInfo(sig: number, info: KernelSiginfo, p: TaskRef, type: number): number {
  let ret = -ESRCH;

  if (lockTaskSighand(p)) {
    ret = sendSignalLocked(sig, info, p, type);
    unlockTaskSighand(p);
  }

  return ret;
}

/** group_send_sig_info (kernel/signal.c): permission check under RCU, then do_send_sig_info(). */
export function groupSendSigInfo(sig: number, info: KernelSiginfo, p: TaskRef, type: number): number {
  let ret: number;

  rcuReadLock();
  ret = checkKillPermission(sig, info, p);
  rcuReadUnlock();

  if (!ret && sig) ret = doSendSigInfo(sig, info, p, type);

  return ret;
}

/** kill_pid_usb_asyncio (kernel/signal.c): a caller that holds RCU across lock_task_sighand(). */
export function killPidUsbAsyncio(sig: number, errno: number, pid: Pid, cred: Cred): number {
  let ret = -EINVAL;

  if (!validSignal(sig)) return ret;

  const info: KernelSiginfo = { signo: sig, errno, code: SI_ASYNCIO };

  rcuReadLock();
  outUnlock: {
    const p = pidTask(pid, PIDTYPE_PID);
    if (!p) {
      ret = -ESRCH;
      break outUnlock;
    }
    if (!killAsCredPerm(cred, p)) {
      ret = -EPERM;
      break outUnlock;
    }
    ret = securityTaskKill(p, info, sig, cred);
    if (ret) break outUnlock;

    if (sig) {
      if (lockTaskSighand(p)) {
        ret = sendSignalLocked(sig, info, p, PIDTYPE_TGID);
        unlockTaskSighand(p);
      } else ret = -ESRCH;
    }
  }
  rcuReadUnlock();
  return ret;
}

/** posixtimer_send_sigqueue (kernel/signal.c): guard(rcu)() for the whole function. */
export function posixtimerSendSigqueue(tmr: KItimer): void {
  const sig = tmr.sigq.signo;
  let result: number;

  using _ = rcuReadLock();

  const t = posixtimerGetTarget(tmr);
  if (!t) return;

  if (!lockTaskSighand(t)) return;

  out: {
    // Update tmr->it_sigqueue_seq with sighand locked, against dequeue_signal().
    tmr.itSigqueueSeq = tmr.itSignalSeq;

    // The delivery status, under sighand lock, so that ignored-signal handling can tell a
    // periodic from a non-periodic timer.
    tmr.itSigPeriodic = tmr.itStatus === POSIX_TIMER_REQUEUE_PENDING;

    if (!prepareSignal(sig, t, false)) {
      result = TRACE_SIGNAL_IGNORED;

      // Ignored and blocked, and already queued: leave it queued like a regular signal.
      if (tmr.sigq.queued) break out;

      // Periodic timers with SIG_IGN are queued on the ignored list.
      if (tmr.itSigPeriodic) {
        // Already queued means the timer was rearmed after the previous expiry got it on the
        // ignore list: nothing to do then.
        if (!tmr.ignoredListHashed) {
          posixtimerSigqueueGetref(tmr);
          posixtimerSigIgnore(t, tmr);
        }
      } else if (tmr.ignoredListHashed) {
        // Periodic, then ignored, now rearmed as oneshot: the old signal is invalid.
        tmr.ignoredListHashed = false; // hlist_del_init(&tmr->ignored_list)
        posixtimerPutref(tmr);
      }
      break out;
    }

    if (tmr.sigq.queued) {
      // This holds a reference count already
      result = TRACE_SIGNAL_ALREADY_PENDING;
      break out;
    }

    // On the ignore list: move it back to the pending list (it holds a reference already);
    // otherwise take a reference.
    if (!tmr.ignoredListHashed) posixtimerSigqueueGetref(tmr);
    else tmr.ignoredListHashed = false;

    posixtimerQueueSigqueue(tmr, t, tmr.itPidType);
    result = TRACE_SIGNAL_DELIVERED;
  }
  traceSignalGenerate(sig, t, result);
  unlockTaskSighand(t);
}

/** check_kill_permission(): reads the target's credentials under the caller's RCU. */
declare function checkKillPermission(sig: number, info: KernelSiginfo, t: TaskRef): number;

/**
 * sig_handler (kernel/signal.c): the handler `t`'s table holds for `sig`. Its callers
 * (do_sigaction, and sig_task_ignored() under prepare_signal()) hold t's siglock, under which
 * t->sighand cannot change.
 * @mustHold t.sighand.siglock
 */
function sigHandler(t: TaskRef, sig: number): number {
  return t.sighand!.action[sig - 1]!;
}

/**
 * do_sigaction (kernel/signal.c): the writer of a sighand_struct's actions, under its siglock.
 * The table is the current task's own, so `p->sighand` needs no RCU: only the task replaces it
 * (unshare_sighand(), fs-exec.ts). `*k = *act` and `*oact = *k` copy both halves of the split
 * k_sigaction (lib/sched.ts).
 */
export function doSigaction(sig: number, act: KSigaction | null, oact: KSigaction | null): number {
  const p = current();

  if (!validSignal(sig) || sig < 1 || (act && sigKernelOnly(sig))) return -EINVAL;

  const k = sig - 1; // k = &p->sighand->action[sig-1]

  spinLock(p.sighand!.siglock); // spin_lock_irq(&p->sighand->siglock)
  if (p.sighand!.actionFlags[k]! & SA_IMMUTABLE) {
    spinUnlock(p.sighand!.siglock);
    return -EINVAL;
  }
  if (oact) {
    oact.handler = p.sighand!.action[k]!;
    oact.flags = p.sighand!.actionFlags[k]!;
  }

  // Clear unknown flag bits in order to allow userspace to detect missing support for flag
  // bits and to allow the kernel to use non-uapi bits internally.
  if (act) act.flags &= UAPI_SA_FLAGS;
  if (oact) oact.flags &= UAPI_SA_FLAGS;

  sigactionCompatAbi(act, oact);

  if (act) {
    const wasIgnored = p.sighand!.action[k] === SIG_IGN;

    act.mask &= ~(sigmask(SIGKILL) | sigmask(SIGSTOP)); // sigdelsetmask
    p.sighand!.action[k] = act.handler;
    p.sighand!.actionFlags[k] = act.flags;
    // POSIX 3.3.1.3: setting an action to SIG_IGN (or to SIG_DFL when the default is to ignore)
    // discards the pending signal, whether or not it is blocked.
    if (sigHandlerIgnored(sigHandler(p, sig), sig)) {
      const mask = sigmask(sig); // sigemptyset(&mask); sigaddset(&mask, sig)
      flushSigqueueMask(p, mask, sharedPending(p));
      for (const t of forEachThread(p)) flushSigqueueMask(p, mask, taskPending(t));
    } else if (wasIgnored) {
      posixtimerSigUnignore(p, sig);
    }
  }

  spinUnlock(p.sighand!.siglock); // spin_unlock_irq(&p->sighand->siglock)
  return 0;
}
