/**
 * @fileoverview The calling thread's attachment: which heap, which registry slot, and the
 * thread-local part of RCU state (read-side nesting lives here, not in shared memory, because
 * only the outermost lock and unlock need to be visible to other threads).
 */

import type { Heap } from './heap.js';
import type { HeapAtomics } from './atomics.js';

export interface ThreadContext {
  readonly heap: Heap;
  /** `heap.atomics`, one load closer for the read side, whose outermost lock and unlock run there. */
  readonly atomics: HeapAtomics;
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
  /**
   * QSBR threads only: whether read-side sections count nesting, so that an unbalanced unlock
   * or a quiescent state inside a section is caught (rcuRegisterThreadQsbr({ checked: true })).
   * Unchecked, a QSBR read-side section touches no memory at all, as in liburcu's urcu-qsbr
   * without RCU_DEBUG.
   */
  qsbrChecked: boolean;
  /**
   * What runs when this attachment ends (detach, or the worker's own exit), after the thread
   * has no context: per-thread state bound to it lets go. Slab caches' handles bound to it stop
   * their fast paths (slab/array-cache.ts, bind()), which compare no thread context.
   */
  readonly atRelease: (() => void)[];
}

/**
 * The calling thread's context (`current`, null when not attached). A field of a const object
 * rather than a module-level `let`: V8 reads a `let` binding through its context with a
 * hole check on every access, which measured at ~3 ns per read-side pair — more than the
 * whole QSBR pair is allowed to cost.
 */
export const threadLocal: { current: ThreadContext | null } = { current: null };

/**
 * @internal Make `context` the calling thread's (null: none). Only heap/heap.ts calls this, on
 * attach and detach, and then tells RCU (rcuThreadChanged()).
 */
export function setCurrentThread(context: ThreadContext | null): void {
  const previous = threadLocal.current;
  threadLocal.current = context;
  if (previous !== null && previous !== context) for (const release of previous.atRelease.splice(0)) release();
}
