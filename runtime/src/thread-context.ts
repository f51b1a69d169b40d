/**
 * @fileoverview The calling thread's attachment: which heap, which registry slot, and the
 * thread-local part of RCU state (read-side nesting lives here, not in shared memory, because
 * only the outermost lock and unlock need to be visible to other threads).
 */

import type { Heap } from './heap.js';

export interface ThreadContext {
  readonly heap: Heap;
  /** Registry slot index. */
  readonly slot: number;
  /** Owner tag written into lock words this thread holds. */
  readonly tag: number;
  /** Word index of this thread's reader counter in the heap's Int32Array. */
  readonly ctrWord: number;
  /** Read-side nesting depth (default flavor) — thread-local, never shared. */
  readNesting: number;
  /** True once this thread registered as a QSBR reader. */
  qsbr: boolean;
}

/** The calling thread's context, or null when it is not attached. */
export let currentThread: ThreadContext | null = null;

export function setCurrentThread(context: ThreadContext | null): void {
  currentThread = context;
}
