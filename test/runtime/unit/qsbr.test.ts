/**
 * @fileoverview The QSBR flavor: grace periods wait for online QSBR readers until their next
 * quiescent state, not for offline ones; read-side sections of a QSBR thread touch no shared
 * memory; a QSBR thread's own synchronizeRcu() goes offline around the wait; misuse throws.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  HeapAttachmentError,
  RcuUnbalancedError,
  createHeap,
  getStateSynchronizeRcu,
  pollStateSynchronizeRcu,
  rcuQuiescentState,
  rcuReadLock,
  rcuReadLockHeld,
  rcuReadUnlock,
  rcuRegisterThreadQsbr,
  rcuThreadOffline,
  rcuThreadOnline,
  rcuUnregisterThreadQsbr,
  synchronizeRcu,
  synchronizeRcuAsync,
  type Heap,
} from '@rcukit/runtime';
import { controlBlock, signal, startActor, until } from '../actors.js';

let heap: Heap | null = null;
afterEach(() => {
  // Leave any section a failed test left open, so that detach() succeeds. Bounded: a broken
  // rcuReadUnlock() that never throws must fail the test, not hang it.
  for (let i = 0; i < 100; i++) {
    try {
      rcuReadUnlock();
    } catch {
      break;
    }
  }
  heap?.detach();
  heap = null;
});

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 3));
}

describe('QSBR readers in other workers', () => {
  it('a grace period waits for an online QSBR reader until its next quiescent state', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'qsbr-reader', [
      { op: 'qsbrRegister' },
      { op: 'lock' },
      { op: 'unlock' }, // leaving a section is not a quiescent state in QSBR
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'set', at: 2, value: 1 },
      { op: 'quiescent' },
      { op: 'waitFor', at: 3, value: 1 },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const cookie = getStateSynchronizeRcu();
    let quiescedAtCompletion = -1;
    const gp = synchronizeRcuAsync().then(() => {
      quiescedAtCompletion = Atomics.load(ctl, 2);
    });
    await turns(10);
    expect(pollStateSynchronizeRcu(cookie)).toBe(false);
    signal(ctl, 1, 1);
    await gp;
    expect(quiescedAtCompletion).toBe(1);
    signal(ctl, 3, 1);
    await reader.done;
  });

  it('grace periods do not wait for an offline QSBR reader, and wait again once it is online', async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'qsbr-reader', [
      { op: 'qsbrRegister' },
      { op: 'offline' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'online' },
      { op: 'set', at: 2, value: 1 },
      { op: 'waitFor', at: 3, value: 1 },
      { op: 'set', at: 4, value: 1 },
      { op: 'offline' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    synchronizeRcu(); // the reader is offline (and blocked): this must not wait for it
    signal(ctl, 1, 1);
    await until(ctl, 2, (v) => v === 1);
    let offlineAtCompletion = -1;
    const gp = synchronizeRcuAsync().then(() => {
      offlineAtCompletion = Atomics.load(ctl, 4);
    });
    await turns(10);
    expect(offlineAtCompletion).toBe(-1);
    signal(ctl, 3, 1);
    await gp;
    expect(offlineAtCompletion).toBe(1);
    await reader.done;
  });

  it("a QSBR thread's own synchronizeRcu() does not wait for itself, and others still wait for it after", async () => {
    heap = createHeap();
    const { ctl, ctlByte } = controlBlock(heap);
    const writer = startActor(heap, ctlByte, 'qsbr-writer', [
      { op: 'qsbrRegister' },
      { op: 'sync' },
      { op: 'sync' },
      { op: 'set', at: 0, value: 1 },
      { op: 'waitFor', at: 1, value: 1 },
      { op: 'set', at: 2, value: 1 },
      { op: 'quiescent' },
      { op: 'offline' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    // Back online after its synchronizeRcu(): a grace period waits for it again.
    let done = false;
    const gp = synchronizeRcuAsync().then(() => {
      done = true;
    });
    await turns(10);
    expect(done).toBe(false);
    signal(ctl, 1, 1);
    await gp;
    expect(Atomics.load(ctl, 2)).toBe(1);
    await writer.done;
  });
});

describe('QSBR in this thread', () => {
  it('read-side sections touch no shared memory; online counts as protected', () => {
    heap = createHeap({ threadName: 'qsbr-main' });
    const active = (): boolean => heap!.threads().find((t) => t.name === 'qsbr-main')!.rcuActive;
    rcuRegisterThreadQsbr();
    expect(heap.threads().find((t) => t.name === 'qsbr-main')!.flavor).toBe('qsbr');
    expect(active()).toBe(true);
    expect(rcuReadLockHeld()).toBe(true);
    const snapshot = heap.i32.slice(0, 4096 >> 2);
    const registry = heap.i32.slice(4096 >> 2, (4096 >> 2) + 64 * 16);
    {
      using _ = rcuReadLock();
      rcuReadLock();
      rcuReadUnlock();
    }
    expect(heap.i32.slice(0, 4096 >> 2)).toEqual(snapshot);
    expect(heap.i32.slice(4096 >> 2, (4096 >> 2) + 64 * 16)).toEqual(registry);
    rcuThreadOffline();
    expect(active()).toBe(false);
    expect(rcuReadLockHeld()).toBe(false);
    synchronizeRcu(); // nothing to wait for
    rcuThreadOnline();
    rcuQuiescentState();
    rcuUnregisterThreadQsbr();
    expect(active()).toBe(false);
    expect(heap.threads().find((t) => t.name === 'qsbr-main')!.flavor).toBe('memb');
  });

  it("a QSBR thread's asynchronous grace period completes once the thread passes a quiescent state", async () => {
    heap = createHeap();
    rcuRegisterThreadQsbr();
    let done = false;
    const gp = synchronizeRcuAsync().then(() => {
      done = true;
    });
    await turns(5);
    expect(done).toBe(false); // online since before the flip: the grace period waits for us
    rcuQuiescentState();
    await gp;
    expect(done).toBe(true);
    rcuUnregisterThreadQsbr();
  });

  it('misuse throws RcuUnbalancedError and changes nothing (checked mode)', () => {
    heap = createHeap();
    expect(() => rcuQuiescentState()).toThrow(RcuUnbalancedError);
    expect(() => rcuThreadOffline()).toThrow(RcuUnbalancedError);
    rcuRegisterThreadQsbr({ checked: true });
    expect(() => rcuRegisterThreadQsbr()).toThrow(RcuUnbalancedError);
    expect(() => rcuThreadOnline()).toThrow(RcuUnbalancedError);
    rcuReadLock();
    expect(() => rcuQuiescentState()).toThrow(RcuUnbalancedError);
    expect(() => rcuThreadOffline()).toThrow(RcuUnbalancedError);
    rcuReadUnlock();
    rcuThreadOffline();
    expect(() => rcuThreadOffline()).toThrow(RcuUnbalancedError);
    expect(() => rcuQuiescentState()).toThrow(RcuUnbalancedError);
    expect(() => rcuReadLock()).toThrow(RcuUnbalancedError); // offline: would be unprotected
    rcuThreadOnline();
    expect(() => rcuReadUnlock()).toThrow(RcuUnbalancedError);
    rcuQuiescentState();
    rcuUnregisterThreadQsbr();
  });

  it('unchecked (the default), sections record nothing but still refuse an offline thread', () => {
    heap = createHeap();
    rcuRegisterThreadQsbr();
    rcuReadLock();
    // Nothing counts the section: a quiescent state here is the caller's bug, not caught.
    expect(() => rcuQuiescentState()).not.toThrow();
    rcuReadUnlock();
    expect(() => rcuReadUnlock()).not.toThrow();
    rcuThreadOffline();
    expect(() => rcuReadLock()).toThrow(RcuUnbalancedError);
    expect(rcuReadLockHeld()).toBe(false);
    rcuThreadOnline();
    expect(rcuReadLockHeld()).toBe(true);
    rcuUnregisterThreadQsbr();
    // Back to the default flavor, where nesting is always counted.
    expect(() => rcuReadUnlock()).toThrow(RcuUnbalancedError);
  });

  it('a reference to rcuReadLock/rcuReadUnlock kept from an online QSBR thread keeps every check', () => {
    // While the thread is an online unchecked QSBR reader the exported bindings point at
    // do-nothing functions; a reference taken then must not skip anything once it is not.
    heap = createHeap({ threadName: 'qsbr-kept' });
    const activeIn = (h: Heap, name: string) => (): boolean => h.threads().find((t) => t.name === name)!.rcuActive;
    let active = activeIn(heap, 'qsbr-kept');
    rcuRegisterThreadQsbr();
    const lock = rcuReadLock;
    const unlock = rcuReadUnlock;
    lock();
    unlock();
    rcuThreadOffline();
    expect(() => lock()).toThrow(RcuUnbalancedError); // offline: would be unprotected
    rcuThreadOnline();
    // Online again (on Node 22+ with a new fast-path pair): the kept pair protects as before.
    expect(() => {
      lock();
      unlock();
    }).not.toThrow();
    expect(rcuReadLockHeld()).toBe(true);
    rcuUnregisterThreadQsbr();
    // A default-flavor thread again: the kept functions publish and count the section.
    lock();
    expect(active()).toBe(true);
    expect(rcuReadLockHeld()).toBe(true);
    unlock();
    expect(active()).toBe(false);
    expect(() => unlock()).toThrow(RcuUnbalancedError);
    // Detached while an online QSBR reader: both the kept and the current bindings refuse.
    rcuRegisterThreadQsbr();
    heap.detach();
    heap = null;
    expect(() => lock()).toThrow(HeapAttachmentError);
    expect(() => rcuReadLock()).toThrow(HeapAttachmentError);
    expect(() => rcuReadUnlock()).toThrow(HeapAttachmentError);
    // Attached again, as a default-flavor thread: its sections are visible to grace periods.
    heap = createHeap({ threadName: 'qsbr-kept-2' });
    active = activeIn(heap, 'qsbr-kept-2');
    rcuReadLock();
    expect(active()).toBe(true);
    rcuReadUnlock();
    lock();
    expect(active()).toBe(true);
    unlock();
    expect(active()).toBe(false);
  });
});
