/**
 * @fileoverview rcuDereferenceProtected: the updater's read of an RCU pointer, in the spirit of
 * the kernel's `rcu_dereference_protected(p, lockdep_is_held(&lock))`.
 */

import type { Refcount } from '../refcount.js';
import type { Spinlock } from '../spinlock.js';

// The claim is read by the checker; in debug mode, rcuDereferenceProtected is re-pointed at a
// function that checks it (debug/claims.ts), as spinlock.ts's bindings are.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
function rcuDereferenceProtectedPlain<T>(value: T, protectedBy: Spinlock | Refcount | true): T {
  return value;
}

/** The signature of rcuDereferenceProtected. */
export type RcuDereferenceProtected = <T>(value: T, protectedBy: Spinlock | Refcount | true) => T;

/**
 * Read an RCU-protected pointer as its updater: `value` is the pointer just loaded
 * (`task.sighand`), and `protectedBy` is why no read-side section is needed to use it —
 *
 * - a `Spinlock`: the lock that orders the pointer's writers, held here (the kernel's
 *   `rcu_dereference_protected(p, lockdep_is_held(&lock))`);
 * - a `Refcount`: the reference the pointer carries, held here (the object cannot be freed
 *   while that count is raised);
 * - `true`: this thread is the only updater, and the object can change or go away only
 *   through it (the kernel's `rcu_dereference_protected(p, 1)`).
 *
 * Without debug mode it returns `value` unchanged and checks nothing, at no cost: the load
 * itself is the field read inside the argument. In debug mode (runtime/docs/debug-mode.md) it
 * checks the claim now and at each later use of the object. The claim is checked statically
 * by `rcukit check`, which needs no read-side section around that load, treats the result as
 * stable (like an object the caller owns), and verifies on every path that a claimed
 * `Spinlock` is held at the call (rule `rcu/deref-outside-read-lock`).
 *
 * ```ts
 * spinLock(task.allocLock);
 * const old = rcuDereferenceProtected(task.sighand, task.allocLock)!;
 * spinLock(old.siglock);
 * task.sighand = fresh;
 * spinUnlock(old.siglock);
 * spinUnlock(task.allocLock);
 * ```
 */
// eslint-disable-next-line no-var -- re-pointed by setDereferenceProtectedBinding()
export var rcuDereferenceProtected: RcuDereferenceProtected = rcuDereferenceProtectedPlain;

/** @internal Point rcuDereferenceProtected at `fn` (debug mode) or back at the plain function (null). */
export function setDereferenceProtectedBinding(fn: RcuDereferenceProtected | null): void {
  rcuDereferenceProtected = fn ?? rcuDereferenceProtectedPlain;
}
