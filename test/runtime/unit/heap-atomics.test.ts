/**
 * @fileoverview The heap's WebAssembly atomics (runtime/src/heap/atomics.wat): the committed
 * module is what the .wat assembles to, and each operation keeps its Atomics counterpart's
 * contract at the edges (zero, negative and saturated counts), changing nothing when it refuses.
 */

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { REFCOUNT_MAX, createHeap, type Heap } from '@rcukit/runtime';
import { assembleHeapAtomics } from '../../../runtime/scripts/build-heap-atomics.mjs';

let heap: Heap | undefined;
afterEach(() => {
  heap?.detach();
  heap = undefined;
});

/** A fresh heap and the word index of a zeroed word in it. */
function word(): { heap: Heap; index: number } {
  heap = createHeap();
  return { heap, index: heap.root('atomics-test', 64, 64) >> 2 };
}

describe('heap-atomics module', () => {
  it('is what heap/atomics.wat assembles to (run npm run build:wasm after editing the .wat)', async () => {
    const committed = readFileSync(new URL('../../../runtime/src/heap/atomics-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await assembleHeapAtomics());
  });
});

describe('heap atomics', () => {
  it('load, store, cas and xchg act on the word JavaScript sees', () => {
    const { heap, index } = word();
    const i32 = heap.views.i32;
    heap.atomics.store(index, 41);
    expect(i32[index]).toBe(41);
    expect(heap.atomics.cas(index, 40, 7)).toBe(41); // mismatch: nothing changes
    expect(heap.atomics.load(index)).toBe(41);
    expect(heap.atomics.cas(index, 41, -3)).toBe(41);
    expect(i32[index]).toBe(-3);
    expect(heap.atomics.xchg(index, 0)).toBe(-3);
    expect(i32[index]).toBe(0);
  });

  it('incNotZero refuses 0, a negative count and a saturated one, changing nothing', () => {
    const { heap, index } = word();
    const i32 = heap.views.i32;
    for (const v of [0, -5, REFCOUNT_MAX]) {
      i32[index] = v;
      expect(heap.atomics.incNotZero(index, REFCOUNT_MAX)).toBe(v);
      expect(i32[index]).toBe(v);
    }
    i32[index] = 2;
    expect(heap.atomics.incNotZero(index, REFCOUNT_MAX)).toBe(2);
    expect(i32[index]).toBe(3);
  });

  it('decAndTest refuses a count of 0 or less, changing nothing, and reports the last drop', () => {
    const { heap, index } = word();
    const i32 = heap.views.i32;
    for (const v of [0, -1]) {
      i32[index] = v;
      expect(heap.atomics.decAndTest(index)).toBe(v);
      expect(i32[index]).toBe(v);
    }
    i32[index] = 2;
    expect(heap.atomics.decAndTest(index)).toBe(2);
    expect(heap.atomics.decAndTest(index)).toBe(1);
    expect(i32[index]).toBe(0);
  });

  it('rcuEnter copies the grace-period word and rcuExit clears the reader word', () => {
    const { heap, index } = word();
    const i32 = heap.views.i32;
    i32[index + 1] = 0x1235; // a counter value, 1 modulo 4
    heap.atomics.rcuEnter(index, index + 1);
    expect(i32[index]).toBe(0x1235);
    Atomics.or(i32, index, 2); // WAIT_BIT, as a waiting grace period sets it: rcuExit notifies (nobody waits here)
    heap.atomics.rcuExit(index);
    expect(i32[index]).toBe(0);
  });

  it("rcuExit's notify wakes a thread sleeping in JavaScript's Atomics.wait on the reader word", async () => {
    // A waiting grace period sleeps with Atomics.wait; the reader's unlock notifies from
    // WebAssembly. Only a notify ends this wait with 'ok'; a lost wake-up would be 'timed-out'.
    const { heap, index } = word();
    const i32 = heap.views.i32;
    const sleeper = `
      const { workerData, parentPort } = require('node:worker_threads');
      const i32 = new Int32Array(workerData.memory.buffer);
      Atomics.store(i32, workerData.index + 1, 1);
      parentPort.postMessage(Atomics.wait(i32, workerData.index, workerData.value, 30000));
    `;
    const results: string[] = [];
    // A try in which the sleeper was not yet asleep when the notify came ends 'not-equal':
    // inconclusive, so try again (a loaded machine can delay a thread that long).
    for (let attempt = 0; attempt < 5 && !results.includes('ok'); attempt++) {
      const waited = 0x1235 | 2; // a counter copy carrying WAIT_BIT
      i32[index] = waited;
      i32[index + 1] = 0;
      const worker = new Worker(sleeper, { eval: true, workerData: { memory: heap.memory, index, value: waited } });
      const answer = once(worker, 'message');
      // Listened for now: the worker's 'exit' can come in the same task as its message.
      const exited = once(worker, 'exit');
      while (Atomics.load(i32, index + 1) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      heap.atomics.rcuExit(index);
      results.push(String((await answer)[0]));
      await exited;
    }
    expect(results).not.toContain('timed-out');
    expect(results).toContain('ok');
    expect(i32[index]).toBe(0);
  }, 60_000);
});
