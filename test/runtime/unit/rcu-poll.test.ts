/**
 * @fileoverview Polled grace periods: cookies, startPollSynchronizeRcu() kicking a grace
 * period, and correctness across the 32-bit wrap of the counter.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  createHeap,
  getStateSynchronizeRcu,
  pollStateSynchronizeRcu,
  rcuReadLock,
  rcuReadUnlock,
  startPollSynchronizeRcu,
  synchronizeRcu,
  synchronizeRcuAsync,
  type Heap,
} from '@rcukit/runtime';
import { controlBlock, signal, startActor, until } from '../actors.js';

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
}

describe('polled grace periods', () => {
  it('a cookie is done only after a grace period that started after it', () => {
    heap = createHeap();
    const a = getStateSynchronizeRcu();
    expect(pollStateSynchronizeRcu(a)).toBe(false);
    expect(getStateSynchronizeRcu()).toBe(a); // getState starts nothing
    synchronizeRcu();
    expect(pollStateSynchronizeRcu(a)).toBe(true);
    const b = getStateSynchronizeRcu();
    expect(b).not.toBe(a);
    expect(pollStateSynchronizeRcu(b)).toBe(false);
  });

  it('startPollSynchronizeRcu() starts a grace period by itself, even from inside a reader', async () => {
    heap = createHeap();
    rcuReadLock();
    const cookie = startPollSynchronizeRcu();
    await settle();
    // The kicked grace period waits for this thread's own section.
    expect(pollStateSynchronizeRcu(cookie)).toBe(false);
    rcuReadUnlock();
    // Nobody else runs a grace period: only the kicked one can complete the cookie.
    for (let i = 0; i < 10_000 && !pollStateSynchronizeRcu(cookie); i++) await new Promise((r) => setTimeout(r, 2));
    expect(pollStateSynchronizeRcu(cookie)).toBe(true);
  });

  it('a cookie taken while another worker reads stays pending until that reader leaves', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'reader', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'unlock' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const cookie = startPollSynchronizeRcu();
    await settle();
    expect(pollStateSynchronizeRcu(cookie)).toBe(false);
    // Another worker polls the same cookie: cookies are meaningful in every thread.
    ctl[5] = cookie;
    const poller = startActor(heap, ctlByte, 'poller', [
      { op: 'poll', at: 6, from: 5 },
      { op: 'set', at: 7, value: 1 },
    ]);
    await poller.done;
    expect(Atomics.load(ctl, 6)).toBe(0);
    signal(ctl, 1, 1);
    await reader.done;
    await synchronizeRcuAsync();
    expect(pollStateSynchronizeRcu(cookie)).toBe(true);
  });

  it('stays correct across the 32-bit wrap of the counter', () => {
    // Start a few grace periods below 2^31 - 1: the counter wraps to negative values soon.
    heap = createHeap({ initialGpCounter: 0x7fffffff - 40 });
    const cookies: number[] = [];
    let crossed = false;
    for (let i = 0; i < 100; i++) {
      const c = getStateSynchronizeRcu();
      expect(pollStateSynchronizeRcu(c)).toBe(false);
      if (c < 0) crossed = true;
      cookies.push(c);
      synchronizeRcu();
      expect(pollStateSynchronizeRcu(c)).toBe(true);
      // Every older cookie, from before and after the wrap, is still done.
      for (const old of cookies) expect(pollStateSynchronizeRcu(old)).toBe(true);
      // And a fresh one is not.
      expect(pollStateSynchronizeRcu(getStateSynchronizeRcu())).toBe(false);
    }
    expect(crossed).toBe(true);
    expect(cookies.some((c) => c > 0)).toBe(true);
  });

  it('rejects values that cannot be cookies', () => {
    heap = createHeap();
    expect(() => pollStateSynchronizeRcu(2)).toThrow(RangeError);
    expect(() => pollStateSynchronizeRcu(1.5)).toThrow(RangeError);
    expect(() => pollStateSynchronizeRcu(2 ** 40 + 1)).toThrow(RangeError);
    expect(() => pollStateSynchronizeRcu('7' as unknown as number)).toThrow(RangeError);
  });
});
