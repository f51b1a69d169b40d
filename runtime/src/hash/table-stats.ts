/**
 * @fileoverview What one worker's handle on an RCU hash table counts: its lockless lookups and
 * read()s, their restarts by cause, and its fallbacks to the bucket lock (RcuHashTable.stats()).
 * The counts summed over all workers live in the table's root (TableWord): sharedTableStats().
 */

import { TableWord } from '../heap/layout.js';

/** What this worker's handle on a table has counted (its own lookups only). */
export interface RcuHashTableStats {
  /** Lockless lookups started (locked lookups are not counted). */
  lookups: number;
  /** Restarts because the walk ended on another bucket's nulls marker (an object moved chains). */
  nullsRestarts: number;
  /** Restarts because the key re-checked after refcountIncNotZero() differed (freed and reused). */
  recheckRestarts: number;
  /** Restarts because refcountIncNotZero() failed (the object was being freed or not yet published). */
  refcountRestarts: number;
  /** Restarts because a walk went on longer than any chain should (objects cycling). */
  walkBoundRestarts: number;
  /** Restarts of a walk that found nothing while a writer changed its bucket. */
  writerRestarts: number;
  /** Lookups and read()s that ran out of retries and took the bucket lock. */
  lockFallbacks: number;
  /** read()s started (readLocked() is not counted). */
  reads: number;
  /** Attempts of read() discarded: a writer changed the bucket (or was changing it) meanwhile. */
  readRestarts: number;
}

/** A handle's counters, all zero. */
export function newTableStats(): RcuHashTableStats {
  return {
    lookups: 0,
    nullsRestarts: 0,
    recheckRestarts: 0,
    refcountRestarts: 0,
    walkBoundRestarts: 0,
    writerRestarts: 0,
    lockFallbacks: 0,
    reads: 0,
    readRestarts: 0,
  };
}

/** Restarts and lock fallbacks of lockless lookups, summed over all workers (the root's words). */
export function sharedTableStats(i32: Int32Array, rootWord: number): { restarts: number; lockFallbacks: number } {
  return {
    restarts: Atomics.load(i32, rootWord + TableWord.RESTARTS),
    lockFallbacks: Atomics.load(i32, rootWord + TableWord.LOCK_FALLBACKS),
  };
}
