/**
 * @fileoverview What the hash-table torture test and its workers share: the control words,
 * the worker's parameters and the reports it posts back.
 */

/** Words of the control root (indices from its first word). */
export const CtlWord = { READY: 0, START: 1, STOP: 2, WRONG_KEY: 3, MISSING_PINNED: 4 } as const;
export const CTL_ROOT = 'hash-torture-ctl';
export const CTL_BYTES = 64;

export interface TortureWorkerData {
  readonly shared: unknown;
  /**
   * `recycler`: a writer that, round after round, deletes every key that comes and goes,
   * gives the emptied slabs' pages back to the page allocator (shrink, grace period, shrink),
   * lets another cache fill those pages with random words and give them back, then inserts
   * the keys again: read()'s first attempt, made in no read-side section, walks memory
   * that is no longer this cache's.
   */
  readonly role: 'reader' | 'writer' | 'recycler';
  readonly seed: number;
  /** Keys 0..keys-1 come and go; keys keys..keys+pinned-1 are always present (only replaced). */
  readonly keys: number;
  readonly pinned: number;
  readonly buckets: number;
  /** Which test-only switch to turn on, if any. */
  readonly unsafe: 'none' | 'skip-key-recheck' | 'skip-nulls-check' | 'skip-read-validation';
  /**
   * How readers get at a key: lookup() (a reference, then the object's fields) or read()
   * (the `check` and `value` fields, each by a reference-free read).
   */
  readonly api: 'lookup' | 'read';
  /** Random reader delays at each node and between key match and reference (widen the races). */
  readonly delays: boolean;
}

export interface ReaderReport {
  readonly role: 'reader';
  readonly lookups: number;
  readonly hits: number;
  /** Objects returned whose key differed from the key looked up (read(): a `check` of another key). */
  readonly wrongKey: number;
  /** Objects returned whose check field did not match their key (half-made objects; read(): a wrong `value`). */
  readonly badCheck: number;
  /** Lookups of an always-present key that found nothing. */
  readonly missingPinned: number;
  readonly stats: Record<string, number>;
}

export interface WriterReport {
  readonly role: 'writer' | 'recycler';
  readonly deletes: number;
  readonly inserts: number;
  readonly replaces: number;
  /** recycler: rounds done, and slabs of the table's cache whose pages went back. */
  readonly rounds?: number;
  readonly slabsReleased?: number;
}
