/**
 * @fileoverview The pid structures of the kernel corpus (include/linux/pid.h,
 * include/linux/pid_namespace.h), declared with the runtime's struct API, and the kernel
 * functions around them that kernel/pid.c calls but the corpus does not translate: the IDR
 * (lib/idr.c, a radix tree that readers walk under rcu_read_lock()), pidfs and the namespace
 * reference counts.
 *
 * struct pid lives in a plain cache per namespace level, ns->pid_cachep
 * (create_pid_cachep(): `kmem_cache_create(name, len, 0, SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT,
 * NULL)`, no SLAB_TYPESAFE_BY_RCU). free_pid() removes a pid from every namespace's IDR under
 * pidmap_lock and drops the IDR's reference from an RCU callback (delayed_put_pid), so a reader
 * that found the pid with idr_find() under rcu_read_lock() may still take a reference with
 * get_pid() (a plain refcount_inc): the count cannot reach zero before its grace period ends.
 *
 * struct pid_namespace is not in the heap here: it holds this worker's handles on things a
 * heap word cannot (the IDR, the pid cache). A pid names the namespace of each of its levels
 * by its ns inode number (ns->ns.inum), and pidNsByInum() finds it again.
 */

import { defineStruct, type KmemCache, type Spinlock, type StructRef } from '@rcukit/runtime';
import { warnOn } from './kernel.js';
import type { TaskRef } from './sched.js';

/** MAX_PID_NS_LEVEL, PIDTYPE_MAX, RESERVED_PIDS, PIDNS_ADDING. */
export const MAX_PID_NS_LEVEL = 32;
export const PIDTYPE_MAX = 4;
export const RESERVED_PIDS = 300;
export const PIDNS_ADDING = 1 << 31;

/** struct pid, with its flexible array of struct upid { int nr; struct pid_namespace *ns; }. */
export const Pid = defineStruct('pid', {
  count: 'refcount',
  level: 'u32',
  lock: 'spinlock',
  /** tasks[PIDTYPE_MAX]: hlist heads of the tasks using this pid (address of the first node, 0 for none). */
  tasks: { array: 'i32', length: PIDTYPE_MAX },
  /** inodes: hlist head of the pidfs inodes. */
  inodes: 'i32',
  /** wait_pidfd: the wait queue's lock word (init_waitqueue_head). */
  waitPidfd: 'spinlock',
  /** numbers[i].nr. */
  numbersNr: { array: 'i32', length: MAX_PID_NS_LEVEL + 1 },
  /** numbers[i].ns, as the namespace's inode number. */
  numbersNs: { array: 'u32', length: MAX_PID_NS_LEVEL + 1 },
});
export type PidRef = StructRef<typeof Pid>;

/** struct idr: this worker's handle on a namespace's pid radix tree. */
export interface Idr {
  readonly root: number;
}

/** struct pid_namespace, reduced to what kernel/pid.c touches. */
export interface PidNamespace {
  /** ns->ns.inum. */
  readonly inum: number;
  readonly idr: Idr;
  readonly pidCachep: KmemCache<typeof Pid>;
  readonly level: number;
  readonly parent: PidNamespace | null;
  readonly userNs: number;
  /** Protected by pidmap_lock. */
  pidAllocated: number;
  childReaper: TaskRef | null;
  pidMax: number;
}

/** pidmap_lock, a spinlock_t of its own cache line. */
export const PidmapLock = defineStruct('pidmap_lock', { lock: 'spinlock' });
export type PidmapLockRef = StructRef<typeof PidmapLock>;

/** lockdep_assert_not_held(): warn when the calling thread holds `lock`. */
export function lockdepAssertNotHeld(lock: Spinlock): void {
  if (lock.heldByMe) warnOn(true);
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** pidmap_lock (kernel/pid.c). */
export declare const pidmapLock: PidmapLockRef;
/** The namespace whose inode number a pid's upid records. */
export declare function pidNsByInum(inum: number): PidNamespace;
/** task_active_pid_ns(). */
export declare function taskActivePidNs(tsk: TaskRef): PidNamespace | null;

/** idr_find(): "can be called under rcu_read_lock()"; the slot's value, or null. */
export declare function idrFind(idr: Idr, id: number): PidRef | null;
/** idr_alloc() / idr_alloc_cyclic() with GFP_ATOMIC: an id in [start, end) holding `ptr`, or a negative errno. */
export declare function idrAlloc(idr: Idr, ptr: PidRef | null, start: number, end: number): number;
export declare function idrAllocCyclic(idr: Idr, ptr: PidRef | null, start: number, end: number): number;
/** idr_replace(): store `ptr` in the slot of `id` (rcu_assign_pointer: readers see it from here on). */
export declare function idrReplace(idr: Idr, ptr: PidRef, id: number): void;
/** idr_remove(): clear the slot of `id`; a reader that already loaded it may still hold the pointer. */
export declare function idrRemove(idr: Idr, id: number): void;
/** idr_get_cursor() / idr_set_cursor(). */
export declare function idrGetCursor(idr: Idr): number;
export declare function idrSetCursor(idr: Idr, val: number): void;
/** idr_preload(GFP_KERNEL) / idr_preload_end(). */
export declare function idrPreload(): void;
export declare function idrPreloadEnd(): void;

/** get_pid_ns() / put_pid_ns(). */
export declare function getPidNs(ns: PidNamespace): PidNamespace;
export declare function putPidNs(ns: PidNamespace): void;
/** ns_ref_active_get() / ns_ref_active_put(). */
export declare function nsRefActiveGet(ns: PidNamespace): void;
export declare function nsRefActivePut(ns: PidNamespace): void;
/** checkpoint_restore_ns_capable(). */
export declare function checkpointRestoreNsCapable(userNs: number): boolean;
/** pidfs_add_pid() / pidfs_remove_pid() / pidfs_free_pid(). */
export declare function pidfsAddPid(pid: PidRef): void;
export declare function pidfsRemovePid(pid: PidRef): void;
export declare function pidfsFreePid(pid: PidRef): void;
/** wake_up_process(). */
export declare function wakeUpProcess(tsk: TaskRef | null): void;
