/**
 * @fileoverview The shared layout of the `npm start` demo: an RCU-protected "pointer" word
 * naming which of a few config slots is current, and the slots themselves.
 */

/** Root words (Int32 indices from the root's base). */
export const DemoWord = {
  /** The RCU-protected pointer: index of the current slot. Published with a seq-cst store. */
  CURRENT: 0,
  /** The newest published version (stored right after CURRENT), for staleness. */
  LATEST: 1,
  /** Readers add 1 when attached and reading. */
  READY: 2,
  /** The writer sets it to stop the readers. */
  STOP: 3,
  /** First slot; each slot is SlotWord.COUNT words. */
  SLOTS: 16,
} as const;

/** One config record. */
export const SlotWord = {
  /** SlotState below. */
  STATE: 0,
  VERSION: 1,
  /** Two payload words and a check word, written before publication, so a torn read shows. */
  A: 2,
  B: 3,
  CHECK: 4,
  /** 16 words = 64 bytes: each slot on its own cache line. */
  COUNT: 16,
} as const;

export const SlotState = {
  /** Published, or unpublished but possibly still read (waiting for its grace period). */
  LIVE: 1,
  /** Its grace period is over: poisoned, then rewritten for a later version. */
  RETIRED: 2,
} as const;

export const DEMO_SLOTS = 4;
export const DEMO_ROOT = 'demo.config';
export const DEMO_ROOT_BYTES = (DemoWord.SLOTS + DEMO_SLOTS * SlotWord.COUNT) * 4;

export function payloadA(version: number): number {
  return Math.imul(version, 2654435761) | 0;
}
export function payloadB(version: number): number {
  return (version ^ 0x5a5a5a5a) | 0;
}
export function checkWord(version: number, a: number, b: number): number {
  return (version ^ a ^ b ^ 0x13579bdf) | 0;
}

export interface DemoReaderData {
  readonly heap: unknown;
  readonly rootByte: number;
  readonly name: string;
}

/** What a reader posts when it stops. */
export interface DemoReaderReport {
  readonly name: string;
  readonly reads: number;
  /** How many times the version it read changed from the previous read. */
  readonly versionsSeen: number;
  readonly firstVersion: number;
  readonly lastVersion: number;
  /** Newest published version minus the version read, at the end of the read-side section. */
  readonly maxStaleness: number;
  /** Reads that found their slot retired (its grace period over) inside the section. */
  readonly retiredReads: number;
  /** Reads whose payload did not match its check word (rewritten under the reader). */
  readonly tornReads: number;
}
