/**
 * @fileoverview The reverse-mapping structures of the kernel corpus (include/linux/rmap.h,
 * include/linux/mm_types.h), declared with the runtime's struct API.
 *
 * struct anon_vma lives in a SLAB_TYPESAFE_BY_RCU cache (anon_vma_cachep, mm/rmap.c): a
 * folio's ->mapping may point at an anon_vma that was freed and reused by the time a reader
 * under rcu_read_lock() follows it, which is why folio_get_anon_vma() and
 * folio_lock_anon_vma_read() re-check folio_mapped() after pinning it.
 *
 * The anon_vma's rw_semaphore is modelled by the runtime's spinlock (see lib/kernel.ts):
 * down_read_trylock is spinTrylock, down_read / down_write are spinLock.
 *
 * folio->mapping is a tagged pointer: the anon_vma's address plus FOLIO_MAPPING_ANON. It is a
 * number field here, and folioAnonVma() is the cast `(struct anon_vma *)(mapping - ANON)`.
 */

import { defineStruct, objectAt, type Heap, type Refcount, type StructDef, type StructRef } from '@rcukit/runtime';
import { Mm, type MmRef } from './sched.js';

type AnonVmaFields = {
  /** The rw_semaphore of the tree's root; anon_vma_ctor() initializes it once per slab. */
  readonly rwsem: 'spinlock';
  /** atomic_t refcount: 0 for a free object, so atomic_inc_not_zero() cannot revive it. */
  readonly refcount: 'refcount';
  readonly root: { readonly rcu: () => AnonVmaDef };
  readonly parent: { readonly rcu: () => AnonVmaDef };
  readonly numChildren: 'i32';
  readonly numActiveVmas: 'i32';
  /** rb_root: 0 for RB_ROOT_CACHED (an empty interval tree). */
  readonly rbRoot: 'i32';
};
type AnonVmaDef = StructDef<AnonVmaFields, true>;

/** struct anon_vma. */
export const AnonVma: AnonVmaDef = defineStruct(
  'anon_vma',
  {
    rwsem: 'spinlock',
    refcount: 'refcount',
    root: { rcu: (): AnonVmaDef => AnonVma },
    parent: { rcu: (): AnonVmaDef => AnonVma },
    numChildren: 'i32',
    numActiveVmas: 'i32',
    rbRoot: 'i32',
  },
  { typesafeByRcu: true },
);
export type AnonVmaRef = StructRef<typeof AnonVma>;

/** struct folio, reduced: the tagged mapping word, the mapcount and the lock bit. */
export const Folio = defineStruct('folio', {
  /** `struct address_space *mapping`, tagged: an anon_vma address | FOLIO_MAPPING_ANON. */
  mapping: 'u32',
  /** _mapcount + 1: the number of page-table entries mapping the folio. */
  mapcount: 'i32',
  flags: 'u32',
});
export type FolioRef = StructRef<typeof Folio>;

/** FOLIO_MAPPING_ANON and FOLIO_MAPPING_FLAGS (include/linux/page-flags.h). */
export const FOLIO_MAPPING_ANON = 0x1;
export const FOLIO_MAPPING_FLAGS = 0x3;
/** PG_locked in folio->flags. */
export const PG_LOCKED = 0x1;

/** The heap the reverse-mapping structures live in. */
export declare const mmHeap: Heap;

/** `(struct anon_vma *)(anon_mapping - FOLIO_MAPPING_ANON)`. */
export function folioAnonVma(anonMapping: number): AnonVmaRef {
  return objectAt(AnonVma, mmHeap, anonMapping - FOLIO_MAPPING_ANON);
}

/**
 * folio_mapped(): whether any page-table entry maps the folio.
 *
 * Its callers in mm/rmap.c document what a true result proves about the anon_vma loaded from
 * the folio: "If this folio is still mapped, then its anon_vma cannot have been freed"
 * (folio_get_anon_vma) and "If the folio is still mapped, then this anon_vma is still its
 * anon_vma" (folio_lock_anon_vma_read).
 * @revalidates folio
 */
export function folioMapped(folio: FolioRef): boolean {
  return folio.mapcount > 0;
}

/** folio_test_locked(). */
export function folioTestLocked(folio: FolioRef): boolean {
  return (folio.flags & PG_LOCKED) !== 0;
}

/** struct rmap_walk_control, reduced to the two fields folio_lock_anon_vma_read() reads. */
export interface RmapWalkControl {
  readonly tryLock: boolean;
  contended: boolean;
}

/** VM_WARN_ON_FOLIO() and friends: a debug assertion. */
export declare function vmWarnOn(condition: boolean): void;
/** might_sleep(). */
export declare function mightSleep(): void;

// ---------------------------------------------------------------------------------------------
// Per-VMA locks (include/linux/mm_types.h, include/linux/mmap_lock.h, include/linux/refcount.h).
// ---------------------------------------------------------------------------------------------

/**
 * struct vm_area_struct, reduced to what the per-VMA lock reads.
 *
 * vm_area_cachep is created with SLAB_TYPESAFE_BY_RCU (kernel/fork.c, since Linux 6.14): a
 * lockless lookup in the mm's maple tree under rcu_read_lock() may find a VMA that was freed
 * and reused, even for another mm, which is why vma_start_read() takes vm_refcnt and then
 * re-checks vma->vm_mm and lock_vma_under_rcu() the address range.
 *
 * vm_refcnt: 0 for a detached VMA (so a reader's increment-unless-zero cannot revive it), 1 for
 * an attached one, plus one per reader; a writer adds VM_REFCNT_EXCLUDE_READERS_FLAG while it
 * waits for readers to drain.
 */
export const VmAreaStruct = defineStruct(
  'vm_area_struct',
  {
    vmStart: 'u32',
    vmEnd: 'u32',
    /** vm_mm: the address space the VMA belongs to (a plain pointer in the kernel). */
    vmMm: { rcu: () => Mm },
    vmFlags: 'u32',
    vmRefcnt: 'refcount',
    /** vm_lock_seq: equal to mm->mm_lock_seq while the VMA is write-locked. */
    vmLockSeq: 'u32',
  },
  { typesafeByRcu: true },
);
export type VmAreaRef = StructRef<typeof VmAreaStruct>;

/** VM_REFCNT_EXCLUDE_READERS_FLAG and VM_REFCNT_LIMIT (include/linux/mm_types.h). */
export const VM_REFCNT_EXCLUDE_READERS_FLAG = 0x40000000;
export const VM_REFCNT_LIMIT = VM_REFCNT_EXCLUDE_READERS_FLAG - 1;
/** VM_GROWSDOWN. */
export const VM_GROWSDOWN = 0x100;
/** UINT_MAX: vma_lock_init()'s "never write-locked" sequence. */
export const UINT_MAX = 0xffffffff;
/** TASK_UNINTERRUPTIBLE, TASK_KILLABLE. */
export const TASK_UNINTERRUPTIBLE = 2;
export const TASK_KILLABLE = 0x102;
/** enum vm_event_item: the VMA lock statistics. */
export const VMA_LOCK_MISS = 1;
export const VMA_LOCK_ABORT = 2;

/** The heap word of a refcount, for the counted variants the runtime lacks. */
function refWord(r: Refcount): { readonly i32: Int32Array; readonly index: number } {
  return { i32: r.heap.views.i32, index: r.index };
}

/** __refcount_dec_and_test (include/linux/refcount.h): decrement, report the old count. */
export function __refcountDecAndTest(r: Refcount, oldp: { value: number }): boolean {
  const { i32, index } = refWord(r);
  const old = Atomics.sub(i32, index, 1);
  oldp.value = old;
  return old === 1;
}

/** refcount_add_not_zero (include/linux/refcount.h). */
export function refcountAddNotZero(i: number, r: Refcount): boolean {
  const { i32, index } = refWord(r);
  let old = Atomics.load(i32, index);
  for (;;) {
    if (old === 0) return false;
    const seen = Atomics.compareExchange(i32, index, old, old + i);
    if (seen === old) return true;
    old = seen;
  }
}

/** refcount_sub_and_test (include/linux/refcount.h): true when the count reached zero. */
export function refcountSubAndTest(i: number, r: Refcount): boolean {
  const { i32, index } = refWord(r);
  return Atomics.sub(i32, index, i) === i;
}

/** refcount_set_release (include/linux/refcount.h). */
export function refcountSetRelease(r: Refcount, n: number): void {
  const { i32, index } = refWord(r);
  Atomics.store(i32, index, n);
}

/** MA_STATE / struct vma_iterator: a position in the mm's maple tree. */
export interface MaState {
  readonly mm: MmRef;
  index: number;
}

/**
 * mas_walk() / vma_next(): the VMA at or after the position. The maple tree's nodes are freed
 * after a grace period, so under rcu_read_lock() the walk is safe, but the VMA it returns is
 * only a candidate: it may be detached, freed and reused at any time.
 */
export declare function masWalk(mas: MaState): VmAreaRef | null;
export declare function vmaNext(vmi: MaState): VmAreaRef | null;
/** mas_set() / vma_iter_set(). */
export declare function masSet(mas: MaState, addr: number): void;
/** vma_lookup() / find_vma(): the maple-tree lookups made under mmap_lock. */
export declare function vmaLookup(mm: MmRef, addr: number): VmAreaRef | null;
/** count_vm_vma_lock_event(). */
export declare function countVmVmaLockEvent(event: number): void;
/** mmgrab() / mmdrop(): pin and unpin the mm_struct itself. */
export declare function mmgrab(mm: MmRef): void;
export declare function mmdrop(mm: MmRef): void;
/** rcuwait_wait_event(&mm->vma_writer_wait, condition, state): 0, or -EINTR when killed. */
export declare function rcuwaitWaitEvent(mm: MmRef, condition: () => boolean, state: number): number;
/** rcuwait_wake_up(&mm->vma_writer_wait). */
export declare function rcuwaitWakeUp(mm: MmRef): void;
/** raw_seqcount_try_begin(&mm->mm_lock_seq, *seq): false while mmap_lock is write-locked. */
export declare function mmapLockSpeculateTryBegin(mm: MmRef, seq: { value: number }): boolean;
/** read_seqcount_retry(&mm->mm_lock_seq, seq). */
export declare function mmapLockSpeculateRetry(mm: MmRef, seq: number): boolean;
