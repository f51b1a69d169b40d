/**
 * @fileoverview What debug mode knows about the calling thread: one DebugThread per attached
 * thread of a debug heap (heap.debug; a Heap object is local to one thread). It is the
 * thread's own record, never shared: which objects it allocated and has not published, which
 * references it took, which rcuDereferenceProtected() claims it made, which spinlocks it
 * holds, and where it obtained each object. Everything other threads must agree on (object
 * state, lock owners, reference counts) is read from the heap itself when a check runs.
 */

import type { RcukitError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import type { Refcount } from '../refcount.js';
import type { Spinlock } from '../spinlock.js';
import { callSiteText, captureCallSite, type CallSite } from './call-site.js';
import { DebugFlag } from './debug-options.js';
import { LockGraph } from './lock-order.js';
import { debugObjectClass } from './debug-accessors.js';
import { generationOf } from './stale-objects.js';
import type { StructObjectClass } from '../struct-object.js';
import type { AnyStructDef } from '../struct.js';

/** A lock this thread holds, and where it took it. */
export interface HeldLock {
  readonly lock: Spinlock;
  readonly site: CallSite;
}

/** Why the calling thread may use an object without a read-side section (rcuDereferenceProtected). */
export type ProtectionClaim = Spinlock | Refcount | true;

export class DebugThread {
  readonly fuzz: boolean;
  /** Objects this thread allocated and has not published, freed or handed to a table. */
  readonly fresh = new WeakSet<object>();
  /** References this thread took, by the word index of the count. */
  readonly refs = new Map<number, number>();
  /** rcuDereferenceProtected() claims, by object; checked again at each use. */
  readonly claims = new WeakMap<object, { claim: ProtectionClaim; site: CallSite }>();
  /** Where this thread last obtained each object (an RCU pointer load, a lookup, an allocation). */
  readonly obtained = new WeakMap<object, CallSite>();
  /** The generation of each type-stable object when this thread last obtained it (debug/stale-objects.ts). */
  readonly generations = new WeakMap<object, number>();
  /** Spinlocks held, in the order taken. */
  readonly held: HeldLock[] = [];
  /** Outermost read-side sections entered so far. */
  sections = 0;
  /** Where the open outermost read-side section began; null outside one (or once reported). */
  sectionSite: CallSite | null = null;
  /** Whether a check at the end of the current job is queued (debug/section-tracking.ts). */
  yieldCheckQueued = false;
  /** The heap's lock-order graph (debug/lock-order.ts). */
  readonly locks: LockGraph;

  constructor(
    readonly heap: Heap,
    flags: number,
  ) {
    this.fuzz = (flags & DebugFlag.FUZZ) !== 0;
    this.locks = new LockGraph(heap);
  }

  /** Nonzero while a slab constructor or destructor runs: its objects are free, by design. */
  unchecking = 0;

  /** `fn` (a constructor or destructor), made to run with object checks off. */
  unchecked<A extends unknown[]>(fn: ((...args: A) => void) | undefined): ((...args: A) => void) | undefined {
    if (fn === undefined) return undefined;
    return (...args: A) => {
      this.unchecking++;
      try {
        fn(...args);
      } finally {
        this.unchecking--;
      }
    };
  }

  /** The object class of `def` in this heap: one whose accessors check each use. */
  objectClass(def: AnyStructDef): StructObjectClass {
    return debugObjectClass(def);
  }

  /** Record where `obj` was obtained (the caller's caller's stack). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- see captureCallSite
  noteObtained(obj: object, above: Function): void {
    this.obtained.set(obj, captureCallSite(above));
    this.noteGeneration(obj);
  }

  /** Record the generation `obj` has now: this thread has seen its current identity. */
  noteGeneration(obj: object): void {
    const g = generationOf(obj);
    if (g !== -1) this.generations.set(obj, g);
  }

  refTaken(word: number): void {
    this.refs.set(word, (this.refs.get(word) ?? 0) + 1);
  }

  refDropped(word: number): void {
    const n = this.refs.get(word) ?? 0;
    if (n <= 1) this.refs.delete(word);
    else this.refs.set(word, n - 1);
  }

  lockTaken(lock: Spinlock, site: CallSite): void {
    this.held.push({ lock, site });
  }

  lockReleased(lock: Spinlock): void {
    for (let i = this.held.length - 1; i >= 0; i--) {
      if (this.held[i]!.lock.index === lock.index) {
        this.held.splice(i, 1);
        return;
      }
    }
  }

  /** The held spinlocks as report lines. */
  heldText(): string {
    return this.held.map((h) => `  ${h.lock.label}, taken at:\n${callSiteText(h.site)}`).join('\n');
  }

  /** Report without throwing: the heap's 'debug' event, or a process warning when nobody listens. */
  report(error: RcukitError): void {
    if (this.heap.listenerCount('debug') > 0) this.heap.emit('debug', error);
    else process.emitWarning(error.message, { code: error.code });
  }
}
