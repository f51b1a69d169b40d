/**
 * @fileoverview Translation of Linux mm/rmap.c: the anon_vma cache (SLAB_TYPESAFE_BY_RCU) and
 * the two lockless ways from a folio to its anon_vma, which pin the anon_vma and then
 * revalidate through the folio still being mapped rather than by re-reading a pointer.
 *
 * Source read: mm/rmap.c at ColinIanKing/linux-next commit
 * 019d65eb50b3f3efa82571091ff143cd53331d31 (linux-next, 6.19 cycle).
 * Functions: anon_vma_alloc, anon_vma_free, anon_vma_ctor, anon_vma_init,
 * folio_get_anon_vma, folio_lock_anon_vma_read; and put_anon_vma (include/linux/rmap.h) with
 * __put_anon_vma (mm/rmap.c), which drop the references those two take.
 *
 * The rw_semaphore is the runtime's spinlock (lib/kernel.ts): down_read_trylock() is
 * spinTrylock(), anon_vma_lock_read() / anon_vma_lock_write() are spinLock() of the root's
 * rwsem, and rwsem_is_locked() reads the lock word.
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountIncNotZero,
  refcountRead,
  refcountSet,
  spinLock,
  spinLockInit,
  spinTrylock,
  spinUnlock,
  type Heap,
  type KmemCache,
} from '@rcukit/runtime';
import {
  AnonVma,
  FOLIO_MAPPING_ANON,
  FOLIO_MAPPING_FLAGS,
  folioAnonVma,
  folioMapped,
  folioTestLocked,
  mightSleep,
  vmWarnOn,
  type AnonVmaRef,
  type FolioRef,
  type RmapWalkControl,
} from '../lib/mm.js';

/** anon_vma_cachep. */
let anonVmaCachep: KmemCache<typeof AnonVma>;

/** anon_vma_alloc (mm/rmap.c): a new anon_vma that is its own root and parent. */
function anonVmaAlloc(): AnonVmaRef | null {
  const anonVma = kmemCacheAlloc(anonVmaCachep);
  if (anonVma) {
    refcountSet(anonVma.refcount, 1);
    anonVma.numChildren = 0;
    anonVma.numActiveVmas = 0;
    anonVma.parent = anonVma;
    // Initialise the anon_vma root to point to itself. If called from fork, the root will be
    // reset to the parent's anon_vma.
    anonVma.root = anonVma;
  }

  return anonVma;
}

/** anon_vma_free (mm/rmap.c): free an anon_vma whose refcount reached zero. */
function anonVmaFree(anonVma: AnonVmaRef): void {
  vmWarnOn(refcountRead(anonVma.refcount) !== 0);

  // Synchronize against folio_lock_anon_vma_read() such that we can safely hold the lock
  // without the anon_vma getting freed: the full barrier of the final decrement in
  // put_anon_vma() against the acquire of down_read_trylock() there. If that reader holds the
  // root's lock, wait for it by taking and dropping the lock.
  mightSleep();
  const root = anonVma.root!;
  if (root.rwsem.locked) {
    // anon_vma_lock_write(anon_vma) / anon_vma_unlock_write(anon_vma): the root's rwsem.
    spinLock(root.rwsem);
    spinUnlock(root.rwsem);
  }

  kmemCacheFree(anonVmaCachep, anonVma);
}

/** anon_vma_ctor (mm/rmap.c): what survives reuse, set once per slab object. */
function anonVmaCtor(anonVma: AnonVmaRef): void {
  spinLockInit(anonVma.rwsem); // init_rwsem(&anon_vma->rwsem)
  refcountSet(anonVma.refcount, 0);
  anonVma.rbRoot = 0; // RB_ROOT_CACHED
}

/** anon_vma_init (mm/rmap.c): the anon_vma cache (the anon_vma_chain cache is not type-stable). */
export function anonVmaInit(heap: Heap): void {
  anonVmaCachep = kmemCacheCreate(heap, 'anon_vma', AnonVma, { flags: SLAB_TYPESAFE_BY_RCU, ctor: anonVmaCtor });
}

/** __put_anon_vma (mm/rmap.c): free an anon_vma, then drop the reference it held on its root. */
function __putAnonVma(anonVma: AnonVmaRef): void {
  const root = anonVma.root!;

  anonVmaFree(anonVma);
  if (root !== anonVma && refcountDecAndTest(root.refcount)) anonVmaFree(root);
}

/** put_anon_vma (include/linux/rmap.h). */
export function putAnonVma(anonVma: AnonVmaRef): void {
  if (refcountDecAndTest(anonVma.refcount)) __putAnonVma(anonVma);
}

/**
 * folio_get_anon_vma (mm/rmap.c): a referenced anon_vma that might have been relevant to the
 * folio, or null. Since there is no serialization against folio_remove_rmap_*(), the anon_vma
 * may already be freed and even reused; if the folio is still mapped after the reference is
 * taken, its anon_vma cannot have been freed. "the caller should hold folio lock".
 */
export function folioGetAnonVma(folio: FolioRef): AnonVmaRef | null {
  let anonVma: AnonVmaRef | null = null;

  vmWarnOn(!folioTestLocked(folio));

  rcuReadLock();
  out: {
    const anonMapping = folio.mapping; // READ_ONCE(folio->mapping)
    if ((anonMapping & FOLIO_MAPPING_FLAGS) !== FOLIO_MAPPING_ANON) break out;
    if (!folioMapped(folio)) break out;

    anonVma = folioAnonVma(anonMapping);
    if (!refcountIncNotZero(anonVma.refcount)) {
      anonVma = null;
      break out;
    }

    // If this folio is still mapped, then its anon_vma cannot have been freed. But if it has
    // been unmapped, we have no security against the anon_vma structure being freed and reused
    // (for another anon_vma: SLAB_TYPESAFE_BY_RCU guarantees that, so the increment above
    // cannot corrupt).
    if (!folioMapped(folio)) {
      rcuReadUnlock();
      putAnonVma(anonVma);
      return null;
    }
  }
  rcuReadUnlock();

  return anonVma;
}

/**
 * folio_lock_anon_vma_read (mm/rmap.c): as folio_get_anon_vma() but returns the anon_vma with
 * its root's rwsem read-locked. The fast path is a single trylock; if it fails, take a
 * reference as folio_get_anon_vma() does and then block on the lock.
 */
export function folioLockAnonVmaRead(folio: FolioRef, rwc: RmapWalkControl | null): AnonVmaRef | null {
  let anonVma: AnonVmaRef | null = null;

  vmWarnOn(!folioTestLocked(folio));

  rcuReadLock();
  out: {
    const anonMapping = folio.mapping; // READ_ONCE(folio->mapping)
    if ((anonMapping & FOLIO_MAPPING_FLAGS) !== FOLIO_MAPPING_ANON) break out;
    if (!folioMapped(folio)) break out;

    anonVma = folioAnonVma(anonMapping);
    const rootAnonVma = anonVma.root!; // READ_ONCE(anon_vma->root)
    if (spinTrylock(rootAnonVma.rwsem)) {
      // If the folio is still mapped, then this anon_vma is still its anon_vma, and holding
      // the lock ensures that it will not go away, see anon_vma_free().
      if (!folioMapped(folio)) {
        spinUnlock(rootAnonVma.rwsem); // up_read
        anonVma = null;
      }
      break out;
    }

    if (rwc && rwc.tryLock) {
      anonVma = null;
      rwc.contended = true;
      break out;
    }

    // trylock failed, we got to sleep
    if (!refcountIncNotZero(anonVma.refcount)) {
      anonVma = null;
      break out;
    }

    if (!folioMapped(folio)) {
      rcuReadUnlock();
      putAnonVma(anonVma);
      return null;
    }

    // we pinned the anon_vma, its safe to sleep
    rcuReadUnlock();
    spinLock(anonVma.root!.rwsem); // anon_vma_lock_read(anon_vma)

    if (refcountDecAndTest(anonVma.refcount)) {
      // Oops, we held the last refcount: release the lock and bail. put_anon_vma() would
      // deadlock on the anon_vma_lock_write() recursion.
      spinUnlock(anonVma.root!.rwsem); // anon_vma_unlock_read(anon_vma)
      __putAnonVma(anonVma);
      anonVma = null;
    }

    return anonVma;
  }
  rcuReadUnlock();
  return anonVma;
}
