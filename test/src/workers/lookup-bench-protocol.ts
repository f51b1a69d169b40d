/**
 * @fileoverview What the `lookup` benchmark and its workers share: sizes, pacing, the control
 * root's words, and each worker's parameters.
 */

import type { MessagePort } from 'node:worker_threads';

/** Keys 0..KEYS-1, all present; a power of two so a key is `rand() & (KEYS - 1)`. */
export const LOOKUP_BENCH_KEYS = 4096;
/** One bucket per key on average: chains of about one object, as a sized table has. */
export const LOOKUP_BENCH_BUCKETS = 4096;
/** The writer replaces WRITER_BATCH entries, then sleeps WRITER_PAUSE_MS: a read-mostly load. */
export const WRITER_BATCH = 8;
export const WRITER_PAUSE_MS = 0.1;

export const LOOKUP_BENCH_CTL = 'lookup-bench-ctl';
export const LOOKUP_BENCH_CTL_BYTES = 256;
/**
 * Control words: READY counts workers ready; PHASE 0 = wait, 1 = run, 2 = stop; MODE (table
 * readers) a TableMode; COUNTS.. per worker.
 */
/** How table readers get a key's value (the MODE control word). */
export const TableMode = {
  /** read(): lockless, no reference (`rcu-table`). */
  READ: 0,
  /** readLocked(): under the bucket's spinlock (`spinlock-table`). */
  READ_LOCKED: 1,
  /** read() from a QSBR reader (`rcu-table-qsbr`). */
  READ_QSBR: 2,
  /** lookup(), the value, put(): lockless, with a reference (`rcu-table-ref`). */
  LOOKUP: 3,
  /** lookupLocked(), the value, put(): the bucket lock, then a reference (`spinlock-table-ref`). */
  LOOKUP_LOCKED: 4,
  /**
   * A Map private to each reader, no table; the writer stays parked meanwhile (`local-map`):
   * no writer and nothing shared, measured in the same workers as the table modes.
   */
  LOCAL_MAP: 5,
} as const;

export const BenchCtl = { READY: 0, PHASE: 1, MODE: 2, COUNTS: 4 } as const;
/** Most reader workers one run may have (`--readers`): COUNTS slots 0..MAX-1. */
export const MAX_LOOKUP_READERS = 32;
/** COUNTS slot of the writer, after the readers'. */
export const WRITER_SLOT = MAX_LOOKUP_READERS;

export type LookupRole = 'table-reader' | 'table-writer' | 'owner' | 'owner-reader' | 'owner-writer' | 'local-reader';

export interface LookupWorkerData {
  readonly role: LookupRole;
  readonly seed: number;
  /** The heap (all roles but `owner`). */
  readonly shared?: unknown;
  /** COUNTS slot of this worker. */
  readonly index?: number;
  /** owner-reader / owner-writer: the port to the owner. */
  readonly port?: MessagePort;
  /** owner: one port per client. */
  readonly ports?: MessagePort[];
  /** Readers: how lookups pick keys (default uniform); the writer always picks uniformly. */
  readonly keys?: KeyDistribution;
}

/** How readers pick the keys they look up: uniformly, or Zipf-skewed (workers/zipf-keys.ts). */
export type KeyDistribution = 'uniform' | 'zipf';
