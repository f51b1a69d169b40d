/**
 * @fileoverview Small stand-ins for kernel primitives that @rcukit/runtime has no name for,
 * shared by every translation in ../kernel/. Each one is the least code that keeps the
 * kernel's meaning; where the runtime already has the primitive (rcuReadLock, spinLock,
 * refcountIncNotZero, hlistNulls*, getNullsValue, callRcu, ...) the translations call it
 * directly and nothing here wraps it.
 *
 * Conventions the translations follow (stated once here):
 * - READ_ONCE / WRITE_ONCE of a plain field are plain reads and writes of the struct field
 *   (the runtime stores every number field of a type-stable struct atomically).
 * - rcu_dereference / rcu_dereference_raw / rcu_access_pointer of a pointer field are reads of
 *   an `{ rcu }` field, and rcu_assign_pointer / RCU_INIT_POINTER are assignments to it: the
 *   runtime makes that read an acquire load and that store a release store.
 * - smp_rmb() / smp_wmb() / smp_mb__before_atomic() are written as comments at the place the
 *   kernel has them: the runtime's atomic loads and stores are sequentially consistent.
 * - spin_lock_irqsave / spin_lock_bh / spin_lock_irq are spinLock(); the interrupt and
 *   bottom-half state they also save has no counterpart in a worker thread.
 * - likely() / unlikely() are dropped: they are branch hints, not logic.
 * - Sleeping locks (rw_semaphore, mutex, rwlock_t) are modelled by the runtime's spinlock: it
 *   keeps the mutual exclusion the code relies on, and rcukit has no other lock.
 * - Kernel functions outside the RCU/type-stable logic being translated (security hooks,
 *   signal queueing, timers, statistics) are `declare`d in the subsystem's lib file: they are
 *   the rest of the kernel, not part of what the corpus exercises.
 */

import { objectAt, offsetOf, type AnyStructDef, type Heap, type StructRef } from '@rcukit/runtime';

/**
 * hlist_nulls_entry(ptr, type, member) / container_of: the object whose `field` (an
 * `hlistNulls` field) is the node at byte address `node`.
 */
export function hlistNullsEntry<D extends AnyStructDef>(struct: D, heap: Heap, node: number, field: string): StructRef<D> {
  return objectAt(struct, heap, node - offsetOf(struct, field));
}

/** Byte address of the node an `hlistNulls` field of `obj` reserves (`&obj->member`). */
export function nodeAddress(node: { readonly byteOffset: number }): number {
  return node.byteOffset;
}

/**
 * A seqcount_t kept in one word of the heap (read_seqcount_begin / read_seqcount_retry /
 * write_seqcount_begin / write_seqcount_end); the runtime has none. Writers are serialized by
 * a lock the caller holds, as for the kernel's plain seqcount_t.
 */
export class Seqcount {
  constructor(
    private readonly heap: Heap,
    private readonly word: number,
  ) {}

  /** read_seqcount_begin: wait out a writer, return the even sequence. */
  readBegin(): number {
    for (;;) {
      const seq = Atomics.load(this.heap.views.i32, this.word);
      if ((seq & 1) === 0) return seq;
    }
  }

  /** read_seqcount_retry: whether a writer ran since readBegin() returned `seq`. */
  retry(seq: number): boolean {
    return Atomics.load(this.heap.views.i32, this.word) !== seq;
  }

  /** write_seqcount_begin. */
  writeBegin(): void {
    Atomics.add(this.heap.views.i32, this.word, 1);
  }

  /** write_seqcount_end. */
  writeEnd(): void {
    Atomics.add(this.heap.views.i32, this.word, 1);
  }
}

/** The kernel's error numbers the translations return (negated, as the kernel does). */
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const EBADF = 9;
export const ESRCH = 3;
export const EPERM = 1;
export const EINVAL = 22;
export const EMFILE = 24;
export const EADDRNOTAVAIL = 99;

/** ERR_PTR(-EAGAIN) and friends: an error where a pointer is expected. */
export class ErrPtr {
  constructor(readonly errno: number) {}
}

/** IS_ERR(). */
export function isErr(value: unknown): value is ErrPtr {
  return value instanceof ErrPtr;
}

/** lockdep_assert_held() / assert_spin_locked(): the runtime's own, which the checker reads as the caller's obligation. */
export { lockdepAssertHeld } from '@rcukit/runtime';

/** WARN_ON() / WARN_ON_ONCE() / VFS_BUG_ON(): report a broken invariant (a stack dump, not a crash). */
export declare function warnOn(condition: boolean): boolean;
