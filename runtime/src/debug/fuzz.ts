/**
 * @fileoverview `debug: { fuzz: true }`: short random delays after RCU pointer loads and before
 * lock and reference acquisitions, as rcutorture and KCSAN widen race windows, so that a reuse
 * race (an object freed and reallocated between a lookup and its lock) happens in tests that
 * would otherwise pass by luck.
 */

import type { DebugThread } from './debug-thread.js';

/** Longest delay, in milliseconds: long enough for another thread to free and reuse an object. */
const MAX_DELAY_MS = 0.05;

/** A busy wait of up to MAX_DELAY_MS at one call in four, when the thread fuzzes. */
export function fuzzDelay(d: DebugThread): void {
  if (!d.fuzz || Math.random() >= 0.25) return;
  const until = performance.now() + Math.random() * MAX_DELAY_MS;
  while (performance.now() < until) {
    // spin: a sleep would be far longer than the window being widened
  }
}
