/**
 * @fileoverview The task-side structures of the kernel corpus (include/linux/sched.h,
 * include/linux/sched/signal.h, include/linux/mm_types.h), declared with the runtime's
 * struct API, and the kernel functions around them that the translations call but do not
 * translate.
 *
 * Only sighand_struct lives in a SLAB_TYPESAFE_BY_RCU cache (sighand_cachep, created in
 * kernel/fork.ts); its references carry the TypeStable brand. task_struct, signal_struct and
 * mm_struct are freed after a grace period (or never while the caller holds the task), so
 * their references are plain.
 */

import { defineStruct, type StructRef } from '@rcukit/runtime';
import { File, FilesStruct } from './fs.js';

/** _NSIG: the number of signal actions in a sighand_struct. */
export const NSIG = 64;

/** struct sighand_struct: the signal handlers a thread group shares. */
export const Sighand = defineStruct(
  'sighand_struct',
  {
    /** Initialized once per slab by sighand_ctor(): readers may spin on it after a reuse. */
    siglock: 'spinlock',
    count: 'refcount',
    /** Also set up by sighand_ctor() (init_waitqueue_head): the wait queue's lock word. */
    signalfdWqh: 'spinlock',
    /**
     * struct k_sigaction action[_NSIG], split in two arrays: the handler of each signal here,
     * its sa_flags in actionFlags (sa_mask is not kept: nothing in the corpus reads it).
     */
    action: { array: 'i32', length: NSIG },
    actionFlags: { array: 'u32', length: NSIG },
  },
  { typesafeByRcu: true },
);
export type SighandRef = StructRef<typeof Sighand>;

/** struct signal_struct: the thread group's shared signal state (fields the corpus reads). */
export const SignalStruct = defineStruct('signal_struct', {
  flags: 'u32',
  notifyCount: 'i32',
  nrThreads: 'i32',
  groupExecTask: 'i32',
  /** The controlling tty, by number (0 for none). */
  tty: 'i32',
});

/** struct mm_struct, reduced to what the exe_file code touches. */
export const Mm = defineStruct('mm_struct', {
  /** The mmap_lock (an rw_semaphore in the kernel). */
  mmapLock: 'spinlock',
  exeFile: { rcu: () => File },
  users: 'i32',
  /**
   * mm_lock_seq (seqcount_t): odd while mmap_lock is write-locked; vma_end_write_all() bumps it,
   * which releases every VMA write lock at once (include/linux/mmap_lock.h).
   */
  mmLockSeq: 'u32',
  /** mm_count: what mmgrab() / mmdrop() count (the mm_struct itself, not the address space). */
  mmCount: 'refcount',
});
export type MmRef = StructRef<typeof Mm>;

/** struct task_struct, reduced to what the corpus touches. */
export const Task = defineStruct('task_struct', {
  pid: 'i32',
  tgid: 'i32',
  flags: 'u32',
  exitState: 'i32',
  /** task_lock(): alloc_lock protects ->mm, ->files, ->fs and friends. */
  allocLock: 'spinlock',
  /**
   * RCU-protected: replaced by exec (unshare_sighand), cleared by __exit_signal. Only the task
   * itself replaces it, and the pointer holds a count on its sighand_struct, so the task reads
   * its own ->sighand plainly: kernel/time/posix-cpu-timers.c, handle_posix_cpu_timers(): "tsk is
   * current and ->sighand is stable"; Oleg Nesterov on the __rcu annotation of ->sighand:
   * "current->sighand is always stable. Plus task->sighand is stable under siglock."
   * @ownerWrites
   */
  sighand: { rcu: () => Sighand },
  signal: { rcu: () => SignalStruct },
  /**
   * task_lock() "Protects ->fs, ->files, ->mm, ->group_info, ->comm, keyring subscriptions and
   * synchronises with wait4()" (include/linux/sched/task.h).
   * @guardedBy allocLock
   */
  mm: { rcu: () => Mm },
  /**
   * Protected by task_lock() (alloc_lock), not by RCU; a pointer field all the same.
   * @guardedBy allocLock
   */
  files: { rcu: () => FilesStruct },
});
export type TaskRef = StructRef<typeof Task>;

/** tasklist_lock, the rwlock_t that orders writers of task->sighand (and much else). */
export const Tasklist = defineStruct('tasklist', { lock: 'spinlock' });
export type TasklistRef = StructRef<typeof Tasklist>;

/** PF_KTHREAD in task->flags. */
export const PF_KTHREAD = 0x00200000;
/** PIDTYPE_* values the corpus passes around. */
export const PIDTYPE_PID = 0;
export const PIDTYPE_TGID = 1;
/** SIGNAL_GROUP_EXIT in signal->flags. */
export const SIGNAL_GROUP_EXIT = 0x00000004;
/** CLONE_SIGHAND and CLONE_CLEAR_SIGHAND (clone flags are u64: bigint). */
export const CLONE_SIGHAND = 0x00000800n;
export const CLONE_CLEAR_SIGHAND = 0x100000000n;

/** SIG_DFL / SIG_IGN, the handler values that are not functions. */
export const SIG_DFL = 0;
export const SIG_IGN = 1;
/** SIGKILL and SIGSTOP, which no handler may catch. */
export const SIGKILL = 9;
export const SIGSTOP = 19;
/** SA_IMMUTABLE: the kernel forced this action (force_sig_info_to_task); sigaction() may not change it. */
export const SA_IMMUTABLE = 0x00800000;
/** UAPI_SA_FLAGS: the sa_flags bits user space may set. */
export const UAPI_SA_FLAGS = 0x1c000007;
/** sigmask(sig): the bit of `sig` in a sigset_t (one word of 64 signals: bigint). */
export function sigmask(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

/** struct k_sigaction as passed to and from do_sigaction(): a plain struct on the caller's stack. */
export interface KSigaction {
  handler: number;
  flags: number;
  mask: bigint;
}

/** struct sigpending: a queue of pending signals (opaque here). */
export interface SigPending {
  readonly signal: bigint;
}

/** struct pid: only its identity matters here. */
export interface Pid {
  readonly nr: number;
}

/** struct kernel_siginfo, reduced. */
export interface KernelSiginfo {
  signo: number;
  errno: number;
  code: number;
}

/** struct k_itimer, reduced to what posixtimer_send_sigqueue() reads. */
export interface KItimer {
  readonly itPid: Pid;
  readonly itPidType: number;
  itSigqueueSeq: number;
  itSignalSeq: number;
  itSigPeriodic: boolean;
  itStatus: number;
  readonly sigq: { readonly signo: number; queued: boolean };
  ignoredListHashed: boolean;
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/**
 * `current`: the task running this code.
 * @current
 */
export declare function current(): TaskRef;
/** The global tasklist_lock. */
export declare const tasklistLock: TasklistRef;
/**
 * pid_task(): returns a task that is RCU-freed. It reads the pid's task list with
 * rcu_dereference_check(…, lockdep_tasklist_lock_is_held()): RCU or tasklist_lock. Every caller
 * in the corpus holds the first (none takes tasklist_lock for it), which is what this states.
 * @rcuReadLockHeld
 */
export declare function pidTask(pid: Pid, type: number): TaskRef | null;
/** __send_signal_locked() / send_signal_locked(): called with the target's siglock held. */
export declare function sendSignalLocked(sig: number, info: KernelSiginfo, t: TaskRef, type: number): number;
/** prepare_signal(): siglock held. */
export declare function prepareSignal(sig: number, t: TaskRef, force: boolean): boolean;
/** struct cred: opaque here. */
export interface Cred {
  readonly uid: number;
  readonly euid: number;
}
/** security_task_kill(). */
export declare function securityTaskKill(t: TaskRef, info: KernelSiginfo, sig: number, cred: Cred): number;
/** kill_as_cred_perm(): compares credentials; reads __task_cred() under the caller's RCU. */
export declare function killAsCredPerm(cred: Cred, t: TaskRef): boolean;
/** valid_signal(). */
export declare function validSignal(sig: number): boolean;
/** signalfd_cleanup(): wakes signalfd waiters of a dying sighand_struct (the caller holds the last reference). */
export declare function signalfdCleanup(sighand: SighandRef): void;
/** sig_kernel_only(): SIGKILL or SIGSTOP. */
export declare function sigKernelOnly(sig: number): boolean;
/** sig_handler_ignored(): SIG_IGN, or SIG_DFL for a signal whose default is to ignore it. */
export declare function sigHandlerIgnored(handler: number, sig: number): boolean;
/** sigaction_compat_abi(): an architecture's fix-up of the flags (x86 compat only). */
export declare function sigactionCompatAbi(act: KSigaction | null, oact: KSigaction | null): void;
/** `&t->signal->shared_pending`: the thread group's queue. */
export declare function sharedPending(t: TaskRef): SigPending;
/** `&t->pending`: the thread's own queue. */
export declare function taskPending(t: TaskRef): SigPending;
/** flush_sigqueue_mask(): drop the queued signals in `mask`; siglock held. */
export declare function flushSigqueueMask(p: TaskRef, mask: bigint, pending: SigPending): void;
/** for_each_thread(p, t): the threads of p's group (an RCU list walk; siglock also stabilizes it). */
export declare function forEachThread(p: TaskRef): Iterable<TaskRef>;
/** posixtimer_sig_unignore(): requeue the ignored timers of `sig`; siglock held. */
export declare function posixtimerSigUnignore(t: TaskRef, sig: number): void;
/** flush_signal_handlers(). */
export declare function flushSignalHandlers(t: TaskRef, forceDefault: boolean): void;
/** trace_signal_generate(). */
export declare function traceSignalGenerate(sig: number, t: TaskRef, result: number): void;
/**
 * posixtimer_get_target(): pid_task() of the timer's pid, under the caller's RCU (see pidTask).
 * @rcuReadLockHeld
 */
export declare function posixtimerGetTarget(tmr: KItimer): TaskRef | null;
/** posixtimer_sigqueue_getref() / posixtimer_sig_ignore() / posixtimer_queue_sigqueue() / posixtimer_putref(). */
export declare function posixtimerSigqueueGetref(tmr: KItimer): void;
export declare function posixtimerSigIgnore(t: TaskRef, tmr: KItimer): void;
export declare function posixtimerQueueSigqueue(tmr: KItimer, t: TaskRef, type: number): void;
export declare function posixtimerPutref(tmr: KItimer): void;
