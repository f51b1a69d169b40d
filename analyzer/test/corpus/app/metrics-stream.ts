/**
 * @fileoverview Streams per-shard counters out of the shared heap: generators that pin shards one
 * at a time, an async exporter that awaits between short read-side sections, and the shard a
 * registry currently marks as primary. Application code written blind against the public
 * @rcukit/runtime API (corpus of correct code).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheCreate,
  rcuHashTableCreate,
  rcuReadLock,
  rcuReadUnlock,
  refcountIncNotZero,
  spinLock,
  spinLockInit,
  spinUnlock,
  type Heap,
  type RcuHashTable,
  type StructRef,
} from '@rcukit/runtime';

export const Shard = defineStruct(
  'metric-shard',
  { id: 'i32', hits: 'f64', bytes: 'f64', lock: 'spinlock', refs: 'refcount', node: 'hlistNulls' },
  { typesafeByRcu: true },
);
/** Which shard takes new writers; the pointer holds no reference. */
export const ShardRegistry = defineStruct('metric-registry', { primary: { rcu: () => Shard } });
type ShardRef = StructRef<typeof Shard>;
type ShardTable = RcuHashTable<typeof Shard>;
type RegistryRef = StructRef<typeof ShardRegistry>;

export interface Sample {
  readonly shard: number;
  readonly hits: number;
  readonly bytes: number;
}

export interface Sink {
  write(sample: Sample): Promise<void>;
}

export function openShards(heap: Heap): ShardTable {
  const cache = kmemCacheCreate(heap, 'metric-shards', Shard, {
    flags: SLAB_TYPESAFE_BY_RCU,
    ctor: (shard) => spinLockInit(shard.lock),
  });
  return rcuHashTableCreate(heap, 'metric-shards', { cache, key: 'id', refcount: 'refs', node: 'node' });
}

/** Yields each existing shard of `ids`, referenced until the consumer asks for the next one. */
export function* pinnedShards(table: ShardTable, ids: Iterable<number>): Generator<ShardRef> {
  for (const id of ids) {
    const shard = table.lookup(id);
    if (shard === null) continue;
    try {
      yield shard;
    } finally {
      table.put(shard);
    }
  }
}

/** Consistent samples: both counters read together under the shard's lock. */
export function* samples(table: ShardTable, ids: Iterable<number>): Generator<Sample> {
  for (const shard of pinnedShards(table, ids)) {
    spinLock(shard.lock);
    const sample = { shard: shard.id, hits: shard.hits, bytes: shard.bytes };
    spinUnlock(shard.lock);
    yield sample;
  }
}

/** Lock-free hit counts, each validated by the table on its own. */
export function* hitCounts(table: ShardTable, ids: readonly number[]): Generator<[number, number]> {
  for (const id of ids) {
    const hits = table.read(id, 'hits');
    if (hits !== undefined) yield [id, hits];
  }
}

/** Exports every shard's sample, pausing between shards so the event loop keeps running. */
export async function exportAll(table: ShardTable, ids: readonly number[], sink: Sink, pauseMs = 0): Promise<number> {
  let written = 0;
  for (const sample of samples(table, ids)) {
    await sink.write(sample);
    written++;
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return written;
}

/** Adds to a shard's counters (a writer that found it through the table). */
export function record(table: ShardTable, id: number, bytes: number): boolean {
  const shard = table.lookup(id);
  if (shard === null) return false;
  spinLock(shard.lock);
  shard.hits += 1;
  shard.bytes += bytes;
  spinUnlock(shard.lock);
  table.put(shard);
  return true;
}

/** The primary shard, referenced for the caller, or null when there is none or it is being replaced. */
function pinPrimary(registry: RegistryRef): ShardRef | null {
  rcuReadLock();
  const shard = registry.primary;
  if (shard === null || !refcountIncNotZero(shard.refs)) {
    rcuReadUnlock();
    return null;
  }
  rcuReadUnlock();
  return shard;
}

/**
 * Polls the primary shard's hit count `rounds` times. The registry's pointer carries no
 * reference, so the pinned shard is checked against it again before it is trusted.
 */
export async function watchPrimary(
  table: ShardTable,
  registry: RegistryRef,
  rounds: number,
  report: (hits: number | null) => void,
  intervalMs = 1000,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    let hits: number | null = null;
    const shard = pinPrimary(registry);
    if (shard !== null) {
      rcuReadLock();
      const current = registry.primary === shard;
      rcuReadUnlock();
      if (current) {
        spinLock(shard.lock);
        hits = shard.hits;
        spinUnlock(shard.lock);
      }
      table.put(shard);
    }
    report(hits);
    await sleep(intervalMs);
  }
}
