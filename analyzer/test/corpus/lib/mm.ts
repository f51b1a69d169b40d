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

import { defineStruct, objectAt, type Heap, type StructDef, type StructRef } from '@rcukit/runtime';

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
