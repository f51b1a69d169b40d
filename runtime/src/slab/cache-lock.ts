/**
 * @fileoverview How the slab allocator takes its lock words (the cache directory lock and each
 * cache's lock): for the calling thread, which must be attached to the cache's heap, and with
 * the heap remapped after the acquisition.
 */

import { HeapAttachmentError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { lockWordAcquire, lockWordRelease } from '../heap/lock-word.js';
import { intentBegin, intentEnd } from '../heap/intent-log.js';
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
  // OWNER_DEAD needs nothing here: every store under these locks goes through the intent
  // log, and whoever reaped the dead owner undid its half-done step before the lock could be
  // taken over (heap/intent-log.ts).
  lockWordAcquire(heap, index, self.tag, heap.registry);
  // Another worker may have grown the heap and put slabs there; the lock acquisition orders
  // its stores before ours, and remapping makes its pages addressable in this thread.
  heap.ensureMapped();
  intentBegin(heap.views.i32, index);
}

/** @internal */
export function unlockWord(heap: Heap, index: number, self: ThreadContext): void {
  // The frame goes before the lock: a thread killed between the two holds a lock with
  // nothing half done, which a later locker takes over as it is.
  intentEnd(heap.views.i32);
  lockWordRelease(heap, index, self.tag);
}
