/**
 * @fileoverview The QSBR flavor (quiescent-state-based reclamation), opt-in per thread, after
 * liburcu's urcu-qsbr: rcuRegisterThreadQsbr / rcuUnregisterThreadQsbr, rcuQuiescentState,
 * rcuThreadOffline / rcuThreadOnline.
 *
 * A QSBR thread is a reader *all the time* it is online, except at the points where it says
 * it holds no RCU-protected reference: its quiescent states. Its slot's CTR holds the GP_CTR
 * value it saw at its last quiescent state (0 while offline); a grace period that flipped to
 * C and finds another nonzero value there waits until it changes, i.e. until the thread
 * passes a quiescent state after the flip (or goes offline). rcuReadLock()/rcuReadUnlock() in
 * a QSBR thread touch no shared memory: by default they only check that the thread is online
 * (as urcu-qsbr's are empty without RCU_DEBUG), and with `{ checked: true }` they also count
 * nesting in thread-local memory to catch misuse. That is what makes the flavor cheap for hot
 * readers; in exchange the thread must call rcuQuiescentState() often (between requests, each
 * loop iteration) or grace periods stall on it.
 *
 * Names follow urcu-qsbr in camelCase: rcu_register_thread() of the qsbr library becomes
 * rcuRegisterThreadQsbr() here because the default flavor registers implicitly when the
 * thread attaches to a heap; rcu_quiescent_state(), rcu_thread_offline() and
 * rcu_thread_online() keep their names.
 *
 * A QSBR thread's own waits: synchronizeRcu() takes it offline for the wait (nothing else runs
 * on the thread meanwhile) and back online after. Asynchronous waits cannot do that — other
 * code of the thread runs while they are pending and may hold references — so
 * synchronizeRcuAsync(), startPollSynchronizeRcu() and callRcu() issued by a QSBR thread
 * complete only once the thread reports a quiescent state after issuing them, or goes offline.
 *
 * Misuse — a QSBR call from a thread that did not register, going offline twice, a read-side
 * section while offline, and (checked mode) a quiescent state inside a read-side section —
 * throws RcuUnbalancedError and changes nothing.
 */

import { threadId } from 'node:worker_threads';
import { RcuUnbalancedError } from '../errors.js';
import { RcuFlavor, RcuWord, Slot } from '../heap/layout.js';
import { qsbrStore } from './grace-period.js';
import { rcuSelf, setQsbrOnline } from './read-side.js';
import type { ThreadContext } from '../heap/thread-context.js';

export interface QsbrOptions {
  /**
   * Count read-side nesting, so that an unbalanced rcuReadUnlock(), or a quiescent state,
   * offline transition or synchronizeRcu() inside a read-side section, throws. Costs a
   * thread-local store and load per section; off by default, when rcuReadLock() and
   * rcuReadUnlock() of a QSBR thread do nothing but check that it is online. Turn it on in
   * tests and while debugging.
   */
  readonly checked?: boolean;
}

/**
 * Make the calling thread a QSBR reader, online. Call outside any read-side section.
 * Registering twice throws RcuUnbalancedError.
 *
 * Register before the thread's first read-side section, and stay registered: a call site of
 * rcuReadLock()/rcuReadUnlock() that one thread runs both as an unchecked QSBR reader and
 * otherwise stays correct but costs a plain function call each time (see rcu/read-side.ts).
 */
export function rcuRegisterThreadQsbr(options: QsbrOptions = {}): void {
  const t = rcuSelf('rcuRegisterThreadQsbr');
  if (t.qsbr) throw misuse('rcuRegisterThreadQsbr', 'the thread is already a QSBR reader');
  if (t.readNesting !== 0)
    throw misuse('rcuRegisterThreadQsbr', `inside a read-side section (nesting ${t.readNesting})`);
  const i32 = t.heap.views.i32;
  Atomics.store(i32, t.heap.registry.word(t.slot, Slot.FLAVOR), RcuFlavor.QSBR);
  t.qsbr = true;
  t.qsbrChecked = options.checked === true;
  // Online from here: a quiescent state now.
  reportQuiescentState(t);
}

/** Return the calling thread to the default flavor (goes offline first). */
export function rcuUnregisterThreadQsbr(): void {
  const t = qsbrSelf('rcuUnregisterThreadQsbr');
  if (t.readNesting !== 0)
    throw misuse('rcuUnregisterThreadQsbr', `inside a read-side section (nesting ${t.readNesting})`);
  storeCtr(t, 0);
  setQsbrOnline(false);
  t.qsbr = false;
  Atomics.store(t.heap.views.i32, t.heap.registry.word(t.slot, Slot.FLAVOR), RcuFlavor.MEMB);
}

/**
 * Report a quiescent state: the calling QSBR thread holds no reference obtained under RCU.
 * Every grace period that began before this call stops waiting for this thread.
 */
export function rcuQuiescentState(): void {
  const t = qsbrSelf('rcuQuiescentState');
  if (t.readNesting !== 0) throw misuse('rcuQuiescentState', `inside a read-side section (nesting ${t.readNesting})`);
  if (Atomics.load(t.heap.views.i32, t.ctrWord) === 0)
    throw misuse('rcuQuiescentState', 'the thread is offline; call rcuThreadOnline()');
  reportQuiescentState(t);
}

/**
 * Go offline: an extended quiescent state (before blocking, sleeping, awaiting I/O). Grace
 * periods do not wait for an offline thread, and it must not read RCU-protected data.
 */
export function rcuThreadOffline(): void {
  const t = qsbrSelf('rcuThreadOffline');
  if (t.readNesting !== 0) throw misuse('rcuThreadOffline', `inside a read-side section (nesting ${t.readNesting})`);
  if (Atomics.load(t.heap.views.i32, t.ctrWord) === 0)
    throw misuse('rcuThreadOffline', 'the thread is already offline');
  storeCtr(t, 0);
  setQsbrOnline(false);
}

/** Come back online after rcuThreadOffline(). */
export function rcuThreadOnline(): void {
  const t = qsbrSelf('rcuThreadOnline');
  if (Atomics.load(t.heap.views.i32, t.ctrWord) !== 0) throw misuse('rcuThreadOnline', 'the thread is already online');
  reportQuiescentState(t);
}

function reportQuiescentState(t: ThreadContext): void {
  // Snapshot of GP_CTR: every grace period that flipped to this value or earlier stops
  // waiting for us. Seq-cst: all loads of RCU-protected data before this call are ordered
  // before the store, so a grace period that sees it knows our old references are dropped.
  storeCtr(t, Atomics.load(t.heap.views.i32, RcuWord.GP_CTR));
  setQsbrOnline(true);
}

function storeCtr(t: ThreadContext, value: number): void {
  // One exchange, as in rcuReadUnlock(): wakes a grace period that flagged our counter.
  qsbrStore(t.heap.views.i32, t.ctrWord, value);
}

function qsbrSelf(what: string): ThreadContext {
  const t = rcuSelf(what);
  if (!t.qsbr) throw misuse(what, 'the thread is not a QSBR reader (call rcuRegisterThreadQsbr() first)');
  return t;
}

function misuse(what: string, why: string): RcuUnbalancedError {
  return new RcuUnbalancedError(`${what}() in thread ${threadId}: ${why}`);
}
