/**
 * @fileoverview Debug mode's lockdep: the lock-order graph of lock classes, shared by every
 * thread of the heap (it lives in the heap, LockdepWord in heap/layout.ts), and the check
 * that reports the first acquisition closing a cycle, before any deadlock happens.
 *
 * A lock's class is its label with array indices dropped: `sighand.siglock` for a struct's
 * spinlock field (every sighand's siglock is one class, as in lockdep), `catalog.bucket[].lock`
 * for all the bucket locks of an RcuHashTable, the name given to a named Spinlock. Taking a
 * lock of class B while holding one of class A adds the edge A -> B. Before adding it, the check looks for a
 * path B -> ... -> A already in the graph (from any thread): if there is one, the two orders
 * can deadlock, and LockOrderError names both chains. Taking a second lock of the class one
 * already holds is not checked (lockdep would want a nesting annotation that rcukit lacks).
 * The slab allocator's internal locks are not in the graph: their order is fixed
 * (heap/lock-word.ts) and no user code runs under them.
 */

import { LockOrderError } from '../errors.js';
import { lockWordAcquire, lockWordRelease } from '../heap/lock-word.js';
import { LOCKDEP_MAX_CLASSES, LOCKDEP_NAME_BYTES, LOCKDEP_ROOT, LockdepWord } from '../heap/layout.js';
import { threadLocal } from '../heap/thread-context.js';
import type { Heap } from '../heap/heap.js';
import type { Spinlock } from '../spinlock.js';
import { callSiteText, type CallSite } from './call-site.js';
import type { DebugThread } from './debug-thread.js';

/** Bytes of the lock-order root: what a debug heap adds to its static area. */
export const LOCKDEP_BYTES = LockdepWord.WORDS * 4;

/** This thread's view of the graph: class ids by name, and where it added each edge. */
export class LockGraph {
  readonly #heap: Heap;
  readonly #base: number;
  readonly #ids = new Map<string, number>();
  readonly #sites = new Map<number, CallSite>();

  constructor(heap: Heap) {
    this.#heap = heap;
    this.#base = heap.root(LOCKDEP_ROOT, LOCKDEP_BYTES, 4) >> 2;
  }

  /** The class id of `name`, registering it; -1 when the graph is full. */
  classOf(name: string): number {
    const known = this.#ids.get(name);
    if (known !== undefined) return known;
    const i32 = this.#heap.views.i32;
    const self = threadLocal.current!;
    const bytes = encodeName(name);
    lockWordAcquire(this.#heap, this.#base + LockdepWord.LOCK, self.tag, this.#heap.registry);
    let id = -1;
    try {
      const count = i32[this.#base + LockdepWord.COUNT]!;
      for (let k = 0; k < count && id < 0; k++) if (this.#nameEquals(k, bytes)) id = k;
      if (id < 0 && count < LOCKDEP_MAX_CLASSES) {
        this.#heap.views.u8.set(bytes, (this.#base + LockdepWord.NAMES) * 4 + count * LOCKDEP_NAME_BYTES);
        // Published by the lock release below; readers of names take the same lock or read
        // only ids below a COUNT they loaded atomically.
        Atomics.store(i32, this.#base + LockdepWord.COUNT, count + 1);
        id = count;
      }
    } finally {
      lockWordRelease(this.#heap, this.#base + LockdepWord.LOCK, self.tag);
    }
    if (id >= 0) this.#ids.set(name, id);
    return id;
  }

  hasEdge(a: number, b: number): boolean {
    const bit = a * LOCKDEP_MAX_CLASSES + b;
    return (Atomics.load(this.#heap.views.i32, this.#base + LockdepWord.EDGES + (bit >> 5)) & (1 << (bit & 31))) !== 0;
  }

  addEdge(a: number, b: number, site: CallSite): void {
    const bit = a * LOCKDEP_MAX_CLASSES + b;
    Atomics.or(this.#heap.views.i32, this.#base + LockdepWord.EDGES + (bit >> 5), 1 << (bit & 31));
    this.#sites.set(bit, site);
  }

  /** Where this thread added a -> b, if it did. */
  siteOf(a: number, b: number): CallSite | undefined {
    return this.#sites.get(a * LOCKDEP_MAX_CLASSES + b);
  }

  /** A path from `from` to `to` in the graph (class ids), or null. */
  path(from: number, to: number): number[] | null {
    const count = Atomics.load(this.#heap.views.i32, this.#base + LockdepWord.COUNT);
    const previous = new Int32Array(count).fill(-1);
    previous[from] = from;
    const queue = [from];
    while (queue.length > 0) {
      const a = queue.shift()!;
      if (a === to) {
        const path = [to];
        for (let x = to; x !== from; x = previous[x]!) path.unshift(previous[x]!);
        return path;
      }
      for (let b = 0; b < count; b++) {
        if (previous[b] === -1 && this.hasEdge(a, b)) {
          previous[b] = a;
          queue.push(b);
        }
      }
    }
    return null;
  }

  nameOf(id: number): string {
    const at = (this.#base + LockdepWord.NAMES) * 4 + id * LOCKDEP_NAME_BYTES;
    const bytes = this.#heap.views.u8.subarray(at, at + LOCKDEP_NAME_BYTES);
    const end = bytes.indexOf(0);
    return decoder.decode(bytes.slice(0, end < 0 ? LOCKDEP_NAME_BYTES : end));
  }

  #nameEquals(id: number, bytes: Uint8Array): boolean {
    const at = (this.#base + LockdepWord.NAMES) * 4 + id * LOCKDEP_NAME_BYTES;
    const u8 = this.#heap.views.u8;
    for (let i = 0; i < LOCKDEP_NAME_BYTES; i++) if (u8[at + i] !== bytes[i]) return false;
    return true;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeName(name: string): Uint8Array {
  const out = new Uint8Array(LOCKDEP_NAME_BYTES);
  const bytes = encoder.encode(name);
  out.set(bytes.subarray(0, LOCKDEP_NAME_BYTES - 1));
  return out;
}

/** A lock's class: its label, with array indices dropped (`t.bucket[3].lock` -> `t.bucket[].lock`). */
export function lockClass(lock: Spinlock): string {
  return lock.label.replace(/\[\d+\]/g, '[]');
}

/**
 * Check that taking `lock` now keeps the graph acyclic, and add the edges from every held
 * lock's class to its class. Throws LockOrderError naming both chains.
 */
export function checkLockOrder(d: DebugThread, lock: Spinlock, site: CallSite, what: string): void {
  if (d.held.length === 0) return;
  const g = d.locks;
  const b = g.classOf(lockClass(lock));
  if (b < 0) return;
  for (const h of d.held) {
    const a = g.classOf(lockClass(h.lock));
    if (a < 0 || a === b || g.hasEdge(a, b)) continue;
    const back = g.path(b, a);
    if (back !== null) {
      const steps = back.slice(1).map((to, k) => {
        const from = back[k]!;
        const at = g.siteOf(from, to);
        return (
          `  ${g.nameOf(from)} -> ${g.nameOf(to)}, ` +
          (at === undefined
            ? 'established by another thread or earlier attachment'
            : `established at:\n${callSiteText(at)}`)
        );
      });
      throw new LockOrderError(
        `possible circular locking dependency: ${what}(${lock.label}) while holding ${h.lock.label}\n` +
          `  this chain: ${h.lock.label} -> ${lock.label}\n  ${h.lock.label} taken at:\n${callSiteText(h.site)}\n` +
          `  ${lock.label} taken at:\n${callSiteText(site)}\n` +
          `  the existing chain, in the opposite order:\n${steps.join('\n')}`,
      );
    }
    g.addEdge(a, b, site);
  }
}
