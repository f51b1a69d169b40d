/**
 * @fileoverview Worker of the kill torture (test/src/torture/kill-torture.ts): loops for ever
 * over every kind of operation the runtime offers, at random, until the harness terminates it
 * at a random moment, inside whichever operation it is in. It checks what it can see itself:
 * every object it allocates is claimed with compareExchange(owner 0 -> id), which fails if the
 * object is held by someone else (handed out twice); every object it finds in the table has
 * the key it looked up; the counter pair under the spinlock is equal whenever the lock was
 * taken from a live owner. It stops at the harness's pause gate between operations, so the
 * harness can check the heap while nothing moves.
 */

import { workerData } from 'node:worker_threads';
import {
  addressOf,
  attachHeap,
  fieldIndex,
  kmemCacheAlloc,
  kmemCacheFree,
  kmemCacheShrink,
  rcuReadLock,
  rcuReadUnlock,
  spinLock,
  SpinlockOwnerDeadError,
  spinUnlock,
  synchronizeRcu,
  type StructRef,
} from '@rcukit/runtime';
import {
  KillCtl,
  killCaches,
  killTable,
  KillLock,
  type KillItem,
  type KillStableDef,
  type KillWorkerData,
} from '../torture/kill-layout.js';

const data = workerData as KillWorkerData;
const heap = attachHeap(data.heap, { threadName: `victim-${data.id}` });
const ctl = heap.root(KillCtl.ROOT, KillCtl.BYTES) >> 2;
const i32 = (): Int32Array => heap.views.i32;
const { typesafe, plain, items } = killCaches(heap);
const table = killTable(heap, items);
const lock = KillLock.open(heap);

let x = data.seed | 1;
function rand(n: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return (x >>> 0) % n;
}

function violation(what: string): never {
  Atomics.add(i32(), ctl + KillCtl.VIOLATIONS, 1);
  throw new Error(`victim ${data.id}: ${what}`);
}

type AnyItem = StructRef<KillItem> | StructRef<typeof KillStableDef>;
const held: { cache: typeof typesafe | typeof plain; obj: AnyItem }[] = [];
/** Keys this worker inserted and not yet deleted, and those it may insert: its own range, id * 64 + k. */
const keys: number[] = [];
const unusedKeys = Array.from({ length: 64 }, (_, k) => data.id * 64 + k);

function ownerWord(obj: AnyItem): number {
  return fieldIndex(obj, 'owner');
}

function alloc(): void {
  if (held.length >= 300) {
    free();
    return;
  }
  const cache = rand(2) === 0 ? typesafe : plain;
  const obj: AnyItem = cache === typesafe ? kmemCacheAlloc(typesafe) : kmemCacheAlloc(plain);
  const was = Atomics.compareExchange(i32(), ownerWord(obj), 0, data.id);
  if (was !== 0)
    violation(`object 0x${addressOf(obj).toString(16)} of '${cache.name}' handed out while held by ${was}`);
  held.push({ cache, obj });
}

function free(): void {
  if (held.length === 0) {
    alloc();
    return;
  }
  const k = rand(held.length);
  const { cache, obj } = held[k]!;
  held[k] = held[held.length - 1]!;
  held.pop();
  Atomics.store(i32(), ownerWord(obj), 0);
  if (cache === typesafe) kmemCacheFree(typesafe, obj as StructRef<typeof KillStableDef>);
  else kmemCacheFree(plain, obj as StructRef<KillItem>);
}

function section(): void {
  rcuReadLock();
  if (rand(4) === 0) {
    rcuReadLock();
    rcuReadUnlock();
  }
  rcuReadUnlock();
}

function locked(): void {
  try {
    spinLock(lock.lock);
  } catch (error) {
    if (!(error instanceof SpinlockOwnerDeadError)) throw error;
    // Its dead owner may have bumped one word of the pair: the user's data to repair.
    lock.repair();
  }
  try {
    if (!lock.bump()) violation('counter pair unequal under a lock taken from a live owner');
  } finally {
    spinUnlock(lock.lock);
  }
}

function insert(): void {
  if (unusedKeys.length === 0) {
    remove();
    return;
  }
  // Fresh from the cache: insert() and replace() refuse (HashTableMisuseError) an object
  // with a reference or on a chain, which is how a table object handed out twice shows.
  const obj = kmemCacheAlloc(items);
  if (rand(2) === 0 && keys.length > 0) {
    // Replace one of ours: the new object takes the old one's key.
    obj.key = keys[rand(keys.length)]!;
    if (!table.replace(obj)) violation(`replace(${obj.key}): this worker's key was not in the table`);
    return;
  }
  const key = unusedKeys.pop()!;
  obj.key = key;
  if (!table.insert(obj)) violation(`key ${key} already in the table`);
  keys.push(key);
}

function remove(): void {
  if (keys.length === 0) {
    insert();
    return;
  }
  const k = rand(keys.length);
  const key = keys[k]!;
  keys[k] = keys[keys.length - 1]!;
  keys.pop();
  unusedKeys.push(key);
  if (!table.delete(key)) violation(`delete(${key}): this worker's key is not in the table`);
}

function lookup(): void {
  if (keys.length === 0) {
    insert();
    return;
  }
  const key = keys[rand(keys.length)]!;
  const found = table.lookup(key);
  if (found === null) return violation(`lookup(${key}): this worker's key not found`);
  const seen = found.key;
  table.put(found);
  if (seen !== key) violation(`lookup(${key}) returned key ${seen}`);
}

const OPS: Record<string, () => void> = {
  alloc,
  free,
  shrink: () => kmemCacheShrink(rand(2) === 0 ? typesafe : plain),
  section,
  sync: () => synchronizeRcu(),
  lock: locked,
  insert,
  remove,
  lookup,
};
const weights: [() => void, number][] = data.ops.map((name) => [
  OPS[name]!,
  name === 'sync' || name === 'shrink' ? 1 : 8,
]);
const total = weights.reduce((sum, [, w]) => sum + w, 0);

function step(): void {
  let r = rand(total);
  for (const [op, w] of weights) {
    if (r < w) {
      op();
      return;
    }
    r -= w;
  }
}

Atomics.add(i32(), ctl + KillCtl.STARTED, 1);
Atomics.notify(i32(), ctl + KillCtl.STARTED);
for (;;) {
  if (Atomics.load(i32(), ctl + KillCtl.PAUSE) !== 0) {
    Atomics.add(i32(), ctl + KillCtl.PAUSED, 1);
    Atomics.notify(i32(), ctl + KillCtl.PAUSED);
    while (Atomics.load(i32(), ctl + KillCtl.PAUSE) !== 0) Atomics.wait(i32(), ctl + KillCtl.PAUSE, 1, 50);
    Atomics.sub(i32(), ctl + KillCtl.PAUSED, 1);
  }
  step();
  Atomics.add(i32(), ctl + KillCtl.OPS, 1);
}
