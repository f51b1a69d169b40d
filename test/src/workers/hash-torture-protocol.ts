/**
 * @fileoverview What the hash-table torture test and its workers share: the control words,
 * the worker's parameters and the reports it posts back.
 */

/** Words of the control root (indices from its first word). */
export const CtlWord = { READY: 0, START: 1, STOP: 2, WRONG_KEY: 3 } as const;
export const CTL_ROOT = 'hash-torture-ctl';
export const CTL_BYTES = 64;

export interface TortureWorkerData {
  readonly shared: unknown;
  readonly role: 'reader' | 'writer';
  readonly seed: number;
  readonly keys: number;
  readonly buckets: number;
  readonly unsafe: boolean;
  /** Random reader delays at each node and between key match and reference (widen the races). */
  readonly delays: boolean;
}

export interface ReaderReport {
  readonly role: 'reader';
  readonly lookups: number;
  readonly hits: number;
  /** Objects returned whose key differed from the key looked up. */
  readonly wrongKey: number;
  /** Objects returned whose check field did not match their key (half-made objects). */
  readonly badCheck: number;
  readonly stats: Record<string, number>;
}

export interface WriterReport {
  readonly role: 'writer';
  readonly deletes: number;
  readonly inserts: number;
  readonly replaces: number;
}

