/**
 * Heap: creation options, attach validation, the root directory and buffer growth, across
 * real workers.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HeapAttachmentError,
  HeapLayoutVersionError,
  InvalidArgumentError,
  InvalidHeapOptionsError,
  NotAHeapError,
  OutOfMemoryError,
  RootMismatchError,
  TooManyThreadsError,
  attachHeap,
  createHeap,
  type Heap,
} from '@rcukit/runtime';
// WebAssembly, typed: TypeScript declares it only with the DOM library.
import { wasm, type WasmMemory } from '../../../runtime/src/heap/wasm-api.ts';

const workerUrl = new URL('../../dist/workers/heap-attach-worker.js', import.meta.url);

let heap: Heap | undefined;
afterEach(() => {
  heap?.detach();
  heap = undefined;
});

async function runWorker(workerData: Record<string, unknown>): Promise<unknown> {
  const worker = new Worker(workerUrl, { workerData });
  // Listen for both at once: when the worker has already finished, Node delivers its last
  // message and emits 'exit' in the same tick, so a listener added after the message is too late.
  const exited = once(worker, 'exit');
  const [message] = (await once(worker, 'message')) as [unknown];
  await exited;
  return message;
}

describe('createHeap', () => {
  it('registers the creating thread under its name', () => {
    heap = createHeap({ threadName: 'creator' });
    expect(heap.threads().map((t) => t.name)).toEqual(['creator']);
  });

  it.each([
    [{ maxThreads: 0 }, /maxThreads/],
    [{ maxThreads: 256 }, /maxThreads/],
    [{ initialBytes: 1.5 }, /initialBytes/],
    [{ initialGpCounter: 2 }, /initialGpCounter/],
    [{ maxBytes: 1 << 20, initialBytes: 4 << 20 }, /maxBytes/],
  ])('rejects bad options %o with InvalidHeapOptionsError', (options, message) => {
    expect(() => createHeap(options)).toThrow(InvalidHeapOptionsError);
    expect(() => createHeap(options)).toThrow(message);
  });

  it('refuses a second attachment in the same thread, and allows one after detach()', () => {
    heap = createHeap();
    expect(() => createHeap()).toThrow(HeapAttachmentError);
    heap.detach();
    heap = createHeap();
    expect(heap.threads()).toHaveLength(1);
  });

  it('says which thread a full registry turned away', async () => {
    heap = createHeap({ maxThreads: 1 });
    const worker = new Worker(workerUrl, { workerData: { heap: heap.share(), name: 'extra', command: 'threads' } });
    const [error] = (await once(worker, 'error')) as [Error];
    expect(error.name).toBe('TooManyThreadsError');
    expect(error.message).toMatch(/"extra".*all 1 registry slots/);
    expect(TooManyThreadsError.name).toBe('TooManyThreadsError');
  });
});

describe('attachHeap', () => {
  it.each([
    ['null', null],
    ['a plain object', { buffer: 1 }],
    ['a non-shared ArrayBuffer', new ArrayBuffer(8192)],
    ['a small SharedArrayBuffer', new SharedArrayBuffer(16)],
    ['a zeroed SharedArrayBuffer', new SharedArrayBuffer(8192)],
  ])('rejects %s with NotAHeapError', (_, value) => {
    expect(() => attachHeap(value)).toThrow(NotAHeapError);
  });

  it.each([
    ['a non-shared WebAssembly.Memory', () => new wasm.Memory({ initial: 1, maximum: 2, shared: false })],
    ['a zeroed shared WebAssembly.Memory', () => new wasm.Memory({ initial: 1, maximum: 2, shared: true })],
  ])('rejects %s with NotAHeapError', (_, make) => {
    expect(() => attachHeap(make())).toThrow(NotAHeapError);
  });

  it("says that a heap's SharedArrayBuffer alone cannot be attached", () => {
    const donor = createHeap();
    const buffer = donor.buffer;
    donor.detach();
    expect(() => attachHeap(buffer)).toThrow(/SharedArrayBuffer of \d+ bytes: a heap is a shared WebAssembly.Memory/);
  });

  it('rejects a heap of another layout version without touching it', () => {
    const donor = createHeap();
    const copy = copyOfHeapMemory(donor);
    donor.detach();
    new Int32Array(copy.buffer)[1] = 999; // Header.LAYOUT_VERSION
    const before = new Uint8Array(copy.buffer).slice();
    expect(() => attachHeap(copy)).toThrow(HeapLayoutVersionError);
    expect(Buffer.compare(new Uint8Array(copy.buffer), before)).toBe(0);
  });

  it('lets a worker attach by heap.share() and see every attached thread', async () => {
    heap = createHeap({ threadName: 'creator' });
    const names = await runWorker({ heap: heap.share(), name: 'reader-1', command: 'threads' });
    expect(names).toEqual(['creator', 'reader-1']);
    // The worker detached on its way out: its slot is free again.
    expect(heap.threads().map((t) => t.name)).toEqual(['creator']);
  });
});

describe('roots', () => {
  it('are found by name from another worker, zero-filled and aligned', async () => {
    heap = createHeap();
    const at = heap.root('published', 64, 64);
    expect(at % 64).toBe(0);
    expect(heap.views.i32[at >> 2]).toBe(0);
    const seen = await runWorker({ heap: heap.share(), name: 'w', command: 'root', rootName: 'published', bytes: 64 });
    expect(seen).toBe(at);
    expect(heap.views.i32[at >> 2]).toBe(0x5eed);
  });

  it('refuse a size mismatch, bad names, and an exhausted static area', () => {
    heap = createHeap({ staticBytes: 128 });
    heap.root('a', 64);
    expect(() => heap!.root('a', 32)).toThrow(RootMismatchError);
    expect(() => heap!.root('', 8)).toThrow(InvalidArgumentError);
    expect(() => heap!.root('x'.repeat(33), 8)).toThrow(InvalidArgumentError);
    expect(() => heap!.root('b', 65)).toThrow(OutOfMemoryError);
    // The failed request left the area usable.
    expect(heap.root('c', 64)).toBeGreaterThan(0);
  });
});

describe('growth', () => {
  it('is shared: a worker grows the buffer, the creator remaps and reads its write', async () => {
    heap = createHeap({ initialBytes: 1 << 20, maxBytes: 8 << 20 });
    const target = 2 << 20;
    const length = await runWorker({ heap: heap.share(), name: 'grower', command: 'grow-and-write', bytes: target });
    expect(length).toBe(target);
    expect(heap.byteLength).toBe(target);
    expect(heap.views.i32.length).toBe((1 << 20) >> 2); // still the old mapping
    heap.ensureMapped();
    expect(heap.views.i32[(target >> 2) - 1]).toBe(0x7e57);
  });

  it('stops at maxBytes with OutOfMemoryError and leaves the buffer as it was', () => {
    heap = createHeap({ initialBytes: 1 << 20, maxBytes: 2 << 20 });
    expect(() => heap!.grow(3 << 20)).toThrow(OutOfMemoryError);
    expect(heap.byteLength).toBe(1 << 20);
  });

  it("keeps to a maxBytes that is not a multiple of the memory's 64 KiB steps", () => {
    const max = (1 << 20) + 3 * 4096;
    heap = createHeap({ initialBytes: 1 << 20, maxBytes: max });
    expect(heap.maxByteLength).toBe(max);
    heap.grow(max);
    // The memory itself grew by a whole 64 KiB; the heap reports and uses only up to max.
    expect(heap.buffer.byteLength).toBe((1 << 20) + 65536);
    expect(heap.byteLength).toBe(max);
    expect(() => heap!.grow(max + 4096)).toThrow(OutOfMemoryError);
  });
});

/** A new shared memory holding the same bytes as `heap` (not attached by anyone). */
function copyOfHeapMemory(heap: Heap): WasmMemory {
  const pages = heap.buffer.byteLength / 65536;
  const copy = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  new Uint8Array(copy.buffer).set(new Uint8Array(heap.buffer));
  return copy;
}
