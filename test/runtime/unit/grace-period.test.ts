/**
 * @fileoverview Grace periods across real workers: they wait for readers in other threads
 * (sync and async), the async form leaves the event loop free, and concurrent callers share
 * grace periods (batching).
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  createHeap,
  getStateSynchronizeRcu,
  pollStateSynchronizeRcu,
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

// Control words used below.
const ENTERED = 0;
const RELEASE = 1;
const LEAVING = 2;
const GP_DONE = 3;
const SEEN_LEAVING = 4;

/** A reader that enters, says so, waits to be released, marks LEAVING, then leaves. */
const heldReader = [
  { op: 'lock' },
  { op: 'lock' },
  { op: 'unlock' },
  { op: 'set', at: ENTERED, value: 1 },
  { op: 'waitFor', at: RELEASE, value: 1 },
  { op: 'set', at: LEAVING, value: 1 },
  { op: 'unlock' },
] as const;

describe('synchronizeRcu across workers', () => {
  it('a blocking grace period in one worker waits for a reader in another', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'reader', [...heldReader]);
    await until(ctl, ENTERED, (v) => v === 1);
    // The writer runs a grace period, then records whether the reader had begun to leave.
    const writer = startActor(heap, ctlByte, 'writer', [
      { op: 'sync' },
      { op: 'copy', at: SEEN_LEAVING, from: LEAVING },
      { op: 'set', at: GP_DONE, value: 1 },
    ]);
    // The grace period cannot end while the reader is inside; give it every chance to be
    // wrong (many event-loop turns), then check it has not ended.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    expect(Atomics.load(ctl, GP_DONE)).toBe(0);
    signal(ctl, RELEASE, 1);
    await writer.done;
    await reader.done;
    expect(Atomics.load(ctl, SEEN_LEAVING)).toBe(1);
  });

  it('synchronizeRcuAsync() waits for the reader and leaves the event loop free meanwhile', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'reader', [...heldReader]);
    await until(ctl, ENTERED, (v) => v === 1);
    let completed = false;
    let leavingAtCompletion = -1;
    const gp = synchronizeRcuAsync().then(() => {
      completed = true;
      leavingAtCompletion = Atomics.load(ctl, LEAVING);
    });
    // Timers fire while the grace period waits: the event loop is not blocked.
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (++ticks === 10) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    expect(ticks).toBe(10);
    expect(completed).toBe(false);
    signal(ctl, RELEASE, 1);
    await gp;
    expect(leavingAtCompletion).toBe(1);
    await reader.done;
  });

  it('does not wait for readers that entered after it started', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    // A reader that enters *after* the grace period flipped must not hold it up: here the
    // reader enters only once the GP is known to have started and is itself waiting on an
    // older reader; the GP must still complete while the new reader stays inside.
    const old = startActor(heap, ctlByte, 'old-reader', [...heldReader]);
    await until(ctl, ENTERED, (v) => v === 1);
    const cookie = getStateSynchronizeRcu();
    const gp = synchronizeRcuAsync();
    // GP_CTR has moved to the cookie once the flip happened.
    while (getStateSynchronizeRcu() === cookie) await new Promise((r) => setTimeout(r, 1));
    const young = startActor(heap, ctlByte, 'young-reader', [
      { op: 'lock' },
      { op: 'set', at: 10, value: 1 },
      { op: 'waitFor', at: 11, value: 1 },
      { op: 'unlock' },
    ]);
    await until(ctl, 10, (v) => v === 1);
    signal(ctl, RELEASE, 1);
    await gp; // completes although the young reader is still inside
    expect(pollStateSynchronizeRcu(cookie)).toBe(true);
    expect(Atomics.load(ctl, 11)).toBe(0);
    signal(ctl, 11, 1);
    await young.done;
    await old.done;
  });
});

describe('grace periods of one thread', () => {
  it("synchronizeRcu() while this thread's own async grace period holds the GP lock does not deadlock", async () => {
    heap = createHeap({ stallTimeoutMs: 20 });
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'reader', [...heldReader]);
    await until(ctl, ENTERED, (v) => v === 1);
    const first = getStateSynchronizeRcu();
    let asyncDone = false;
    const gp = synchronizeRcuAsync().then(() => {
      asyncDone = true;
    });
    // Wait until the async grace period has flipped: it now holds the GP lock and waits.
    while (getStateSynchronizeRcu() === first) await new Promise((r) => setTimeout(r, 1));
    const second = getStateSynchronizeRcu();
    // The blocking grace period must not wait for the lock its own thread holds. It waits
    // for the reader instead; the reader is released from its stall report, which runs in
    // this (blocked) thread: the only way out, so a deadlock would hang the test.
    heap.on('stall', () => signal(ctl, RELEASE, 1));
    synchronizeRcu();
    expect(Atomics.load(ctl, LEAVING)).toBe(1);
    expect(pollStateSynchronizeRcu(first)).toBe(true);
    expect(pollStateSynchronizeRcu(second)).toBe(true);
    await gp;
    expect(asyncDone).toBe(true);
    // GP_COMPLETED never went backwards when the older async grace period finished last.
    expect(pollStateSynchronizeRcu(second)).toBe(true);
    await reader.done;
    // The GP lock was handed back: another thread can run a grace period.
    const other = startActor(heap, ctlByte, 'other', [{ op: 'sync' }]);
    await other.done;
  });
});

describe('batching', () => {
  it('concurrent callers in many workers share grace periods', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    // One reader holds everything up while the callers pile in; then all of them need
    // about two grace periods (the one in progress, and one more), not one each.
    const reader = startActor(heap, ctlByte, 'reader', [...heldReader]);
    await until(ctl, ENTERED, (v) => v === 1);
    const CALLERS = 6;
    const before = getStateSynchronizeRcu();
    const callers = [];
    for (let i = 0; i < CALLERS; i++) {
      callers.push(
        startActor(heap, ctlByte, `caller-${i}`, [
          { op: 'add', at: 20, value: 1 },
          { op: 'sync' },
          { op: 'add', at: 21, value: 1 },
        ]),
      );
    }
    const asyncCallers = Array.from({ length: 20 }, () => synchronizeRcuAsync());
    await until(ctl, 20, (v) => v === CALLERS);
    // Every caller is now at most about to block; let them reach the wait.
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
    expect(Atomics.load(ctl, 21)).toBe(0);
    signal(ctl, RELEASE, 1);
    await Promise.all(callers.map((c) => c.done));
    await Promise.all(asyncCallers);
    await reader.done;
    const gps = ((getStateSynchronizeRcu() - before) | 0) / 4;
    // 26 callers. Without batching that is 26 grace periods; with it, the ones that arrived
    // during the stalled grace period share the next. A slow worker start may add a few.
    expect(gps).toBeGreaterThanOrEqual(1);
    expect(gps).toBeLessThan(CALLERS + 20);
    expect(gps).toBeLessThanOrEqual(8);
  });

  it('a blocking caller in the main thread returns once any grace period that began after it completes', () => {
    heap = createHeap();
    const before = getStateSynchronizeRcu();
    for (let i = 0; i < 100; i++) synchronizeRcu();
    // Alone, each call runs exactly one grace period of its own.
    expect(((getStateSynchronizeRcu() - before) | 0) / 4).toBe(100);
    expect(pollStateSynchronizeRcu(before)).toBe(true);
  });
});
