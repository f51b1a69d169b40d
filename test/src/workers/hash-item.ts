/**
 * @fileoverview The keyed object the hash-table tests and the lookup benchmark share, and how
 * every worker opens its cache and table: each worker declares the same struct and calls the
 * same create functions, which find what the first one created.
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheCreate,
  rcuHashTableCreate,
  type Heap,
  type LookupPhase,
  type RcuHashTable,
} from '@rcukit/runtime';

export const Item = defineStruct(
  'hash-item',
  {
    refcnt: 'refcount',
    key: 'i32',
    /** checkOf(key), written with the key before insertion: a reader holding a reference checks it. */
    check: 'i32',
    node: 'hlistNulls',
    value: 'f64',
  },
  { typesafeByRcu: true },
);

export type ItemTable = RcuHashTable<typeof Item>;

export interface ItemTableOptions {
  readonly buckets: number;
  readonly maxRetries?: number;
  readonly unsafeSkipKeyRecheckForTesting?: boolean;
  readonly unsafeSkipNullsCheckForTesting?: boolean;
  readonly unsafeSkipReadValidationForTesting?: boolean;
  readonly readerDelayForTesting?: (phase: LookupPhase) => void;
}

/** Open (or create, in the first worker) the items cache and the table over it. */
export function openItemTable(heap: Heap, name: string, options: ItemTableOptions) {
  const cache = kmemCacheCreate(heap, `${name}-items`, Item, { flags: SLAB_TYPESAFE_BY_RCU });
  const table = rcuHashTableCreate(heap, name, { cache, key: 'key', refcount: 'refcnt', node: 'node', ...options });
  return { cache, table };
}

/** A value derived from the key, so a reader can tell a half-made object from a whole one. */
export function checkOf(key: number): number {
  return Math.imul(key ^ 0x5bd1e995, 0x27d4eb2d) | 0;
}

/** xorshift32: cheap, seedable, no allocation. */
export function xorshift(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Busy-wait about `iterations` loop turns: the random reader delays of rcutorture. */
export function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + i) | 0;
  return x;
}
