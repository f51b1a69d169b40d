/**
 * @fileoverview The intent log: what makes a multi-word update under a robust lock survive the
 * death of the thread making it. One log per registry slot, in shared memory (layout:
 * IntentWord in heap/layout.ts), the runtime's counterpart of a robust futex list with its
 * list_op_pending: it names the locks the thread holds and, for each word it changed under
 * them since the last consistent point, the value the word had before.
 *
 * How a thread uses it: take the lock, then intentBegin() names it in a new frame; every store
 * to a shared word the lock guards goes through intentSet() / intentSetByte(), which append
 * (word, old value) and only then store; at each point where the guarded structure is
 * consistent again, intentCheckpoint() drops the frame's entries (one store: the log length);
 * intentEnd() drops the frame, and only then is the lock released. A nested lock's frame may
 * end with `commitOuter`, which commits the enclosing frame's step in the same single store:
 * freeing pages (its own frame, under the page allocator's lock) is the last act of a slab
 * step under the cache lock, and the two must commit together, or rolling back the slab step
 * after the pages went back would hand them out twice.
 *
 * What a dead thread leaves, and why rolling back is right: worker.terminate() stops a thread
 * at an interrupt check, between two statements; every store before that point is done, none
 * after. So the log holds exactly the stores made since the innermost consistent point (each
 * entry is written and counted before its store, so an entry may name a store that never
 * happened: restoring the old value then changes nothing). Restoring the entries newest first
 * gives every word the value it had at that point: the structures are as the dead thread last
 * left them consistent, and the half-done step never happened. Only the lock holder writes
 * those words, and the dead thread's locks stay its own until recovery ends (its slot stays
 * alive, in state REAPING, see heap/thread-registry.ts), so nobody races the restores.
 * Restoring is idempotent: a recoverer killed halfway is followed by another that restores
 * the same old values again. Then the log is emptied and the frames' locks are released.
 *
 * Who recovers: the thread that reaps the dead thread's slot (heap.reapThread(), run by
 * watchWorker() or by a blocked waiter that sees its watched worker gone), before it frees the
 * slot; the kernel walks a dead task's robust list at exit in the same way. A lock taken over
 * later (LockResult.OWNER_DEAD) therefore guards a consistent structure: either its dead owner
 * had no frame on it (it died between taking the lock and naming it, or between dropping its
 * frame and releasing, both with nothing half done), or recovery already rolled it back.
 *
 * Words outside the log: stores to words no other thread can see yet (a slab being built, the
 * unused part of an array cache or a free stack above its count) need no entry, because the
 * logged count that makes them visible is rolled back with everything else.
 */

import { IntentWord, INTENT_CAPACITY, INTENT_MAX_FRAMES } from './layout.js';
import { lockWordOwner } from './lock-word.js';

/**
 * This thread's log (word index of its IntentWord.LEN), set on attach. A field of a const
 * object, like threadLocal.current (heap/thread-context.ts says why).
 */
const log = { base: -1 };

/** Bound on entries: a step that outgrows it is a runtime bug, reported before its store. */
export class IntentLogOverflow extends Error {}

/** @internal Heap.#attach: the calling thread's log is `base` (emptied: a fresh occupant of its slot). */
export function intentAttach(i32: Int32Array, base: number): void {
  log.base = base;
  i32[base + IntentWord.LEN] = 0;
  i32[base + IntentWord.DEPTH] = 0;
}

/** Open a frame for the lock word at `lockIndex`, which the calling thread has just taken. */
export function intentBegin(i32: Int32Array, lockIndex: number): void {
  const b = log.base;
  const depth = i32[b + IntentWord.DEPTH]!;
  if (depth >= INTENT_MAX_FRAMES)
    throw new IntentLogOverflow(`intent log: more than ${INTENT_MAX_FRAMES} nested locks`);
  const frame = b + IntentWord.FRAMES + 2 * depth;
  i32[frame] = lockIndex;
  i32[frame + 1] = i32[b + IntentWord.LEN]!;
  // Counted last: a frame is visible to recovery only once it names its lock.
  i32[b + IntentWord.DEPTH] = depth + 1;
}

/**
 * Close the innermost frame: its entries are committed. With `commitOuter`, the enclosing
 * frame's entries since its last checkpoint are committed by the same store (see above).
 * The caller releases the lock after this.
 */
export function intentEnd(i32: Int32Array, commitOuter = false): void {
  const b = log.base;
  const depth = i32[b + IntentWord.DEPTH]! - 1;
  const frame = b + IntentWord.FRAMES + 2 * depth;
  const keep = commitOuter && depth > 0 ? i32[frame - 1]! : i32[frame + 1]!;
  i32[b + IntentWord.LEN] = keep;
  i32[b + IntentWord.DEPTH] = depth;
}

/** The innermost frame's structure is consistent again: forget how to undo what led here. */
export function intentCheckpoint(i32: Int32Array): void {
  const b = log.base;
  const depth = i32[b + IntentWord.DEPTH]!;
  i32[b + IntentWord.LEN] = i32[b + IntentWord.FRAMES + 2 * depth - 1]!;
}

/**
 * Close the innermost frame and add `delta` to the shared counter at `countIndex`, which
 * threads under other locks add to as well, so that its old value cannot be logged. The add
 * and the store that commits the frame are adjacent statements of one function, with no call
 * and no loop between them: termination, delivered only at interrupt checks (function entries
 * and loop back edges), cannot fall between them, so recovery sees either neither or both.
 */
export function intentEndCounting(i32: Int32Array, countIndex: number, delta: number): void {
  const b = log.base;
  const depth = i32[b + IntentWord.DEPTH]! - 1;
  const keep = i32[b + IntentWord.FRAMES + 2 * depth + 1]!;
  Atomics.add(i32, countIndex, delta);
  i32[b + IntentWord.LEN] = keep;
  i32[b + IntentWord.DEPTH] = depth;
}

/**
 * Atomics.add(i32, index, 1) on a sequence count, undoable. Undoing it does not restore the
 * old count (a reader that began before the change would then accept what it read during it)
 * but moves it on to the next even value past anything it held, after every other word of
 * the change is restored (it is logged first, so it is undone last).
 */
export function intentSeqBump(i32: Int32Array, index: number): void {
  append(i32, index + SEQ_TARGET, i32[index]!);
  Atomics.add(i32, index, 1);
}

/** Log targets at or above this are sequence counts (word index + SEQ_TARGET); word indices stay below 2^29. */
const SEQ_TARGET = 1 << 29;

function append(i32: Int32Array, target: number, old: number): void {
  const b = log.base;
  // No frame: a store outside the runtime's own locks (the hlist_nulls calls of user code).
  if (b < 0 || i32[b + IntentWord.DEPTH] === 0) return;
  const len = i32[b + IntentWord.LEN]!;
  if (len >= INTENT_CAPACITY)
    throw new IntentLogOverflow(`intent log: more than ${INTENT_CAPACITY} entries in one step`);
  const e = b + IntentWord.ENTRIES + 2 * len;
  i32[e] = target;
  i32[e + 1] = old;
  // Counted before the store it guards (see the file comment).
  i32[b + IntentWord.LEN] = len + 1;
}

/** `i32[index] = value`, undoable. */
export function intentSet(i32: Int32Array, index: number, value: number): void {
  append(i32, index, i32[index]!);
  i32[index] = value;
}

/** `i32[index] += delta`, undoable. Returns the new value. */
export function intentAdd(i32: Int32Array, index: number, delta: number): number {
  const old = i32[index]!;
  append(i32, index, old);
  return (i32[index] = old + delta);
}

/** Atomics.store(i32, index, value), undoable: for words lockless readers load. */
export function intentStore(i32: Int32Array, index: number, value: number): void {
  append(i32, index, i32[index]!);
  Atomics.store(i32, index, value);
}

/** `u8[byte] = value`, undoable. Bytes are logged alone: their word's other bytes may belong to others. */
export function intentSetByte(i32: Int32Array, u8: Uint8Array, byte: number, value: number): void {
  append(i32, -1 - byte, u8[byte]!);
  u8[byte] = value;
}

/**
 * Test hook for the kill torture's busted variant: with RCUKIT_FAULT_SKIP_RECOVERY=1 in the
 * reaping thread's environment, dead threads' logs are ignored (read at each recovery, which
 * is rare).
 */
function skipRecovery(): boolean {
  return typeof process !== 'undefined' && process.env['RCUKIT_FAULT_SKIP_RECOVERY'] === '1';
}

/**
 * Recover the log at `base` of a dead thread whose owner tag was `deadTag`: undo its
 * half-done step, then release the locks its frames name that it still holds. Returns how
 * many entries were undone. Precondition: the thread is dead and its slot still marks it
 * alive (so no other thread can take its locks meanwhile), and `i32` maps the whole heap.
 */
export function intentRecover(
  i32: Int32Array,
  u8: Uint8Array,
  base: number,
  deadTag: number,
  release: (lockIndex: number) => void,
): number {
  if (skipRecovery()) return 0;
  const len = Math.min(i32[base + IntentWord.LEN]!, INTENT_CAPACITY);
  for (let k = len - 1; k >= 0; k--) {
    const e = base + IntentWord.ENTRIES + 2 * k;
    const target = i32[e]!;
    const old = i32[e + 1]!;
    // Atomic stores: lockless readers (hash chains, page-map words) may load these words.
    if (target >= SEQ_TARGET) Atomics.store(i32, target - SEQ_TARGET, (old + 4) & ~1);
    else if (target >= 0) Atomics.store(i32, target, old);
    else Atomics.store(u8, -1 - target, old);
  }
  i32[base + IntentWord.LEN] = 0;
  for (let depth = Math.min(i32[base + IntentWord.DEPTH]!, INTENT_MAX_FRAMES) - 1; depth >= 0; depth--) {
    const lockIndex = i32[base + IntentWord.FRAMES + 2 * depth]!;
    if (lockWordOwner(i32, lockIndex) === deadTag) release(lockIndex);
  }
  i32[base + IntentWord.DEPTH] = 0;
  return len;
}
