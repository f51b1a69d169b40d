/**
 * @fileoverview The read side in one thread: nesting, the `using` form, rcuReadLockHeld(),
 * misuse (unbalanced unlock, synchronizeRcu() inside a reader), and attaching garbage.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  HeapLayoutVersionError,
  NotAHeapError,
  RcuDeadlockError,
  RcuUnbalancedError,
  HeapAttachmentError,
  attachHeap,
  createHeap,
  rcuReadLock,
  rcuReadLockHeld,
  rcuReadUnlock,
  synchronizeRcu,
  synchronizeRcuAsync,
  rcuBarrier,
  type Heap,
} from '@rcukit/runtime';
// WebAssembly, typed: TypeScript declares it only with the DOM library.
import { wasm } from '../../../runtime/src/heap/wasm-api.ts';

let heap: Heap | null = null;
afterEach(() => {
  while (rcuReadLockHeld()) rcuReadUnlock();
  heap?.detach();
  heap = null;
});

/** The calling thread's reader counter, straight from its registry slot. */
function myCounter(h: Heap): number {
  const me = h.threads().find((t) => t.name === 'read-test');
  if (me === undefined) throw new Error('own slot not found');
  return me.rcuActive ? 1 : 0;
}

describe('rcuReadLock / rcuReadUnlock', () => {
  it('nests, and only the outermost pair is visible in shared memory', () => {
    heap = createHeap({ threadName: 'read-test' });
    expect(rcuReadLockHeld()).toBe(false);
    expect(myCounter(heap)).toBe(0);
    rcuReadLock();
    expect(myCounter(heap)).toBe(1);
    rcuReadLock();
    rcuReadLock();
    rcuReadUnlock();
    rcuReadUnlock();
    expect(rcuReadLockHeld()).toBe(true);
    expect(myCounter(heap)).toBe(1);
    rcuReadUnlock();
    expect(rcuReadLockHeld()).toBe(false);
    expect(myCounter(heap)).toBe(0);
  });

  it('works with `using`, including early exit by throw', () => {
    heap = createHeap({ threadName: 'read-test' });
    {
      using _outer = rcuReadLock();
      {
        using _inner = rcuReadLock();
        expect(rcuReadLockHeld()).toBe(true);
      }
      expect(rcuReadLockHeld()).toBe(true);
    }
    expect(rcuReadLockHeld()).toBe(false);
    const fails = (): void => {
      using _ = rcuReadLock();
      throw new Error('boom');
    };
    expect(fails).toThrow('boom');
    expect(rcuReadLockHeld()).toBe(false);
    expect(myCounter(heap)).toBe(0);
  });

  it('returns the same guard for every section at the same depth (no allocation per section)', () => {
    heap = createHeap();
    const a = rcuReadLock();
    const inner = rcuReadLock();
    // A nested section's guard is its depth's own, so that disposing it twice is caught.
    expect(inner).not.toBe(a);
    inner[Symbol.dispose]();
    a[Symbol.dispose]();
    const b = rcuReadLock();
    expect(b).toBe(a);
    expect(rcuReadLock()).toBe(inner);
    rcuReadUnlock();
    b[Symbol.dispose]();
    expect(rcuReadLockHeld()).toBe(false);
  });

  it('throws RcuUnbalancedError on an unlock without a lock, leaving state unchanged', () => {
    heap = createHeap({ threadName: 'read-test' });
    expect(() => rcuReadUnlock()).toThrow(RcuUnbalancedError);
    expect(rcuReadLockHeld()).toBe(false);
    rcuReadLock();
    rcuReadUnlock();
    expect(() => rcuReadUnlock()).toThrow(RcuUnbalancedError);
    // Still usable, and balanced from here.
    rcuReadLock();
    expect(myCounter(heap)).toBe(1);
    rcuReadUnlock();
    expect(myCounter(heap)).toBe(0);
  });

  it('throws HeapAttachmentError when the thread is not attached', () => {
    expect(() => rcuReadLock()).toThrow(HeapAttachmentError);
    expect(() => synchronizeRcu()).toThrow(HeapAttachmentError);
    expect(rcuReadLockHeld()).toBe(false);
  });
});

describe('waiting for a grace period inside a read-side section', () => {
  it('synchronizeRcu() throws RcuDeadlockError instead of deadlocking', () => {
    heap = createHeap();
    rcuReadLock();
    rcuReadLock();
    expect(() => synchronizeRcu()).toThrow(RcuDeadlockError);
    expect(() => rcuBarrier()).toThrow(RcuDeadlockError);
    rcuReadUnlock();
    expect(() => synchronizeRcu()).toThrow(RcuDeadlockError);
    rcuReadUnlock();
    synchronizeRcu();
  });

  it('synchronizeRcuAsync() rejects with RcuDeadlockError', async () => {
    heap = createHeap();
    rcuReadLock();
    await expect(synchronizeRcuAsync()).rejects.toBeInstanceOf(RcuDeadlockError);
    rcuReadUnlock();
    await synchronizeRcuAsync();
  });
});

describe('attachHeap() of something that is not a heap', () => {
  it('throws NotAHeapError for non-buffers, small buffers and buffers without the magic', () => {
    expect(() => attachHeap(42)).toThrow(NotAHeapError);
    expect(() => attachHeap(new ArrayBuffer(8192))).toThrow(NotAHeapError);
    expect(() => attachHeap(new SharedArrayBuffer(16))).toThrow(NotAHeapError);
    expect(() => attachHeap(new SharedArrayBuffer(8192))).toThrow(NotAHeapError);
    expect(() => attachHeap({ kind: 'rcukit-heap', buffer: new Uint8Array(8) })).toThrow(NotAHeapError);
  });

  it('throws HeapLayoutVersionError for a heap of another layout version', () => {
    const real = createHeap();
    const pages = real.buffer.byteLength / 65536;
    const copy = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    new Uint8Array(copy.buffer).set(new Uint8Array(real.buffer));
    real.detach();
    const words = new Int32Array(copy.buffer);
    words[1] = words[1]! + 1; // Header.LAYOUT_VERSION
    expect(() => attachHeap(copy)).toThrow(HeapLayoutVersionError);
    words[1] = words[1] - 1;
    heap = attachHeap(copy);
    // A failed attach left nothing behind: the thread could attach afterwards.
    rcuReadLock();
    rcuReadUnlock();
  });
});
