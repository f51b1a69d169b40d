/**
 * @fileoverview Faults: a worker terminated inside a read-side section, or while it runs a
 * grace period (holding the GP lock), must not wedge the heap; a stalled reader is reported
 * by name through the heap's 'stall' event.
 */

import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callRcu,
  createHeap,
  getStateSynchronizeRcu,
  pollStateSynchronizeRcu,
  rcuBarrierAsync,
  synchronizeRcu,
  synchronizeRcuAsync,
  type Heap,
  type RcuStall,
} from '@rcukit/runtime';
import { controlBlock, signal, startActor, until } from '../actors.js';

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 3));
}

describe('dead workers', () => {
  it('terminating a worker inside a read-side section lets grace periods complete', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'doomed-reader', [
      { op: 'lock' },
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'hang' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const cookie = getStateSynchronizeRcu();
    let ran = false;
    callRcu(() => {
      ran = true;
    });
    const gp = synchronizeRcuAsync();
    await turns(10);
    expect(pollStateSynchronizeRcu(cookie)).toBe(false);
    expect(ran).toBe(false);
    await reader.worker.terminate();
    await gp;
    await rcuBarrierAsync();
    expect(ran).toBe(true);
    // And the heap keeps working: blocking grace periods, with no reader left behind.
    synchronizeRcu();
    expect(heap.threads().map((t) => t.name)).not.toContain('doomed-reader');
  });

  it('a worker that dies while running a grace period does not wedge the GP lock', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'slow-reader', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'unlock' },
      { op: 'set', at: 2, value: 1 },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const cookie = getStateSynchronizeRcu();
    const writer = startActor(heap, ctlByte, 'doomed-writer', [{ op: 'sync' }]);
    // The writer has flipped the counter once GP_CTR moved past the cookie we took: it holds
    // the GP lock and sleeps on the reader.
    while (getStateSynchronizeRcu() === cookie) await new Promise((r) => setTimeout(r, 1));
    await writer.worker.terminate();
    // Now the reader leaves; a new grace period must take the dead writer's lock over.
    signal(ctl, 1, 1);
    await reader.done;
    await synchronizeRcuAsync();
    expect(pollStateSynchronizeRcu(cookie)).toBe(true);
    synchronizeRcu();
  });
});

describe('a parent blocked in synchronizeRcu() while its worker dies', () => {
  it('is not wedged by a reader that ends its thread inside its section (it reaps itself)', async () => {
    heap = createHeap({ stallTimeoutMs: 10_000 });
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'dies-inside', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'exit' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    // A stall report would mean the reader was not reaped: fail instead of hanging for ever.
    heap.on('stall', (stall) => {
      throw new Error(`grace period stalled on ${stall.reader.name} (exited: ${stall.readerExited})`);
    });
    signal(ctl, 1, 1);
    // No await between the signal and here: the 'exit' listener cannot run before this blocks.
    synchronizeRcu();
    expect(heap.threads().map((t) => t.name)).not.toContain('dies-inside');
    await reader.exited;
  });

  it('says in the stall report that a terminated, unwatched reader has exited', async () => {
    heap = createHeap({ stallTimeoutMs: 30 });
    const { ctl, ctlByte } = controlBlock(heap);
    const steps = [{ op: 'lock' }, { op: 'set', at: 0, value: 1 }, { op: 'hang' }];
    const data = { heap: heap.share(), name: 'unwatched', ctlByte, ctlWords: 64, steps };
    const worker = new Worker(new URL('../../dist/workers/rcu-actor.js', import.meta.url), { workerData: data });
    const threadId = worker.threadId;
    await until(ctl, 0, (v) => v === 1);
    // terminate() runs no JavaScript in the worker: it cannot reap itself, and nobody watches it.
    await worker.terminate();
    const stalls: RcuStall[] = [];
    heap.on('stall', (stall) => {
      stalls.push(stall);
      heap!.reapThread(threadId);
    });
    synchronizeRcu();
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    expect(stalls[0]!.reader.name).toBe('unwatched');
    expect(stalls[0]!.readerExited).toBe(true);
  });
});

describe('stall reports', () => {
  it('a blocking grace period reports the reader holding it up, by name and threadId', async () => {
    heap = createHeap({ stallTimeoutMs: 30 });
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'stuck-reader', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'unlock' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const stalls: RcuStall[] = [];
    heap.on('stall', (stall) => {
      stalls.push(stall);
      // The listener runs in this (blocked) thread, inside synchronizeRcu(): releasing the
      // reader from here is the only way the grace period can end.
      signal(ctl, 1, 1);
    });
    synchronizeRcu();
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    expect(stalls[0]!.reader.name).toBe('stuck-reader');
    expect(stalls[0]!.reader.threadId).toBe(reader.worker.threadId);
    expect(stalls[0]!.reader.rcuActive).toBe(true);
    expect(stalls[0]!.waitedMs).toBeGreaterThanOrEqual(30);
    expect(stalls[0]!.readerExited).toBe(false);
    await reader.done;
  });

  it('an asynchronous grace period reports stalls too, repeatedly while the stall lasts', async () => {
    heap = createHeap({ stallTimeoutMs: 20 });
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'stuck-async', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'unlock' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const stalls: RcuStall[] = [];
    heap.on('stall', (stall) => {
      stalls.push(stall);
      if (stalls.length === 2) signal(ctl, 1, 1);
    });
    await synchronizeRcuAsync();
    // Two or more: the reader may take a while to leave once released, on a loaded machine.
    expect(stalls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(stalls.map((s) => s.reader.name))).toEqual(new Set(['stuck-async']));
    expect(stalls[1]!.waitedMs).toBeGreaterThan(stalls[0]!.waitedMs);
    await reader.done;
  });
});
