/**
 * @fileoverview Switching the calling thread's kernel-named calls between their plain and
 * debug versions. heap/heap.ts calls setDebugBindings() when the thread attaches (true for a
 * debug heap) and when it detaches (false). Each hot module (spinlock.ts, refcount.ts,
 * rcu/read-side.ts, rcu/dereference-protected.ts) exports its calls as bindings that this
 * re-points, so that a thread of a heap without debug mode runs the plain functions, with no
 * test of a debug flag on any path.
 */

import { setRefcountBindings } from '../refcount.js';
import { setDereferenceProtectedBinding } from '../rcu/dereference-protected.js';
import { setReadSideBindings } from '../rcu/read-side.js';
import { setSpinlockBindings } from '../spinlock.js';
import { rcuDereferenceProtectedDebug } from './claims.js';
import { spinlockDebug } from './lock-tracking.js';
import { refcountDebug } from './ref-tracking.js';
import { readSideDebug } from './section-tracking.js';

/** Point this thread's calls at the debug versions (true) or the plain ones (false). */
export function setDebugBindings(on: boolean): void {
  setSpinlockBindings(on ? spinlockDebug : null);
  setRefcountBindings(on ? refcountDebug : null);
  setDereferenceProtectedBinding(on ? rcuDereferenceProtectedDebug : null);
  setReadSideBindings(on ? readSideDebug : null);
}
