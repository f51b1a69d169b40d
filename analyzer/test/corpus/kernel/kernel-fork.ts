/**
 * @fileoverview Translation of Linux kernel/fork.c: the sighand_struct cache and its
 * constructor, copying and dropping a sighand_struct, and the mm's exe_file accessors.
 *
 * Source read: kernel/fork.c at ColinIanKing/linux-next commit
 * 0040a89476677e0cf37a931e5d405f844ef7190d (linux-next, 6.18 cycle).
 * Functions: sighand_ctor, proc_caches_init (the sighand_cache part), copy_sighand,
 * __cleanup_sighand, get_mm_exe_file, get_task_exe_file, replace_mm_exe_file.
 *
 * sighand_cachep is the original SLAB_TYPESAFE_BY_RCU cache: __cleanup_sighand() frees a
 * sighand_struct at once, and __lock_task_sighand() (kernel-signal.ts) copes with finding it
 * reused. The constructor initializes the lock that such a reader may spin on.
 */

import {
  SLAB_HWCACHE_ALIGN,
  SLAB_TYPESAFE_BY_RCU,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountInc,
  refcountSet,
  spinLock,
  spinLockInit,
  spinUnlock,
  type Heap,
  type KmemCache,
} from '@rcukit/runtime';
import { fput, getFile, type FileRef } from '../lib/fs.js';
import { EACCES, EBUSY } from '../lib/kernel.js';
import {
  CLONE_CLEAR_SIGHAND,
  CLONE_SIGHAND,
  PF_KTHREAD,
  Sighand,
  current,
  flushSignalHandlers,
  signalfdCleanup,
  type MmRef,
  type SighandRef,
  type TaskRef,
} from '../lib/sched.js';
import { getFileRcu } from './fs-file.js';

/** sighand_cachep. */
export let sighandCachep: KmemCache<typeof Sighand>;

/** sighand_ctor (kernel/fork.c): runs once per slab object, never on reuse. */
function sighandCtor(sighand: SighandRef): void {
  spinLockInit(sighand.siglock);
  // init_waitqueue_head(&sighand->signalfd_wqh): the wait queue's own lock.
  spinLockInit(sighand.signalfdWqh);
}

/** proc_caches_init (kernel/fork.c): the sighand_cache; the other caches are not type-stable. */
export function procCachesInit(heap: Heap): void {
  sighandCachep = kmemCacheCreate(heap, 'sighand_cache', Sighand, {
    flags: SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU,
    ctor: sighandCtor,
  });
}

/** copy_sighand (kernel/fork.c): share the parent's sighand_struct or give the child a copy. */
export function copySighand(cloneFlags: bigint, tsk: TaskRef): number {
  if (cloneFlags & CLONE_SIGHAND) {
    refcountInc(current().sighand!.count);
    return 0;
  }
  // kmem_cache_alloc() cannot return NULL here: the runtime throws when the heap is full.
  const sig = kmemCacheAlloc(sighandCachep);
  tsk.sighand = sig; // RCU_INIT_POINTER: the child is not visible to anyone yet

  refcountSet(sig.count, 1);
  spinLock(current().sighand!.siglock);
  sig.action.set(current().sighand!.action); // memcpy(sig->action, current->sighand->action, ...)
  sig.actionFlags.set(current().sighand!.actionFlags);
  spinUnlock(current().sighand!.siglock);

  // Reset all signal handler not set to SIG_IGN to SIG_DFL.
  if (cloneFlags & CLONE_CLEAR_SIGHAND) flushSignalHandlers(tsk, false);

  return 0;
}

/** __cleanup_sighand (kernel/fork.c): drop a reference; the last one frees at once. */
export function __cleanupSighand(sighand: SighandRef): void {
  if (refcountDecAndTest(sighand.count)) {
    signalfdCleanup(sighand);
    // sighand_cachep is SLAB_TYPESAFE_BY_RCU: no grace period before the free (see
    // __lock_task_sighand, which revalidates what it locked).
    kmemCacheFree(sighandCachep, sighand);
  }
}

/** get_mm_exe_file (kernel/fork.c): a reference to the mm's executable file, or null. */
export function getMmExeFile(mm: MmRef): FileRef | null {
  rcuReadLock();
  const exeFile = getFileRcu(() => mm.exeFile);
  rcuReadUnlock();
  return exeFile;
}

/** get_task_exe_file (kernel/fork.c): the same through a task, under task_lock(). */
export function getTaskExeFile(task: TaskRef): FileRef | null {
  let exeFile: FileRef | null = null;

  if (task.flags & PF_KTHREAD) return null;

  spinLock(task.allocLock);
  const mm = task.mm;
  if (mm) exeFile = getMmExeFile(mm);
  spinUnlock(task.allocLock);
  return exeFile;
}

/** replace_mm_exe_file (kernel/fork.c): install a new exe_file, dropping the mm's reference on the old one. */
export function replaceMmExeFile(mm: MmRef, newExeFile: FileRef): number {
  let ret = 0;

  // Forbid mm->exe_file change if old file still mapped.
  let oldExeFile = getMmExeFile(mm);
  if (oldExeFile) {
    spinLock(mm.mmapLock); // mmap_read_lock
    if (vmaMapsFile(mm, oldExeFile)) ret = -EBUSY; // for_each_vma ... path_equal(...)
    spinUnlock(mm.mmapLock);
    fput(oldExeFile);
    if (ret) return ret;
  }

  ret = exeFileDenyWriteAccess(newExeFile);
  if (ret) return -EACCES;
  getFile(newExeFile);

  // set the new file
  spinLock(mm.mmapLock); // mmap_write_lock
  oldExeFile = mm.exeFile; // rcu_dereference_raw: the writer's lock orders every store to it
  mm.exeFile = newExeFile; // rcu_assign_pointer
  spinUnlock(mm.mmapLock);

  if (oldExeFile) {
    exeFileAllowWriteAccess(oldExeFile);
    fput(oldExeFile);
  }
  return 0;
}

/** The VMA walk of replace_mm_exe_file(): whether some VMA of `mm` maps `file`'s path (mmap_lock held). */
declare function vmaMapsFile(mm: MmRef, file: FileRef): boolean;
/** exe_file_deny_write_access() / exe_file_allow_write_access(). */
declare function exeFileDenyWriteAccess(file: FileRef): number;
declare function exeFileAllowWriteAccess(file: FileRef): void;
