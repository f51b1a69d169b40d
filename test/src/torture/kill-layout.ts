/**
 * @fileoverview What the kill torture's harness and its victims share: the control words,
 * the structs, and how every thread opens the same caches, table and spinlock (each declares
 * them alike; the first creates them, the others find them).
 */

import {
  defineStruct,
  kmemCacheCreate,
  rcuHashTableCreate,
  SLAB_TYPESAFE_BY_RCU,
  Spinlock,
  type Heap,
  type KmemCache,
  type RcuHashTable,
  type SharedHeap,
} from '@rcukit/runtime';

/** Control words (indices from the root's first word). */
export const KillCtl = {
  ROOT: 'kill:ctl',
  BYTES: 64,
  /** Non-zero: victims stop at their next gate. */
  PAUSE: 0,
  /** Victims waiting at the gate. */
  PAUSED: 1,
  /** Violations victims saw themselves. */
  VIOLATIONS: 2,
  /** Operations completed, all victims together. */
  OPS: 3,
  /** Victims that started their loop. */
  STARTED: 4,
  /** The counter pair under the spinlock (KillLock). */
  PAIR_A: 8,
  PAIR_B: 9,
} as const;

export interface KillWorkerData {
  readonly heap: SharedHeap;
  /** Unique over the run: the value a victim claims its objects with. */
  readonly id: number;
  readonly seed: number;
  /** Names of the operations to mix (kill-victim.ts OPS). */
  readonly ops: readonly string[];
}

/** Operations, by the group the CLI names them in. */
export const KILL_OP_GROUPS = {
  slab: ['alloc', 'free', 'shrink'],
  rcu: ['section', 'sync'],
  lock: ['lock'],
  table: ['insert', 'remove', 'lookup'],
} as const;
export type KillOpGroup = keyof typeof KILL_OP_GROUPS;

export const KillItemDef = defineStruct('kill-item', { owner: 'i32', pad: { array: 'u8', length: 60 } });
export type KillItem = typeof KillItemDef;
export const KillStableDef = defineStruct(
  'kill-stable-item',
  { owner: 'i32', pad: { array: 'u8', length: 60 } },
  { typesafeByRcu: true },
);

export const KillEntry = defineStruct(
  'kill-entry',
  { refcount: 'refcount', key: 'i32', node: 'hlistNulls' },
  { typesafeByRcu: true },
);
export type KillEntryTable = RcuHashTable<typeof KillEntry>;

export const TABLE_BUCKETS = 64;

export function killCaches(heap: Heap): {
  typesafe: KmemCache<typeof KillStableDef>;
  plain: KmemCache<KillItem>;
  items: KmemCache<typeof KillEntry>;
} {
  return {
    typesafe: kmemCacheCreate(heap, 'kill-typesafe', KillStableDef, { flags: SLAB_TYPESAFE_BY_RCU }),
    plain: kmemCacheCreate(heap, 'kill-plain', KillItemDef),
    items: kmemCacheCreate(heap, 'kill-entries', KillEntry, { flags: SLAB_TYPESAFE_BY_RCU }),
  };
}

export function killTable(heap: Heap, items: KmemCache<typeof KillEntry>): KillEntryTable {
  return rcuHashTableCreate(heap, 'kill-table', {
    cache: items,
    key: 'key',
    refcount: 'refcount',
    node: 'node',
    buckets: TABLE_BUCKETS,
  });
}

/** A spinlock over a pair of counters that must stay equal (KillCtl.PAIR_A / PAIR_B). */
export class KillLock {
  private constructor(
    readonly lock: Spinlock,
    private readonly heap: Heap,
    private readonly ctl: number,
  ) {}

  static open(heap: Heap): KillLock {
    const byte = heap.root('kill:lock', 4, 4);
    return new KillLock(new Spinlock(heap, byte, 'kill:lock'), heap, heap.root(KillCtl.ROOT, KillCtl.BYTES) >> 2);
  }

  /** Lock held: bump both words, one store at a time. False when they differed before. */
  bump(): boolean {
    const i32 = this.heap.views.i32;
    const a = i32[this.ctl + KillCtl.PAIR_A]!;
    const b = i32[this.ctl + KillCtl.PAIR_B]!;
    i32[this.ctl + KillCtl.PAIR_A] = a + 1;
    // worker.terminate() takes effect only where V8 checks for interrupts (function entries,
    // loop back edges); straight-line stores between lock and unlock have none, so without this
    // loop no kill ever lands while the lock is held, and the takeover path goes untested.
    for (let i = 0; i < 16; i++) if (Atomics.load(i32, this.ctl + KillCtl.PAIR_A) !== a + 1) return false;
    i32[this.ctl + KillCtl.PAIR_B] = b + 1;
    return a === b;
  }

  /** Lock held, taken from a dead owner: make the pair equal again. Returns whether it was not. */
  repair(): boolean {
    const i32 = this.heap.views.i32;
    const a = i32[this.ctl + KillCtl.PAIR_A]!;
    if (i32[this.ctl + KillCtl.PAIR_B] === a) return false;
    i32[this.ctl + KillCtl.PAIR_B] = a;
    return true;
  }
}
