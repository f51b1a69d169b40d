/**
 * @fileoverview rcuDereferenceProtected: the updater's read of an RCU pointer. At run time it is
 * the identity on the value just loaded (no lock, count or read-side state touched); its type
 * keeps the pointer's type, null included, and accepts as the claim only a spinlock, a
 * refcount or `true`.
 */

import { expect, expectTypeOf, test } from 'vitest';
import {
  SLAB_TYPESAFE_BY_RCU,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  rcuDereferenceProtected,
  rcuReadLockHeld,
  refcountRead,
  refcountSet,
  spinLock,
  spinLockInit,
  spinTrylock,
  spinUnlock,
  SpinlockMisuseError,
  type Refcount,
  type Spinlock,
  type StructRef,
} from '@rcukit/runtime';

const Sighand = defineStruct(
  'deref_sighand',
  { siglock: 'spinlock', count: 'refcount', action: 'i32' },
  { typesafeByRcu: true },
);
const Task = defineStruct('deref_task', { allocLock: 'spinlock', sighand: { rcu: () => Sighand } });
type SighandRef = StructRef<typeof Sighand>;

test('returns the pointer it is given, under each kind of claim, and changes no lock, count or section', () => {
  // Without debug mode, which checks the claims (test/runtime/unit/debug-mode.test.ts).
  using heap = createHeap({ debug: false });
  const sighands = kmemCacheCreate(heap, 'deref_sighand', Sighand, {
    flags: SLAB_TYPESAFE_BY_RCU,
    ctor: (s) => spinLockInit(s.siglock),
  });
  const tasks = kmemCacheCreate(heap, 'deref_task', Task, { ctor: (t) => spinLockInit(t.allocLock) });
  const task = kmemCacheAlloc(tasks);
  const sighand = kmemCacheAlloc(sighands);
  refcountSet(sighand.count, 1);
  sighand.action = 7;
  task.sighand = sighand;

  spinLock(task.allocLock);
  const underLock = rcuDereferenceProtected(task.sighand, task.allocLock);
  expect(underLock).toBe(sighand);
  expect(underLock.action).toBe(7);
  // The lock is still held by this thread (taking it again is refused) and no section was opened.
  expect(() => spinTrylock(task.allocLock)).toThrow(SpinlockMisuseError);
  expect(rcuReadLockHeld()).toBe(false);
  spinUnlock(task.allocLock);

  const byReference = rcuDereferenceProtected(task.sighand, sighand.count);
  expect(byReference).toBe(sighand);
  expect(refcountRead(sighand.count)).toBe(1);

  const onlyUpdater = rcuDereferenceProtected(task.sighand, true);
  expect(onlyUpdater).toBe(sighand);

  task.sighand = null;
  expect(rcuDereferenceProtected(task.sighand, true)).toBeNull();
  // The lock was released above and nothing took it since.
  expect(spinTrylock(task.allocLock)).toBe(true);
  spinUnlock(task.allocLock);
});

test('keeps the pointer type and accepts only a spinlock, a refcount or true as the claim', () => {
  expectTypeOf(rcuDereferenceProtected<SighandRef | null>).returns.toEqualTypeOf<SighandRef | null>();
  expectTypeOf(rcuDereferenceProtected<SighandRef | null>)
    .parameter(1)
    .toEqualTypeOf<Spinlock | Refcount | true>();
  const typeOnly = (s: SighandRef): void => {
    // @ts-expect-error false is no claim: an updater that is not sure must take the lock.
    rcuDereferenceProtected(s, false);
    // @ts-expect-error a number is no claim either.
    rcuDereferenceProtected(s, 1);
  };
  expect(typeof typeOnly).toBe('function');
});
