/**
 * @fileoverview The named errors of @rcukit/runtime.
 *
 * Every misuse the runtime detects throws one of these, with a message that says what was
 * wrong and where (which heap, cache, object, lock or thread). Each carries a stable `code`
 * so that callers and tests can tell them apart without matching message text. An error is
 * thrown before any shared state is changed, unless its documentation says otherwise
 * (SpinlockOwnerDeadError: the lock is held by the caller when it is thrown).
 */

export abstract class RcukitError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The value given to attachHeap() is not a heap created by createHeap(). */
export class NotAHeapError extends RcukitError {
  readonly code = 'ERR_NOT_A_HEAP';
}

/** The heap was created by a runtime with another shared-memory layout. */
export class HeapLayoutVersionError extends RcukitError {
  readonly code = 'ERR_HEAP_LAYOUT_VERSION';
}

/** A createHeap() option is out of range or of the wrong type. */
export class InvalidHeapOptionsError extends RcukitError {
  readonly code = 'ERR_INVALID_HEAP_OPTIONS';
}

/** This thread is already attached to a heap, or is not attached to one. */
export class HeapAttachmentError extends RcukitError {
  readonly code = 'ERR_HEAP_ATTACHMENT';
}

/** All registry slots are taken: more threads attached than the heap's maxThreads. */
export class TooManyThreadsError extends RcukitError {
  readonly code = 'ERR_TOO_MANY_THREADS';
}

/** The heap (or its static area, or root directory) has no room left. */
export class OutOfMemoryError extends RcukitError {
  readonly code = 'ERR_OUT_OF_MEMORY';
}

/** A root exists under this name with another size. */
export class RootMismatchError extends RcukitError {
  readonly code = 'ERR_ROOT_MISMATCH';
}

/** rcuReadUnlock() without a matching rcuReadLock(), or a QSBR call in the wrong state. */
export class RcuUnbalancedError extends RcukitError {
  readonly code = 'ERR_RCU_UNBALANCED';
}

/** A call that waits for a grace period was made inside a read-side section. */
export class RcuDeadlockError extends RcukitError {
  readonly code = 'ERR_RCU_DEADLOCK';
}

/** The callRcu() backlog is full and the caller asked not to be slowed down. */
export class RcuBacklogFullError extends RcukitError {
  readonly code = 'ERR_RCU_BACKLOG_FULL';
}

/**
 * spinUnlock() or lockdepAssertHeld() of a lock this thread does not hold, or spinLock() of one
 * it already holds.
 */
export class SpinlockMisuseError extends RcukitError {
  readonly code = 'ERR_SPINLOCK_MISUSE';
}

/**
 * The previous owner of the lock died holding it. The lock is now held by the caller, who
 * must bring what it protects back to a consistent state and then call spinUnlock().
 * Like EOWNERDEAD from a robust pthread mutex.
 */
export class SpinlockOwnerDeadError extends RcukitError {
  readonly code = 'ERR_SPINLOCK_OWNER_DEAD';
}

/** A refcount was decremented below zero or incremented past its maximum. */
export class RefcountError extends RcukitError {
  readonly code = 'ERR_REFCOUNT';
}

/** An invalid kmemCacheCreate() request (flags that contradict each other, bad sizes). */
export class SlabCacheFlagsError extends RcukitError {
  readonly code = 'ERR_SLAB_CACHE_FLAGS';
}

/** An object freed twice (debug caches). */
export class DoubleFreeError extends RcukitError {
  readonly code = 'ERR_DOUBLE_FREE';
}

/** An object freed into a cache it was not allocated from, or an address no cache owns. */
export class WrongCacheError extends RcukitError {
  readonly code = 'ERR_WRONG_CACHE';
}

/** A freed object was written to (SLAB_POISON) or a red zone was overwritten (SLAB_RED_ZONE). */
export class SlabCorruptionError extends RcukitError {
  readonly code = 'ERR_SLAB_CORRUPTION';
}

/** kmemCacheDestroy() of a cache that still has live objects. */
export class CacheBusyError extends RcukitError {
  readonly code = 'ERR_CACHE_BUSY';
}

/** A struct declaration that cannot be laid out (unknown field kind, bad array length). */
export class StructDefinitionError extends RcukitError {
  readonly code = 'ERR_STRUCT_DEFINITION';
}

/** An hlist_nulls operation on a node or head in the wrong state (already listed, not listed, bad address). */
export class HlistNullsError extends RcukitError {
  readonly code = 'ERR_HLIST_NULLS';
}

/** An RCU hash table used wrongly: bad options, an object in the wrong state, a key of the wrong type. */
export class HashTableMisuseError extends RcukitError {
  readonly code = 'ERR_HASH_TABLE_MISUSE';
}

/** freePages() / setPageOwner() of a byte offset that is not a run the page allocator handed out. */
export class InvalidPageError extends RcukitError {
  readonly code = 'ERR_INVALID_PAGE';
}

/**
 * A cache used after kmemCacheDestroy(), in any worker: the cache's memory may belong to
 * someone else now, so every call on a stale handle is refused. Debug mode also catches
 * objects that came from it.
 */
export class CacheDestroyedError extends RcukitError {
  readonly code = 'ERR_CACHE_DESTROYED';
}

/**
 * rcuBarrier() (or rcuBarrierAsync()) called from inside a callRcu() callback: the barrier
 * would wait for the callback it is running in.
 */
export class RcuBarrierInCallbackError extends RcukitError {
  readonly code = 'ERR_RCU_BARRIER_IN_CALLBACK';
}

/** An argument of the wrong type or out of range (a size, an alignment, a lock, a callback). */
export class InvalidArgumentError extends RcukitError {
  readonly code = 'ERR_INVALID_ARGUMENT';
}

/**
 * Debug mode (PROVE_RCU): a type-stable object was used, or an RCU pointer loaded, with
 * nothing protecting it: no read-side section, not its lock, no reference this thread took,
 * not fresh and unpublished, no rcuDereferenceProtected() claim that holds.
 */
export class SuspiciousRcuUsageError extends RcukitError {
  readonly code = 'ERR_SUSPICIOUS_RCU_USAGE';
}

/**
 * Debug mode: a type-stable object was used under its lock or a reference this thread took,
 * but it was freed since this thread obtained it (so it may be another object now), and the
 * thread did not revalidate it (load the pointer again, or read a key field: one the struct
 * names in defineStruct()'s `key` option, or its RcuHashTable's key).
 */
export class StaleObjectError extends RcukitError {
  readonly code = 'ERR_STALE_OBJECT';
}

/**
 * Debug mode (lockdep): a lock acquisition closes a cycle in the lock-order graph (a possible
 * deadlock, whether or not one happened), or takes a lock the thread already holds.
 */
export class LockOrderError extends RcukitError {
  readonly code = 'ERR_LOCK_ORDER';
}

/** Debug mode (KASAN-like): a field of a freed object of a plain (not type-stable) cache was used. */
export class UseAfterFreeError extends RcukitError {
  readonly code = 'ERR_USE_AFTER_FREE';
}

/**
 * Debug mode: a call that blocks or sleeps (synchronizeRcu, rcuBarrier, kmemCacheDestroy, a
 * made while the thread holds a spinlock: it would sleep, or wait for a thread that needs the
 * lock. A read-side section left open across an await, and a spinlock still held when a thread
 * detaches, are reported with it too, through the heap's 'debug' event.
 */
export class InvalidBlockingError extends RcukitError {
  readonly code = 'ERR_INVALID_BLOCKING';
}
