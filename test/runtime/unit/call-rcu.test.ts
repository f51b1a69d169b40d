/**
 * @fileoverview callRcu(): callbacks run in the queuing thread, in order, only after a grace
 * period, one grace period per batch; the backlog is bounded; rcuBarrier() / rcuBarrierAsync();
 * a throwing callback does not lose the others.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  RcuBacklogFullError,
  callRcu,
  callRcuBacklog,
  configureCallRcu,
  createHeap,
  getStateSynchronizeRcu,
  rcuBarrier,
  rcuBarrierAsync,
  rcuReadLock,
  rcuReadUnlock,
  type Heap,
} from '@rcukit/runtime';
import { controlBlock, signal, startActor, until } from '../actors.js';

let heap: Heap | null = null;
afterEach(() => {
  rcuBarrier();
  configureCallRcu({ backlogLimit: 10_000, whenFull: 'wait' });
  heap?.detach();
  heap = null;
});

describe('callRcu', () => {
  it('runs callbacks in order, in this thread, only after readers that predate them have left', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'reader', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'set', at: 2, value: 1 },
      { op: 'unlock' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const ran: number[] = [];
    const leftWhenRun: number[] = [];
    for (let i = 0; i < 5; i++) {
      callRcu(() => {
        ran.push(i);
        leftWhenRun.push(Atomics.load(ctl, 2));
      });
    }
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 3));
    expect(ran).toEqual([]);
    expect(callRcuBacklog()).toBe(5);
    signal(ctl, 1, 1);
    await rcuBarrierAsync();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(leftWhenRun).toEqual([1, 1, 1, 1, 1]);
    expect(callRcuBacklog()).toBe(0);
    await reader.done;
  });

  it('may be called inside a read-side section; the callback waits for that section', async () => {
    heap = createHeap();
    let ran = false;
    rcuReadLock();
    callRcu(() => {
      ran = true;
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 2));
    expect(ran).toBe(false);
    rcuReadUnlock();
    await rcuBarrierAsync();
    expect(ran).toBe(true);
  });

  it('uses one grace period per batch, not one per callback', async () => {
    heap = createHeap();
    const before = getStateSynchronizeRcu();
    let count = 0;
    for (let i = 0; i < 1000; i++) callRcu(() => count++);
    await rcuBarrierAsync();
    expect(count).toBe(1000);
    const gps = ((getStateSynchronizeRcu() - before) | 0) / 4;
    expect(gps).toBeGreaterThanOrEqual(1);
    expect(gps).toBeLessThanOrEqual(2);
  });

  it('callbacks queued by callbacks run after a later grace period', async () => {
    heap = createHeap();
    const order: string[] = [];
    callRcu(() => {
      order.push('outer');
      callRcu(() => order.push('inner'));
    });
    await rcuBarrierAsync();
    expect(order).toEqual(['outer']);
    await rcuBarrierAsync();
    expect(order).toEqual(['outer', 'inner']);
  });

  it("bounds the backlog: with whenFull 'throw' the caller is told, and nothing is queued", () => {
    heap = createHeap();
    configureCallRcu({ backlogLimit: 50, whenFull: 'throw' });
    let count = 0;
    for (let i = 0; i < 50; i++) callRcu(() => count++);
    expect(() => callRcu(() => count++)).toThrow(RcuBacklogFullError);
    expect(callRcuBacklog()).toBe(50);
    rcuBarrier();
    expect(count).toBe(50);
    expect(callRcuBacklog()).toBe(0);
    callRcu(() => count++);
    rcuBarrier();
    expect(count).toBe(51);
  });

  it("bounds the backlog: with whenFull 'wait' the caller is slowed and runs ready callbacks", () => {
    heap = createHeap();
    configureCallRcu({ backlogLimit: 100 });
    const ran: number[] = [];
    let maxBacklog = 0;
    for (let i = 0; i < 1000; i++) {
      callRcu(() => ran.push(i));
      maxBacklog = Math.max(maxBacklog, callRcuBacklog());
    }
    // All of this ran synchronously: callbacks could only have run inside callRcu() itself.
    expect(maxBacklog).toBeLessThanOrEqual(100);
    expect(ran.length).toBeGreaterThanOrEqual(900);
    rcuBarrier();
    expect(ran).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('inside a read-side section a full backlog throws even in wait mode (waiting would deadlock)', () => {
    heap = createHeap();
    configureCallRcu({ backlogLimit: 3 });
    for (let i = 0; i < 3; i++) callRcu(() => {});
    rcuReadLock();
    expect(() => callRcu(() => {})).toThrow(RcuBacklogFullError);
    rcuReadUnlock();
    expect(callRcuBacklog()).toBe(3);
  });

  it('rejects bad arguments with clear errors', () => {
    heap = createHeap();
    expect(() => callRcu(42 as unknown as () => void)).toThrow(InvalidArgumentError);
    expect(() => configureCallRcu({ backlogLimit: 0 })).toThrow(InvalidArgumentError);
    expect(() => configureCallRcu({ whenFull: 'drop' as 'wait' })).toThrow(InvalidArgumentError);
    expect(callRcuBacklog()).toBe(0);
  });
});

describe('callRcu in a worker', () => {
  it('rcuBarrier() waits for the queued callbacks; a throwing callback does not lose the others', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const worker = startActor(heap, ctlByte, 'caller', [
      { op: 'catchUncaught', at: 3 },
      { op: 'callRcu', at: 1 },
      { op: 'callRcuThrow' },
      { op: 'callRcu', at: 1 },
      { op: 'callRcu', at: 1 },
      { op: 'barrier' },
      { op: 'copy', at: 2, from: 1 },
    ]);
    await worker.done;
    // The error is re-thrown asynchronously after the batch; the worker exits once it has
    // been delivered (its handler keeps the worker alive through it).
    await worker.exited;
    expect(Atomics.load(ctl, 2)).toBe(3); // all three counted by the time rcuBarrier() returned
    expect(Atomics.load(ctl, 3)).toBe(1); // the failure was reported, once
    expect(Atomics.load(ctl, 4)).toBe(0); // as the callback's own error
  });

  it('detaching with callbacks still queued is reported, not silently leaked', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    // The actor queues a callback and detaches (at the end of its script) before any grace
    // period could run it.
    const worker = startActor(heap, ctlByte, 'leaver', [
      { op: 'catchUncaught', at: 3 },
      { op: 'callRcu', at: 1 },
    ]);
    await worker.done;
    await worker.exited;
    expect(Atomics.load(ctl, 1)).toBe(0);
    expect(Atomics.load(ctl, 3)).toBe(1);
    expect(Atomics.load(ctl, 4)).toBe(1); // and it said why: HeapAttachmentError
  });
});
