/**
 * @fileoverview The credential structures of the kernel corpus (include/linux/cred.h, and the
 * credential pointers of include/linux/sched.h), declared with the runtime's struct API, and the
 * kernel functions around them that kernel/cred.c calls but the corpus does not translate.
 *
 * struct cred lives in cred_jar, a plain cache (`KMEM_CACHE(cred, SLAB_HWCACHE_ALIGN |
 * SLAB_PANIC | SLAB_ACCOUNT)`, no SLAB_TYPESAFE_BY_RCU): its memory is never reused while a
 * reader may hold it, because the last reference frees it from an RCU callback
 * (put_cred_rcu). A reader that found a cred through task->real_cred under rcu_read_lock() and
 * wants to keep it takes a reference with get_cred_rcu() (atomic_long_inc_not_zero: a count of
 * zero means the callback is already queued) and needs no re-check.
 *
 * `usage` is an atomic_long_t that the kernel also adds to and subtracts from by more than one
 * (get_new_cred_many, put_cred_many). It is the runtime's refcount word here; atomicLongAdd()
 * and atomicLongSubAndTest() below are the two operations on it the runtime has no name for.
 *
 * The pointers of struct cred to objects outside what the corpus exercises (keys, user_struct,
 * user_namespace, ucounts, group_info, the LSM blob) are opaque handles, 0 for NULL.
 */

import { defineStruct, type Refcount, type StructRef } from '@rcukit/runtime';

/** struct cred, reduced to what kernel/cred.c touches. */
export const Cred = defineStruct('cred', {
  usage: 'refcount',
  uid: 'u32',
  gid: 'u32',
  suid: 'u32',
  sgid: 'u32',
  euid: 'u32',
  egid: 'u32',
  fsuid: 'u32',
  fsgid: 'u32',
  securebits: 'u32',
  capPermitted: 'u64',
  sessionKeyring: 'i32',
  processKeyring: 'i32',
  threadKeyring: 'i32',
  requestKeyAuth: 'i32',
  security: 'i32',
  user: 'i32',
  userNs: 'i32',
  ucounts: 'i32',
  groupInfo: 'i32',
  /** The union of `int non_rcu` and the rcu_head: set while the cred was never visible to RCU readers. */
  nonRcu: 'i32',
});
export type CredRef = StructRef<typeof Cred>;

/**
 * The credential pointers of struct task_struct. lib/sched.ts declares the fields of
 * task_struct the signal and exec translations touch; these are the ones kernel/cred.c
 * touches: the same task_struct, declared twice.
 */
export const CredTask = defineStruct('task_struct', {
  pid: 'i32',
  /** RCU-protected: the objective credentials, what other tasks read (__task_cred). */
  realCred: { rcu: () => Cred },
  /** RCU-protected: the subjective credentials, what the task itself acts with. */
  cred: { rcu: () => Cred },
  /** The mm, as an opaque handle (0 for a kernel thread). */
  mm: 'i32',
  pdeathSignal: 'i32',
  /** CONFIG_KEYS_REQUEST_CACHE: the cached requested key, as a handle. */
  cachedRequestedKey: 'i32',
});
export type CredTaskRef = StructRef<typeof CredTask>;

/** UCOUNT_RLIMIT_NPROC, PROC_EVENT_UID, PROC_EVENT_GID. */
export const UCOUNT_RLIMIT_NPROC = 0;
export const PROC_EVENT_UID = 0x00000004;
export const PROC_EVENT_GID = 0x00000040;

/** atomic_long_add(nr, &cred->usage). */
export function atomicLongAdd(nr: number, v: Refcount): void {
  Atomics.add(v.heap.views.i32, v.index, nr);
}

/** atomic_long_sub_and_test(nr, &cred->usage): subtract, and say whether the count reached zero. */
export function atomicLongSubAndTest(nr: number, v: Refcount): boolean {
  return Atomics.sub(v.heap.views.i32, v.index, nr) - nr === 0;
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** `current`, seen through its credential pointers. */
export declare function current(): CredTaskRef;
/** BUG_ON(): the kernel stops here when `condition` holds. */
export declare function bugOn(condition: boolean): void;
/** panic(). */
export declare function panic(message: string): never;
/** security_cred_free(). */
export declare function securityCredFree(cred: CredRef): void;
/** key_put() (NULL-safe). */
export declare function keyPut(key: number): void;
/** put_group_info(), free_uid(), put_ucounts(), put_user_ns(). */
export declare function putGroupInfo(groupInfo: number): void;
export declare function freeUid(user: number): void;
export declare function putUcounts(ucounts: number): void;
export declare function putUserNs(userNs: number): void;
/** cred_cap_issubset() (kernel/cred.c): capabilities and user-namespace ancestry, no RCU. */
export declare function credCapIssubset(set: CredRef, subset: CredRef): boolean;
/** set_dumpable(task, suid_dumpable). */
export declare function setDumpable(task: CredTaskRef, value: number): void;
/** The suid_dumpable sysctl. */
export declare function suidDumpable(): number;
/** key_fsuid_changed() / key_fsgid_changed(). */
export declare function keyFsuidChanged(cred: CredRef): void;
export declare function keyFsgidChanged(cred: CredRef): void;
/** inc_rlimit_ucounts() / dec_rlimit_ucounts(). */
export declare function incRlimitUcounts(ucounts: number, type: number, v: number): void;
export declare function decRlimitUcounts(ucounts: number, type: number, v: number): void;
/** switch_cred_namespaces(). */
export declare function switchCredNamespaces(old: CredRef, next: CredRef): void;
/** proc_id_connector(). */
export declare function procIdConnector(task: CredTaskRef, which: number): void;
