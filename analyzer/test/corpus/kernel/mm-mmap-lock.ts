/**
 * @fileoverview Translation of Linux's per-VMA locks: the lockless VMA lookup of the page-fault
 * path (lock_vma_under_rcu), which finds a VMA of the SLAB_TYPESAFE_BY_RCU vm_area_cachep in
 * the maple tree under rcu_read_lock(), read-locks it by raising vm_refcnt unless it is zero,
 * and then re-checks that the VMA still belongs to this mm and still covers the address; and
 * the writer side that excludes those readers (vma_start_write, vma_mark_detached).
 *
 * Sources read: mm/mmap_lock.c and include/linux/mmap_lock.h, both at linux-mm/linux-mm commit
 * 607a10f8361b081f4c27d821a7ceb68f09afc003 (mm-unstable, Linux 6.19 cycle):
 * - mm/mmap_lock.c: __vma_end_exclude_readers, get_target_refcnt, __vma_start_exclude_readers,
 *   __vma_start_write, __vma_exclude_readers_for_detach, vma_start_read, lock_vma_under_rcu,
 *   lock_vma_under_rcu_wait, lock_next_vma_under_mmap_lock, lock_next_vma;
 * - include/linux/mmap_lock.h: __vma_are_readers_excluded, __vma_refcount_put_return,
 *   vma_refcount_put, vma_start_read_locked_nested, vma_start_read_locked, vma_end_read,
 *   __vma_raw_mm_seqnum, __is_vma_write_locked, vma_start_write, vma_start_write_killable,
 *   vma_assert_write_locked, vma_is_attached, vma_assert_attached, vma_assert_detached,
 *   vma_mark_attached, vma_mark_detached.
 *
 * The mmap_lock (an rw_semaphore) is the runtime's spinlock (lib/kernel.ts); a worker thread
 * has no fatal signals, so mmap_read_lock_killable() cannot fail and is spinLock().
 * mmap_assert_locked() / mmap_assert_write_locked() are lockdepAssertHeld() of that lock. The
 * lockdep annotations of the VMA lock itself (__vma_lockdep_acquire_read and friends) only
 * feed lockdep and are written as comments. MA_STATE and struct vma_iterator are a MaState.
 */

import {
  rcuReadLock,
  rcuReadUnlock,
  refcountIncNotZeroLimited,
  refcountRead,
  spinLock,
  spinUnlock,
} from '@rcukit/runtime';
import { EAGAIN, ErrPtr, isErr, lockdepAssertHeld, warnOn } from '../lib/kernel.js';
import {
  TASK_KILLABLE,
  TASK_UNINTERRUPTIBLE,
  VMA_LOCK_ABORT,
  VMA_LOCK_MISS,
  VM_REFCNT_EXCLUDE_READERS_FLAG,
  VM_REFCNT_LIMIT,
  __refcountDecAndTest,
  countVmVmaLockEvent,
  masSet,
  masWalk,
  mmapLockSpeculateRetry,
  mmapLockSpeculateTryBegin,
  mmdrop,
  mmgrab,
  rcuwaitWaitEvent,
  rcuwaitWakeUp,
  refcountAddNotZero,
  refcountSetRelease,
  refcountSubAndTest,
  vmWarnOn,
  vmaLookup,
  vmaNext,
  type MaState,
  type VmAreaRef,
} from '../lib/mm.js';
import type { MmRef } from '../lib/sched.js';

/** __vma_are_readers_excluded (include/linux/mmap_lock.h): has a writer excluded all readers? */
function __vmaAreReadersExcluded(refcnt: number): boolean {
  return (refcnt & VM_REFCNT_EXCLUDE_READERS_FLAG) !== 0 && refcnt <= VM_REFCNT_EXCLUDE_READERS_FLAG + 1;
}

/**
 * __vma_refcount_put_return (include/linux/mmap_lock.h): decrement vm_refcnt and return the
 * count right after; zero means the VMA is now detached.
 */
function __vmaRefcountPutReturn(vma: VmAreaRef): number {
  const oldcnt = { value: 0 };

  if (__refcountDecAndTest(vma.vmRefcnt, oldcnt)) return 0;

  return oldcnt.value - 1;
}

/**
 * vma_refcount_put (include/linux/mmap_lock.h): drop a read lock's count; the last reader
 * wakes a writer waiting to exclude readers.
 */
function vmaRefcountPut(vma: VmAreaRef): void {
  // Use a copy of vm_mm in case vma is freed after we drop vm_refcnt.
  const mm = vma.vmMm!;

  // __vma_lockdep_release_read(vma)
  const newcnt = __vmaRefcountPutReturn(vma);

  // __vma_start_exclude_readers() may be sleeping waiting for readers to drop their count:
  // wake it if we were the last reader blocking it (a racing reader may make this spurious).
  if (newcnt && __vmaAreReadersExcluded(newcnt)) rcuwaitWakeUp(mm);
}

/**
 * vma_start_read_locked_nested (include/linux/mmap_lock.h): "Use only while holding mmap read
 * lock which guarantees that locking will not fail (nobody can concurrently write-lock the
 * vma)." mmap_assert_locked(vma->vm_mm).
 */
function vmaStartReadLockedNested(vma: VmAreaRef, subclass: number): boolean {
  const oldcnt = { value: 0 };

  lockdepAssertHeld(vma.vmMm!.mmapLock);
  if (!refcountIncNotZeroLimited(vma.vmRefcnt, VM_REFCNT_LIMIT, oldcnt)) return false;

  void subclass; // __vma_lockdep_acquire_read(vma): the lockdep subclass
  return true;
}

/** vma_start_read_locked (include/linux/mmap_lock.h): "Use only while holding mmap read lock". */
function vmaStartReadLocked(vma: VmAreaRef): boolean {
  return vmaStartReadLockedNested(vma, 0);
}

/** vma_end_read (include/linux/mmap_lock.h): drop a VMA read lock. */
export function vmaEndRead(vma: VmAreaRef): void {
  vmaRefcountPut(vma);
}

/**
 * __vma_raw_mm_seqnum (include/linux/mmap_lock.h): "We must hold an exclusive write lock for
 * this access to be valid." mmap_assert_write_locked(vma->vm_mm).
 */
function __vmaRawMmSeqnum(vma: VmAreaRef): number {
  const mm = vma.vmMm!;

  lockdepAssertHeld(vma.vmMm!.mmapLock);
  return mm.mmLockSeq;
}

/**
 * __is_vma_write_locked (include/linux/mmap_lock.h): "Must be invoked ONLY if the mmap write
 * lock is held": then neither vm_lock_seq nor mm_lock_seq can change under us.
 */
function __isVmaWriteLocked(vma: VmAreaRef): boolean {
  return vma.vmLockSeq === __vmaRawMmSeqnum(vma);
}

/** vma_start_write (include/linux/mmap_lock.h): exclude readers until mmap_lock is dropped. */
export function vmaStartWrite(vma: VmAreaRef): void {
  if (__isVmaWriteLocked(vma)) return;

  __vmaStartWrite(vma, TASK_UNINTERRUPTIBLE);
}

/**
 * vma_start_write_killable (include/linux/mmap_lock.h): as vma_start_write(), 0 or -EINTR.
 * "Caller must already hold the mmap_lock for write."
 */
export function vmaStartWriteKillable(vma: VmAreaRef): number {
  if (__isVmaWriteLocked(vma)) return 0;

  return __vmaStartWrite(vma, TASK_KILLABLE);
}

/** vma_assert_write_locked (include/linux/mmap_lock.h). */
export function vmaAssertWriteLocked(vma: VmAreaRef): void {
  vmWarnOn(!__isVmaWriteLocked(vma));
}

/** vma_is_attached (include/linux/mmap_lock.h). */
function vmaIsAttached(vma: VmAreaRef): boolean {
  return refcountRead(vma.vmRefcnt) !== 0;
}

/** vma_assert_attached (include/linux/mmap_lock.h): made under mmap_write_lock. */
function vmaAssertAttached(vma: VmAreaRef): void {
  warnOn(!vmaIsAttached(vma));
}

/** vma_assert_detached (include/linux/mmap_lock.h). */
function vmaAssertDetached(vma: VmAreaRef): void {
  warnOn(vmaIsAttached(vma));
}

/** vma_mark_attached (include/linux/mmap_lock.h): publish the VMA to readers' increments. */
export function vmaMarkAttached(vma: VmAreaRef): void {
  vmaAssertWriteLocked(vma);
  vmaAssertDetached(vma);
  refcountSetRelease(vma.vmRefcnt, 1);
}

/**
 * vma_mark_detached (include/linux/mmap_lock.h): drop the attached count, and if a reader is
 * still passing through (it raised vm_refcnt before seeing the VMA write-locked), wait it out.
 */
export function vmaMarkDetached(vma: VmAreaRef): void {
  vmaAssertWriteLocked(vma);
  vmaAssertAttached(vma);

  // The VMA still being attached (refcnt > 0) is unlikely: it is already write-locked, and
  // readers raise vm_refcnt only briefly before they see vm_lock_seq and drop it again.
  if (!__vmaRefcountPutReturn(vma)) return;

  __vmaExcludeReadersForDetach(vma);
}

/** struct vma_exclude_readers_state (mm/mmap_lock.c). */
interface VmaExcludeReadersState {
  // Input parameters.
  readonly vma: VmAreaRef;
  /** TASK_KILLABLE or TASK_UNINTERRUPTIBLE. */
  readonly state: number;
  readonly detaching: boolean;
  // Output parameters.
  detached: boolean;
  /** Are we exclusively locked? */
  exclusive: boolean;
}

/** __vma_end_exclude_readers (mm/mmap_lock.c): leave the exclude-readers state. */
function __vmaEndExcludeReaders(ves: VmaExcludeReadersState): void {
  const vma = ves.vma;

  vmWarnOn(ves.detached);

  ves.detached = refcountSubAndTest(VM_REFCNT_EXCLUDE_READERS_FLAG, vma.vmRefcnt);
  // __vma_lockdep_release_exclusive(vma)
}

/** get_target_refcnt (mm/mmap_lock.c): the count once readers are gone. */
function getTargetRefcnt(ves: VmaExcludeReadersState): number {
  const tgt = ves.detaching ? 0 : 1;

  return tgt | VM_REFCNT_EXCLUDE_READERS_FLAG;
}

/**
 * __vma_start_exclude_readers (mm/mmap_lock.c): mark the VMA as excluding readers and wait for
 * the ones inside to leave (vma_refcount_put() wakes us). mmap_assert_write_locked(vma->vm_mm).
 */
function __vmaStartExcludeReaders(ves: VmaExcludeReadersState): number {
  const vma = ves.vma;
  const tgtRefcnt = getTargetRefcnt(ves);
  let err = 0;

  lockdepAssertHeld(vma.vmMm!.mmapLock);

  // If vma is detached then only vma_mark_attached() can raise the vm_refcnt. mmap_write_lock
  // prevents racing with vma_mark_attached().
  if (!refcountAddNotZero(VM_REFCNT_EXCLUDE_READERS_FLAG, vma.vmRefcnt)) {
    ves.detached = true;
    return 0;
  }

  // __vma_lockdep_acquire_exclusive(vma)
  err = rcuwaitWaitEvent(vma.vmMm!, () => refcountRead(vma.vmRefcnt) === tgtRefcnt, ves.state);
  if (err) {
    __vmaEndExcludeReaders(ves);
    return err;
  }

  // __vma_lockdep_stat_mark_acquired(vma)
  ves.exclusive = true;
  return 0;
}

/** __vma_start_write (mm/mmap_lock.c): write-lock an attached VMA, readers drained. */
export function __vmaStartWrite(vma: VmAreaRef, state: number): number {
  const mmLockSeq = __vmaRawMmSeqnum(vma);
  const ves: VmaExcludeReadersState = { vma, state, detaching: false, detached: false, exclusive: false };

  const err = __vmaStartExcludeReaders(ves);
  if (err) {
    warnOn(ves.detached);
    return err;
  }

  // WRITE_ONCE: vma_start_read()'s early lockless check may read it concurrently.
  vma.vmLockSeq = mmLockSeq;

  if (ves.exclusive) {
    __vmaEndExcludeReaders(ves);
    // VMA should remain attached.
    warnOn(ves.detached);
  }

  return 0;
}

/** __vma_exclude_readers_for_detach (mm/mmap_lock.c): wait until detached with no readers. */
function __vmaExcludeReadersForDetach(vma: VmAreaRef): void {
  const ves: VmaExcludeReadersState = {
    vma,
    state: TASK_UNINTERRUPTIBLE,
    detaching: true,
    detached: false,
    exclusive: false,
  };

  // We hold the VMA write lock: the only readers left are those that raised the count before
  // seeing the write lock and are about to drop it.
  const err = __vmaStartExcludeReaders(ves);
  if (!err && ves.exclusive) {
    // Once this is complete, no readers can increment the count, and the VMA is detached.
    __vmaEndExcludeReaders(ves);
  }
  // If an error arose but we were detached anyway, we don't care.
  warnOn(!ves.detached);
}

/**
 * vma_start_read (mm/mmap_lock.c): try to read-lock a VMA found under RCU. Returns the VMA,
 * null on failure to lock, or ERR_PTR(-EAGAIN) if the VMA got detached. "IMPORTANT: RCU lock
 * must be held upon entering the function, but upon error IT IS RELEASED."
 * RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "no rcu lock held").
 * @rcuReadLockHeld
 */
function vmaStartRead(mm: MmRef, vma: VmAreaRef): VmAreaRef | ErrPtr | null {
  const oldcnt = { value: 0 };
  let ret: VmAreaRef | ErrPtr | null;

  err: {
    // Check before locking. A race might cause a false locked result; nothing relies on it.
    if (vma.vmLockSeq === mm.mmLockSeq) {
      ret = null;
      break err;
    }

    // If VM_REFCNT_EXCLUDE_READERS_FLAG is set the increment fails, as VM_REFCNT_LIMIT is below
    // it. Its acquire orders the vm_lock_seq check below and lock_vma_under_rcu()'s checks.
    if (!refcountIncNotZeroLimited(vma.vmRefcnt, VM_REFCNT_LIMIT, oldcnt)) {
      // return EAGAIN if vma got detached from under us
      ret = oldcnt.value ? null : new ErrPtr(-EAGAIN);
      break err;
    }

    // __vma_lockdep_acquire_read(vma)

    if (vma.vmMm !== mm) {
      // err_unstable: the VMA was reused for another mm. That mm can be freed in the window
      // after vm_refcnt is dropped and before rcuwait_wake_up(mm), so grab it first; use a
      // copy, as the vma can be freed after we drop vm_refcnt.
      const otherMm = vma.vmMm!;

      // __mmdrop() is a heavy operation, do it after dropping RCU lock.
      rcuReadUnlock();
      mmgrab(otherMm);
      vmaRefcountPut(vma);
      mmdrop(otherMm);

      return null;
    }

    // Overflow of the sequences may give a false locked result, never a false unlocked one.
    // raw_read_seqcount: ACQUIRE, pairs with the RELEASE of vma_end_write_all().
    if (vma.vmLockSeq === mm.mmLockSeq) {
      vmaRefcountPut(vma);
      ret = null;
      break err;
    }

    return vma;
  }
  rcuReadUnlock();

  return ret;
}

/**
 * lock_vma_under_rcu (mm/mmap_lock.c): look up and read-lock the VMA covering `address`.
 * "Returned VMA is guaranteed to be stable and not isolated. If the VMA is not found or is
 * being modified the function returns NULL."
 */
export function lockVmaUnderRcu(mm: MmRef, address: number): VmAreaRef | null {
  const mas: MaState = { mm, index: address }; // MA_STATE(mas, &mm->mm_mt, address, address)
  let vma: VmAreaRef | ErrPtr | null;

  inval: {
    retry: for (;;) {
      rcuReadLock();
      vma = masWalk(mas);
      if (!vma) {
        rcuReadUnlock();
        break inval;
      }

      vma = vmaStartRead(mm, vma);
      if (vma === null || isErr(vma)) {
        // Check if the VMA got isolated after we found it
        if (isErr(vma) && vma.errno === -EAGAIN) {
          countVmVmaLockEvent(VMA_LOCK_MISS);
          // The area was replaced with another one
          masSet(mas, address);
          continue retry;
        }

        // Failed to lock the VMA
        break inval;
      }
      // At this point, we have a stable reference to a VMA: The VMA is locked and we know it
      // hasn't already been isolated.
      rcuReadUnlock();

      // Check if the vma we locked is the right one.
      if (address < vma.vmStart || address >= vma.vmEnd) {
        vmaEndRead(vma);
        break inval;
      }

      return vma;
    }
  }
  countVmVmaLockEvent(VMA_LOCK_ABORT);
  return null;
}

/**
 * lock_vma_under_rcu_wait (mm/mmap_lock.c): as lock_vma_under_rcu(), but waits for writers by
 * taking mmap_lock when the lockless path fails; NULL only if no VMA covers `address`.
 */
export function lockVmaUnderRcuWait(mm: MmRef, address: number): VmAreaRef | null {
  for (;;) {
    let vma = lockVmaUnderRcu(mm, address);
    // Fast path: return stable VMA covering 'address':
    if (vma) return vma;

    // Slow path: the VMA covering 'address' is being modified, or there is none. Rule out the
    // possibility that it is being modified:
    spinLock(mm.mmapLock); // mmap_read_lock
    vma = vmaLookup(mm, address);
    spinUnlock(mm.mmapLock); // mmap_read_unlock

    // There was for sure no VMA covering 'address':
    if (!vma) return null;

    // VMA was likely being modified during RCU lookup; mmap_read_lock() waited for the writer.
  }
}

/**
 * lock_next_vma_under_mmap_lock (mm/mmap_lock.c): the fallback of lock_next_vma(): look the
 * VMA up again under mmap_lock, where read-locking it cannot race with a writer.
 */
function lockNextVmaUnderMmapLock(mm: MmRef, vmi: MaState, fromAddr: number): VmAreaRef | ErrPtr | null {
  spinLock(mm.mmapLock); // mmap_read_lock_killable

  // Lookup the vma at the last position again under mmap_read_lock
  masSet(vmi, fromAddr); // vma_iter_set
  let vma: VmAreaRef | ErrPtr | null = vmaNext(vmi);
  if (vma) {
    // Very unlikely vma->vm_refcnt overflow case
    if (!vmaStartReadLocked(vma)) vma = new ErrPtr(-EAGAIN);
  }

  spinUnlock(mm.mmapLock); // mmap_read_unlock

  return vma;
}

/**
 * lock_next_vma (include/linux/mmap_lock.h, mm/mmap_lock.c): "Locks next vma pointed by the
 * iterator. Confirms the locked vma has not been modified and will retry under mmap_lock
 * protection if modification was detected. Should be called from read RCU section."
 * RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "no rcu read lock held").
 * @rcuReadLockHeld
 */
export function lockNextVma(mm: MmRef, vmi: MaState, fromAddr: number): VmAreaRef | ErrPtr | null {
  let vma: VmAreaRef | ErrPtr | null;
  const mmWrSeq = { value: 0 };
  let mmapUnlocked: boolean;

  fallback: {
    fallbackUnlock: {
      retry: for (;;) {
        // Start mmap_lock speculation in case we need to verify the vma later
        mmapUnlocked = mmapLockSpeculateTryBegin(mm, mmWrSeq);
        vma = vmaNext(vmi);
        if (!vma) return null;

        vma = vmaStartRead(mm, vma);
        if (vma === null || isErr(vma)) {
          // Retry immediately if the vma gets detached from under us.
          if (isErr(vma) && vma.errno === -EAGAIN) {
            // reset to search from the last address
            rcuReadLock();
            masSet(vmi, fromAddr);
            continue retry;
          }

          break fallback;
        }

        // Verify the vma is not behind the last search position.
        if (fromAddr >= vma.vmEnd) break fallbackUnlock;

        // vma can be ahead of the last search position but we need to verify it was not shrunk
        // after we found it and another vma has not been installed ahead of it.
        if (fromAddr < vma.vmStart) {
          // Verify only if the address space might have changed since vma lookup.
          if (!mmapUnlocked || mmapLockSpeculateRetry(mm, mmWrSeq.value)) {
            masSet(vmi, fromAddr);
            if (vma !== vmaNext(vmi)) break fallbackUnlock;
          }
        }

        return vma;
      }
    }
    rcuReadUnlock();
    vmaEndRead(vma);
  }
  vma = lockNextVmaUnderMmapLock(mm, vmi, fromAddr);
  rcuReadLock();
  // Reinitialize the iterator after re-entering rcu read section
  masSet(vmi, vma === null || isErr(vma) ? fromAddr : vma.vmEnd);

  return vma;
}
