/**
 * @fileoverview Worker for the concurrent slab test: allocates and frees at random, hands
 * objects to other workers through shared slots, and checks exclusivity: every allocation
 * claims the object's owner word with compareExchange(0 -> id), which fails if another worker
 * still holds it (an object handed out twice).
 *
 * workerData: { shared, id, iterations, keep, seed, detach, park }. Posts one ChurnResult; with
 * `park` it then blocks forever (outside any lock) until the parent terminates it.
 */

import { parentPort, workerData } from 'node:worker_threads';
import {
  addressOf,
  attachHeap,
  defineStruct,
  fieldIndex,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  objectAt,
  type StructRef,
} from '@rcukit/runtime';

export const ChurnItem = defineStruct('churn-item', { owner: 'i32', seq: 'i32', pad: { array: 'u8', length: 200 } });
export const HANDOFF_ROOT = 'test:handoff';
export const HANDOFF_SLOTS = 16;

export interface ChurnResult {
  readonly id: number;
  readonly allocs: number;
  readonly frees: number;
  readonly handoffs: number;
  readonly received: number;
  readonly violations: string[];
  /** Addresses still allocated by this worker when it exits. */
  readonly kept: number[];
}

interface Data {
  shared: unknown;
  id: number;
  iterations: number;
  keep: number;
  seed: number;
  detach: boolean;
  park?: boolean;
}

function main(data: Data): ChurnResult {
  const heap = attachHeap(data.shared, { threadName: `churn-${data.id}` });
  const cache = kmemCacheCreate(heap, 'churn', ChurnItem);
  const handoff = heap.root(HANDOFF_ROOT, HANDOFF_SLOTS * 4, 4) >> 2;
  let x = data.seed | 1;
  const rand = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const held: StructRef<typeof ChurnItem>[] = [];
  const violations: string[] = [];
  let allocs = 0;
  let frees = 0;
  let handoffs = 0;
  let received = 0;
  for (let i = 0; i < data.iterations; i++) {
    const r = rand(100);
    if (held.length === 0 || (r < 55 && held.length < 300)) {
      const obj = kmemCacheAlloc(cache);
      allocs++;
      const prev = Atomics.compareExchange(heap.views.i32, fieldIndex(obj, 'owner'), 0, data.id);
      if (prev !== 0)
        violations.push(
          `object 0x${addressOf(obj).toString(16)} handed to worker ${data.id} while worker ${prev} holds it`,
        );
      obj.seq = i;
      held.push(obj);
    } else if (r < 65) {
      // Hand one over: whatever was in the slot becomes ours.
      const obj = held.splice(rand(held.length), 1)[0]!;
      const old = Atomics.exchange(heap.views.i32, handoff + rand(HANDOFF_SLOTS), addressOf(obj));
      handoffs++;
      if (old !== 0) {
        const got = objectAt(ChurnItem, heap, old);
        Atomics.store(heap.views.i32, fieldIndex(got, 'owner'), data.id);
        held.push(got);
        received++;
      }
    } else {
      const obj = held.splice(rand(held.length), 1)[0]!;
      // Release the claim before the free: the free publishes the object to the next allocator.
      Atomics.store(heap.views.i32, fieldIndex(obj, 'owner'), 0);
      kmemCacheFree(cache, obj);
      frees++;
    }
  }
  while (held.length > data.keep) {
    const obj = held.pop()!;
    Atomics.store(heap.views.i32, fieldIndex(obj, 'owner'), 0);
    kmemCacheFree(cache, obj);
    frees++;
  }
  const result = { id: data.id, allocs, frees, handoffs, received, violations, kept: held.map(addressOf) };
  // Either way the worker's array cache stays in shared memory; a detached or dead thread's
  // cache is reclaimed by others.
  if (data.detach) heap.detach();
  return result;
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'iterations' in workerData) {
  const data = workerData as Data;
  parentPort.postMessage(main(data));
  if (data.park === true) {
    // Wait to be terminated: a thread killed with its array cache full and objects allocated.
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(nap, 0, 0);
  }
}
