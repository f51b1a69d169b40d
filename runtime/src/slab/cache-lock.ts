/**
 * @fileoverview How the slab allocator takes its lock words (the cache directory lock and each
 * cache's lock): for the calling thread, which must be attached to the cache's heap, and with
 * the heap remapped after the acquisition.
 */

import { HeapAttachmentError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { lockWordAcquire, lockWordRelease } from '../heap/lock-word.js';
import { threadLocal, type ThreadContext } from '../heap/thread-context.js';

/** The calling thread's context, or a HeapAttachmentError naming `where` when it is not attached to `heap`. */
export function attached(heap: Heap, where: string): ThreadContext {
  const self = threadLocal.current;
  if (self === null || self.heap !== heap)
    throw new HeapAttachmentError(`${where}: the calling thread is not attached to this heap`);
  return self;
}

/** @internal Take a lock word in the heap (cache lock, directory lock). */
export function lockWord(heap: Heap, index: number, self: ThreadContext): void {
  // OWNER_DEAD: a thread died inside a critical section; its updates are short store
  // sequences. We take the lock over and go on (a known gap: a thread terminated in the
  // middle of one can leave a slab list half-linked).
  lockWordAcquire(heap, index, self.tag, heap.registry);
  // Another worker may have grown the heap and put slabs there; the lock acquisition orders
  // its stores before ours, and remapping makes its pages addressable in this thread.
  heap.ensureMapped();
}

/** @internal */
export function unlockWord(heap: Heap, index: number, self: ThreadContext): void {
  lockWordRelease(heap, index, self.tag);
}
