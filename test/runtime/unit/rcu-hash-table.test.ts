/**
 * The RCU hash table, single-threaded: insert / lookup / delete / replace, references and
 * frees, one nulls marker per bucket, misuse errors, and the two races of a lockless lookup
 * (an object freed and reused between key match and reference; an object moved to another
 * chain while the reader stands on it) replayed deterministically through the test-only
 * reader hook, with and without the key re-check; the same for the reference-free read(),
 * with and without its sequence validation.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HashTableMisuseError,
  HeapAttachmentError,
  SLAB_TYPESAFE_BY_RCU,
  addressOf,
  attachHeap,
  offsetOf,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
  rcuHashTableCreate,
  rcuReadLock,
  rcuReadLockHeld,
  rcuQuiescentState,
  rcuReadUnlock,
  rcuRegisterThreadQsbr,
  rcuUnregisterThreadQsbr,
  refcountRead,
  synchronizeRcu,
  type Heap,
  type LookupPhase,
  type Refcount,
} from '@rcukit/runtime';
import { checkOf, openItemTable } from '../../dist/workers/hash-item.js';

const Entry = defineStruct(
  'entry',
  { refcnt: 'refcount', key: 'i32', node: 'hlistNulls', value: 'f64', hits: 'u32' },
  { typesafeByRcu: true },
);

let heap: Heap;
let cache: ReturnType<typeof kmemCacheCreate<typeof Entry>>;
let hook: ((phase: LookupPhase) => void) | null;
let tableSeq = 0;

beforeEach(() => {
  heap = createHeap({ threadName: 'hash-table-test' });
  cache = kmemCacheCreate(heap, 'entries', Entry, { flags: SLAB_TYPESAFE_BY_RCU });
  hook = null;
});

afterEach(() => heap.detach());

function makeTable(options: { buckets?: number; maxRetries?: number; unsafe?: boolean; unsafeRead?: boolean } = {}) {
  return rcuHashTableCreate(heap, `t${tableSeq++}`, {
    cache,
    key: 'key',
    refcount: 'refcnt',
    node: 'node',
    buckets: options.buckets ?? 16,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    unsafeSkipKeyRecheckForTesting: options.unsafe ?? false,
    unsafeSkipReadValidationForTesting: options.unsafeRead ?? false,
    readerDelayForTesting: (phase) => hook?.(phase),
  });
}

function entry(key: number, value = key * 10) {
  const e = kmemCacheAlloc(cache);
  e.key = key;
  e.value = value;
  return e;
}

/**
 * An object's count, read inside a read-side section: the test may no longer hold a reference
 * (the read is then a type-stable object's, which debug mode wants protected).
 */
function countOf(e: { refcnt: Refcount }): number {
  using _ = rcuReadLock();
  return refcountRead(e.refcnt);
}

/** A key that hashes to a bucket other than `bucket`. */
function keyOutside(table: ReturnType<typeof makeTable>, bucket: number, from = 1000): number {
  let k = from;
  while (table.bucketOf(k) === bucket) k++;
  return k;
}

describe('basic operations', () => {
  it('inserts, finds with a reference, and deletes', () => {
    const table = makeTable();
    for (let k = 0; k < 50; k++) expect(table.insert(entry(k))).toBe(true);
    expect(table.size).toBe(50);
    for (let k = 0; k < 50; k++) {
      const e = table.lookup(k);
      expect(e).not.toBeNull();
      expect(e!.key).toBe(k);
      expect(e!.value).toBe(k * 10);
      // The table's reference plus ours.
      expect(countOf(e!)).toBe(2);
      table.put(e!);
      expect(countOf(e!)).toBe(1);
    }
    expect(table.lookup(50)).toBeNull();
    expect(table.lookup(-7)).toBeNull();
    expect(table.delete(7)).toBe(true);
    expect(table.delete(7)).toBe(false);
    expect(table.lookup(7)).toBeNull();
    expect(table.size).toBe(49);
  });

  it("takes its own read-side section, nested in the caller's if any", () => {
    const table = makeTable();
    table.insert(entry(1));
    let heldInside = false;
    hook = () => {
      heldInside = rcuReadLockHeld();
    };
    const e = table.lookup(1)!;
    table.put(e);
    expect(heldInside).toBe(true);
    expect(rcuReadLockHeld()).toBe(false);
  });

  it("leaves no read-side section behind, outside a caller's section or inside one", () => {
    const table = makeTable();
    for (let k = 0; k < 32; k++) table.insert(entry(k));
    for (let n = 0; n < 1000; n++) {
      const e = table.lookup(n % 64); // half hits, half misses
      if (e !== null) table.put(e);
      expect(rcuReadLockHeld()).toBe(false);
    }
    rcuReadLock();
    const nested = table.lookup(3)!;
    expect(rcuReadLockHeld()).toBe(true);
    rcuReadUnlock();
    table.put(nested);
    // A section left open by a lookup would make this wait forever (the test times out).
    synchronizeRcu();
    expect(rcuReadLockHeld()).toBe(false);
  });

  it('refuses a duplicate key and leaves the caller the object', () => {
    const table = makeTable();
    const first = entry(3, 1);
    const second = entry(3, 2);
    expect(table.insert(first)).toBe(true);
    expect(table.insert(second)).toBe(false);
    expect(countOf(second)).toBe(0);
    kmemCacheFree(cache, second);
    const found = table.lookup(3)!;
    expect(found).toBe(first);
    expect(found.value).toBe(1);
    table.put(found);
  });

  it("replaces in place and drops the table's reference on the old object", () => {
    const table = makeTable({ buckets: 1 });
    for (const k of [1, 2, 3]) table.insert(entry(k));
    const old = table.lookup(2)!;
    const fresh = entry(2, 99);
    expect(table.replace(fresh)).toBe(true);
    // Same position in the chain; the old object lives on while we hold it.
    expect(table.chain(0).keys).toEqual([3, 2, 1]);
    expect(countOf(old)).toBe(1);
    expect(old.value).toBe(20);
    table.put(old);
    const now = table.lookup(2)!;
    expect(now).toBe(fresh);
    expect(now.value).toBe(99);
    table.put(now);
    // Replacing a key that is absent inserts.
    expect(table.replace(entry(4))).toBe(false);
    expect(table.size).toBe(4);
  });

  it('frees a deleted object only when the last reader puts it', () => {
    const table = makeTable();
    table.insert(entry(5));
    const held = table.lookup(5)!;
    expect(table.delete(5)).toBe(true);
    expect(countOf(held)).toBe(1);
    expect(held.key).toBe(5);
    table.put(held);
    expect(countOf(held)).toBe(0);
    // Freed into the type-stable cache: the next allocation reuses it at once.
    expect(kmemCacheAlloc(cache)).toBe(held);
  });

  it('ends every chain on the marker of its own bucket, and lists each key where it hashes', () => {
    const table = makeTable({ buckets: 8 });
    for (let k = 0; k < 40; k++) table.insert(entry(k * 7));
    let total = 0;
    for (let b = 0; b < 8; b++) {
      const { keys, nulls } = table.chain(b);
      expect(nulls).toBe(b);
      for (const k of keys) expect(table.bucketOf(k)).toBe(b);
      total += keys.length;
    }
    expect(total).toBe(40);
  });

  it('clears, freeing everything, so the cache can be destroyed', () => {
    const table = makeTable();
    for (let k = 0; k < 30; k++) table.insert(entry(k));
    expect(table.clear()).toBe(30);
    expect(table.size).toBe(0);
    for (let b = 0; b < table.buckets; b++) expect(table.chain(b).keys).toEqual([]);
    kmemCacheDestroy(cache);
  });

  it('lookupLocked finds the same objects under the bucket lock', () => {
    const table = makeTable();
    for (let k = 0; k < 10; k++) table.insert(entry(k));
    for (let k = 0; k < 12; k++) {
      const e = table.lookupLocked(k);
      if (k < 10) {
        expect(e!.key).toBe(k);
        table.put(e!);
      } else {
        expect(e).toBeNull();
      }
    }
  });
});

describe('lockless lookup races, replayed', () => {
  it('re-checks the key: an object freed and reused between match and reference is not returned', () => {
    const table = makeTable({ buckets: 1 });
    table.insert(entry(1));
    table.insert(entry(2));
    let replayed = false;
    hook = (phase) => {
      if (phase !== 'match' || replayed) return;
      replayed = true;
      // The reader has matched key 2. A writer now deletes it, and the memory, freed at once,
      // is reused for key 9 and inserted again.
      expect(table.delete(2)).toBe(true);
      const reused = entry(9);
      expect(table.insert(reused)).toBe(true);
    };
    expect(table.lookup(2)).toBeNull();
    expect(replayed).toBe(true);
    expect(table.stats().recheckRestarts).toBe(1);
    const nine = table.lookup(9)!;
    expect(nine.key).toBe(9);
    table.put(nine);
  });

  it('without the re-check returns the wrong object (what the torture test must catch)', () => {
    const table = makeTable({ buckets: 1, unsafe: true });
    table.insert(entry(1));
    table.insert(entry(2));
    let replayed = false;
    hook = (phase) => {
      if (phase !== 'match' || replayed) return;
      replayed = true;
      table.delete(2);
      table.insert(entry(9));
    };
    const wrong = table.lookup(2)!;
    expect(wrong.key).toBe(9);
    table.put(wrong);
  });

  it("restarts a walk that ends on another bucket's marker, and still finds the key", () => {
    const table = makeTable({ buckets: 4 });
    // Chain of bucket b: [x, target] with x in front (inserted last).
    const target = 100;
    const b = table.bucketOf(target);
    let x = target + 1;
    while (table.bucketOf(x) !== b) x++;
    table.insert(entry(target));
    table.insert(entry(x));
    const elsewhere = keyOutside(table, b);
    let moved = false;
    hook = (phase) => {
      if (phase !== 'walk' || moved) return;
      moved = true;
      // The reader stands on x (head of the chain). x is deleted and its memory reused for a
      // key of another bucket: the reader's next step follows x into that chain.
      expect(table.delete(x)).toBe(true);
      const reused = entry(elsewhere);
      expect(table.insert(reused)).toBe(true);
    };
    const found = table.lookup(target)!;
    expect(found.key).toBe(target);
    table.put(found);
    expect(table.stats().nullsRestarts).toBe(1);
  });

  it("restarts a walk that missed while the object it stood on replaced its key's object", () => {
    const table = makeTable({ buckets: 1 });
    const target = 100;
    table.insert(entry(target, 1));
    table.insert(entry(5));
    // Chain: 5 -> 100. The reader looking for 100 reads key 5, then ...
    let replayed = false;
    hook = (phase) => {
      if (phase !== 'walk' || replayed) return;
      replayed = true;
      // ... object 5 is deleted, freed, and its memory reused at once to replace 100's
      // object in place: the chain is now just the reused object, whose next is the marker.
      expect(table.delete(5)).toBe(true);
      expect(table.replace(entry(target, 2))).toBe(true);
      expect(table.chain(0).keys).toEqual([target]);
    };
    // The reader follows the reused object's next to the marker of its own bucket, having
    // read its old key: without the replace sequence it would report 100 absent, although
    // 100 was in the table the whole time.
    const found = table.lookup(target)!;
    expect(replayed).toBe(true);
    expect(found.key).toBe(target);
    expect(found.value).toBe(2);
    table.put(found);
    expect(table.stats().writerRestarts).toBe(1);
  });

  it('restarts when the matched object cannot be referenced (being freed)', () => {
    const table = makeTable({ buckets: 1 });
    table.insert(entry(1));
    let armed = true;
    hook = (phase) => {
      if (phase !== 'match' || !armed) return;
      armed = false;
      table.delete(1);
    };
    expect(table.lookup(1)).toBeNull();
    expect(table.stats().refcountRestarts).toBe(1);
  });

  it('falls back to the bucket lock after maxRetries restarts', () => {
    const table = makeTable({ buckets: 1, maxRetries: 2 });
    table.insert(entry(1));
    table.insert(entry(2));
    // Every lockless attempt loses the race: the matched object is always replaced first.
    hook = (phase) => {
      if (phase !== 'match') return;
      table.replace(entry(2, Math.random()));
    };
    const e = table.lookup(2)!;
    expect(e.key).toBe(2);
    table.put(e);
    hook = null;
    expect(table.stats().lockFallbacks).toBe(1);
    expect(table.stats().refcountRestarts + table.stats().recheckRestarts).toBe(2);
  });
});

describe('reference-free read()', () => {
  it('reads number fields of present keys and undefined for absent ones, as readLocked() does', () => {
    const table = makeTable({ buckets: 4 });
    for (let k = 0; k < 40; k++) {
      const e = entry(k, k * 1.5);
      e.hits = 4_000_000_000 + k;
      table.insert(e);
    }
    for (let k = -5; k < 45; k++) {
      const present = k >= 0 && k < 40;
      expect(table.read(k, 'value')).toBe(present ? k * 1.5 : undefined);
      expect(table.read(k, 'hits')).toBe(present ? 4_000_000_000 + k : undefined);
      expect(table.read(k, 'key')).toBe(present ? k : undefined);
      expect(table.readLocked(k, 'value')).toBe(present ? k * 1.5 : undefined);
      expect(table.readLocked(k, 'hits')).toBe(present ? 4_000_000_000 + k : undefined);
    }
    // No reference was taken: every object still holds the table's one.
    for (let k = 0; k < 40; k++) {
      const e = table.lookup(k)!;
      expect(countOf(e)).toBe(2);
      table.put(e);
    }
    expect(table.stats().reads).toBe(150);
    expect(table.stats().readRestarts).toBe(0);
  });

  it('reads every number kind as its getter does, a stored NaN included', () => {
    const AllKinds = defineStruct(
      'all-kinds',
      {
        refcnt: 'refcount',
        key: 'i32',
        node: 'hlistNulls',
        a: 'i8',
        b: 'u8',
        c: 'i16',
        d: 'u16',
        e: 'u32',
        f: 'f32',
        g: 'f64',
      },
      { typesafeByRcu: true },
    );
    const kindsCache = kmemCacheCreate(heap, 'all-kinds', AllKinds, { flags: SLAB_TYPESAFE_BY_RCU });
    const table = rcuHashTableCreate(heap, 'all-kinds', {
      cache: kindsCache,
      key: 'key',
      refcount: 'refcnt',
      node: 'node',
      buckets: 2,
    });
    const rows = [
      { key: -7, a: -128, b: 255, c: -32768, d: 65535, e: 4_294_967_295, f: 0.1, g: NaN },
      { key: 3, a: 127, b: 0, c: 12345, d: 1, e: 2 ** 31, f: -0, g: -Infinity },
    ];
    for (const row of rows) {
      const o = kmemCacheAlloc(kindsCache);
      Object.assign(o, row);
      expect(table.insert(o)).toBe(true);
    }
    for (const row of rows) {
      const o = table.lookup(row.key)!;
      for (const field of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'key'] as const) {
        expect(Object.is(table.read(row.key, field), o[field]), `${row.key}.${field}`).toBe(true);
        expect(Object.is(table.readLocked(row.key, field), o[field]), `${row.key}.${field} locked`).toBe(true);
      }
      table.put(o);
    }
    expect(table.read(-7, 'g')).toBeNaN();
    expect(table.read(-7, 'f')).toBe(Math.fround(0.1));
    expect(table.read(4, 'g')).toBeUndefined();
  });

  it('makes its first attempt in no read-side section, the retries in one, and leaves none behind', () => {
    const table = makeTable({ buckets: 1 });
    for (let k = 0; k < 32; k++) table.insert(entry(k));
    // One entry per 'match' call: whether a section was held there. The first attempt's match
    // replaces the entry, so that the attempt is discarded and a second one made.
    const held: boolean[] = [];
    hook = (phase) => {
      if (phase !== 'match') return;
      held.push(rcuReadLockHeld());
      if (held.length === 1) expect(table.replace(entry(3, 33))).toBe(true);
    };
    expect(table.read(3, 'value')).toBe(33);
    expect(held).toEqual([false, true]);
    expect(table.stats().readRestarts).toBe(1);
    expect(rcuReadLockHeld()).toBe(false);
    hook = null;
    for (let n = 0; n < 1000; n++) {
      table.read(n % 64, 'value');
      expect(rcuReadLockHeld()).toBe(false);
    }
    rcuReadLock();
    expect(table.read(4, 'value')).toBe(40);
    expect(rcuReadLockHeld()).toBe(true);
    rcuReadUnlock();
    // A section left open would make this wait forever (the test times out).
    synchronizeRcu();
  });

  it('takes a trap on memory reused meanwhile as a discarded attempt, and finds the key in its retry', () => {
    // Chain: 2 -> 1 (insertion at the head). The reader, looking for 1, stands on 2 when a
    // writer deletes 2 (freed at once) and the memory is reused by something that is not a
    // chain node: its `next` word now holds a value no load may follow (misaligned and far
    // beyond the heap), as a word of another cache's object would.
    const table = makeTable({ buckets: 1 });
    table.insert(entry(1, 10));
    const two = entry(2, 20);
    const nextWord = (addressOf(two) + offsetOf(Entry, 'node')) >> 2;
    table.insert(two);
    // The word the reuse overwrote, put back after the read: the cache's memory again.
    const saved: { word?: number } = {};
    hook = (phase) => {
      if (phase !== 'walk' || saved.word !== undefined) return;
      expect(table.delete(2)).toBe(true);
      saved.word = heap.views.i32[nextWord]!;
      heap.views.i32[nextWord] = 0x7ffffff6;
    };
    try {
      expect(table.read(1, 'value')).toBe(10);
    } finally {
      if (saved.word !== undefined) heap.views.i32[nextWord] = saved.word;
    }
    expect(saved.word).toBeDefined();
    expect(table.stats().readRestarts).toBe(1);
    hook = null;
    expect(table.read(2, 'value')).toBeUndefined();
  });

  it('reads from a QSBR reader, in the section its online state already is', () => {
    const table = makeTable();
    table.insert(entry(5, 55));
    rcuRegisterThreadQsbr();
    try {
      let heldInside = false;
      hook = () => {
        heldInside = rcuReadLockHeld();
      };
      expect(table.read(5, 'value')).toBe(55);
      expect(heldInside).toBe(true);
      expect(table.read(6, 'value')).toBeUndefined();
      // Without the hook: the fast path, no section entered (the reader is always in one).
      const plain = rcuHashTableCreate(heap, 'qsbr-plain', { cache, key: 'key', refcount: 'refcnt', node: 'node' });
      plain.insert(entry(7, 77));
      plain.insert(entry(8, NaN));
      expect(plain.read(7, 'value')).toBe(77);
      expect(plain.read(8, 'value')).toBeNaN();
      expect(plain.read(9, 'value')).toBeUndefined();
      expect(plain.stats().reads).toBe(3);
      rcuQuiescentState();
    } finally {
      rcuUnregisterThreadQsbr();
    }
    expect(rcuReadLockHeld()).toBe(false);
  });

  it('discards a value read from an object freed and reused for another key meanwhile', () => {
    const table = makeTable({ buckets: 1 });
    table.insert(entry(1));
    const two = entry(2, 20);
    const twoAddress = addressOf(two);
    table.insert(two);
    let replayed = false;
    hook = (phase) => {
      if (phase !== 'match' || replayed) return;
      replayed = true;
      // The reader has matched key 2. A writer deletes it, and its memory, freed at once,
      // comes back for key 9 and is inserted again.
      expect(table.delete(2)).toBe(true);
      const reused = entry(9, 90);
      expect(addressOf(reused)).toBe(twoAddress);
      expect(table.insert(reused)).toBe(true);
    };
    expect(table.read(2, 'value')).toBeUndefined();
    expect(replayed).toBe(true);
    expect(table.stats().readRestarts).toBe(1);
    expect(table.read(9, 'value')).toBe(90);
  });

  it("without the validation returns the reused object's value (what the torture test must catch)", () => {
    const table = makeTable({ buckets: 1, unsafeRead: true });
    table.insert(entry(1));
    table.insert(entry(2, 20));
    let replayed = false;
    hook = (phase) => {
      if (phase !== 'match' || replayed) return;
      replayed = true;
      table.delete(2);
      table.insert(entry(9, 90));
    };
    expect(table.read(2, 'value')).toBe(90);
  });

  it('reading while replace() runs gives the new value after a retry, never none', () => {
    const table = makeTable({ buckets: 1 });
    table.insert(entry(2, 20));
    let replayed = false;
    hook = (phase) => {
      if (phase !== 'match' || replayed) return;
      replayed = true;
      expect(table.replace(entry(2, 21))).toBe(true);
    };
    expect(table.read(2, 'value')).toBe(21);
    expect(table.stats().readRestarts).toBe(1);
  });

  it('falls back to the bucket lock after maxRetries discarded attempts', () => {
    const table = makeTable({ buckets: 1, maxRetries: 3 });
    table.insert(entry(2, 20));
    let n = 0;
    hook = (phase) => {
      if (phase === 'match') table.replace(entry(2, 100 + ++n));
    };
    expect(table.read(2, 'value')).toBe(103);
    expect(table.stats().readRestarts).toBe(3);
    expect(table.stats().lockFallbacks).toBe(1);
  });

  it('reads objects another worker put in memory the heap grew for, locked or not', async () => {
    // The test's heap starts at 1 MiB; 60,000 items of 32 bytes make it grow.
    const { table } = openItemTable(heap, 'grown', { buckets: 64 });
    const before = heap.views.u8.length;
    const worker = new Worker(new URL('../../dist/workers/hash-filler-worker.js', import.meta.url), {
      workerData: { shared: heap.share(), name: 'grown', buckets: 64, from: 0, count: 60_000 },
    });
    const exited = once(worker, 'exit');
    expect((await once(worker, 'message'))[0]).toBe('filled');
    await exited;
    expect(heap.byteLength).toBeGreaterThan(before); // the objects lie beyond this thread's views
    for (const key of [0, 1, 30_000, 59_999]) {
      expect(table.readLocked(key, 'check')).toBe(checkOf(key));
      expect(table.read(key, 'value')).toBe(key * 0.5);
    }
    expect(table.read(60_000, 'value')).toBeUndefined();
  });

  it('with maxRetries 0 reads and looks up under the bucket lock only, hook or none', () => {
    const withHook = makeTable({ maxRetries: 0 });
    const plain = rcuHashTableCreate(heap, 'no-retries', {
      cache,
      key: 'key',
      refcount: 'refcnt',
      node: 'node',
      maxRetries: 0,
    });
    for (const table of [withHook, plain]) {
      table.insert(entry(1, 10));
      expect(table.read(1, 'value')).toBe(10);
      expect(table.read(2, 'value')).toBeUndefined();
      const e = table.lookup(1)!;
      expect(e.value).toBe(10);
      table.put(e);
      expect(table.lookup(2)).toBeNull();
      expect(table.stats().lockFallbacks).toBe(4);
      expect(rcuReadLockHeld()).toBe(false);
    }
  });

  it.each([
    [
      'refcnt',
      /'refcnt' is a refcount field; read\w*\(\) reads number fields \(i32, u32, f64, f32, i8, u8, i16, u16\)/,
    ],
    ['node', /'node' is a hlistNulls field/],
    ['nope', /struct 'entry' has no field "nope"/],
  ])('refuses to read field %s with HashTableMisuseError', (field, message) => {
    const table = makeTable();
    table.insert(entry(1));
    expect(() => table.read(1, field as 'value')).toThrow(HashTableMisuseError);
    expect(() => table.read(1, field as 'value')).toThrow(message);
    expect(() => table.readLocked(1, field as 'value')).toThrow(message);
    expect(rcuReadLockHeld()).toBe(false);
  });

  it('refuses a bigint field and a key that is not an int32', () => {
    const Wide = defineStruct(
      'wide',
      { refcnt: 'refcount', key: 'i32', node: 'hlistNulls', big: 'u64' },
      { typesafeByRcu: true },
    );
    const wideCache = kmemCacheCreate(heap, 'wides', Wide, { flags: SLAB_TYPESAFE_BY_RCU });
    const table = rcuHashTableCreate(heap, 'wide', { cache: wideCache, key: 'key', refcount: 'refcnt', node: 'node' });
    // @ts-expect-error: a bigint field is not a NumberFieldName
    expect(() => table.read(1, 'big')).toThrow(/'big' is a u64 field/);
    const numbers = makeTable();
    expect(() => numbers.read(1.5, 'value')).toThrow(/key 1.5 is not a 32-bit signed integer/);
    expect(() => numbers.read(2 ** 31, 'value')).toThrow(/is not a 32-bit signed integer/);
  });

  it('refuses read() and lookup() from a thread that detached, and answers again once attached', () => {
    // No test hook: read()'s common case, which tests the thread itself.
    const open = (h: Heap) =>
      rcuHashTableCreate(h, 'attach-check', {
        cache: kmemCacheCreate(h, 'entries', Entry, { flags: SLAB_TYPESAFE_BY_RCU }),
        key: 'key',
        refcount: 'refcnt',
        node: 'node',
      });
    const table = open(heap);
    table.insert(entry(5));
    expect(table.read(5, 'value')).toBe(50);
    const shared = heap.share();
    heap.detach();
    try {
      expect(() => table.read(5, 'value')).toThrow(HeapAttachmentError);
      expect(() => table.lookup(5)).toThrow(HeapAttachmentError);
    } finally {
      heap = attachHeap(shared, { threadName: 'hash-table-test' });
    }
    // Attached again through a new Heap object: the old table object stays the old one's.
    expect(() => table.read(5, 'value')).toThrow(HeapAttachmentError);
    expect(open(heap).read(5, 'value')).toBe(50);
    expect(open(heap).read(6, 'value')).toBeUndefined();
  });
});

describe('misuse', () => {
  it.each([
    [{ buckets: 3 }, /power of two/],
    [{ buckets: 0 }, /power of two/],
    [{ maxRetries: -1 }, /maxRetries/],
    [{ key: 'value' }, /options.key must name a i32 field/],
    [{ key: 'nope' }, /'nope' is not a field/],
    [{ refcount: 'key' }, /options.refcount/],
    [{ node: 'hits' }, /options.node/],
  ])('rejects %o with HashTableMisuseError', (bad, message) => {
    const options = { cache, key: 'key', refcount: 'refcnt', node: 'node', ...bad };
    expect(() => rcuHashTableCreate(heap, 'bad', options)).toThrow(HashTableMisuseError);
    expect(() => rcuHashTableCreate(heap, 'bad', options)).toThrow(message);
  });

  it.each(['', 'x'.repeat(28), 'é'.repeat(14)])('rejects the table name %j', (name) => {
    expect(() => rcuHashTableCreate(heap, name, { cache, key: 'key', refcount: 'refcnt', node: 'node' })).toThrow(
      /1 to 27 bytes/,
    );
  });

  it('rejects a struct that is not type-stable', () => {
    const Plain = defineStruct('plain', { refcnt: 'refcount', key: 'i32', node: 'hlistNulls' });
    const plain = kmemCacheCreate(heap, 'plain', Plain, {});
    expect(() =>
      rcuHashTableCreate(heap, 'plain', { cache: plain, key: 'key', refcount: 'refcnt', node: 'node' }),
    ).toThrow(/not declared typesafeByRcu/);
  });

  it('refuses to open a table of the same name declared differently', () => {
    rcuHashTableCreate(heap, 'same', { cache, key: 'key', refcount: 'refcnt', node: 'node', buckets: 8 });
    expect(() =>
      rcuHashTableCreate(heap, 'same', { cache, key: 'key', refcount: 'refcnt', node: 'node', buckets: 16 }),
    ).toThrow(HashTableMisuseError);
  });

  it('refuses an object of another cache of the same struct', () => {
    const table = makeTable();
    const others = kmemCacheCreate(heap, 'other-entries', Entry, { flags: SLAB_TYPESAFE_BY_RCU });
    const stranger = kmemCacheAlloc(others);
    stranger.key = 1;
    expect(() => table.insert(stranger)).toThrow(/another cache/);
    expect(table.size).toBe(0);
  });

  it('refuses an object that is already in a table or referenced, and changes nothing', () => {
    const table = makeTable();
    const e = entry(1);
    table.insert(e);
    expect(() => table.insert(e)).toThrow(/fresh from kmemCacheAlloc/);
    expect(() => table.replace(e)).toThrow(HashTableMisuseError);
    expect(table.size).toBe(1);
    expect(countOf(e)).toBe(1);
  });

  it.each([1.5, 2 ** 31, Number.NaN, '1' as unknown as number])('rejects the key %s', (key) => {
    const table = makeTable();
    expect(() => table.lookup(key)).toThrow(HashTableMisuseError);
    expect(() => table.delete(key)).toThrow(HashTableMisuseError);
  });

  it('reports a put() too many without freeing twice', () => {
    const table = makeTable();
    table.insert(entry(1));
    const e = table.lookup(1)!;
    table.put(e);
    table.delete(1);
    expect(() => table.put(e)).toThrow(/refcount 0/);
  });
});

describe('a writer that dies holding a bucket lock', () => {
  it('does not wedge the bucket, and its half-done insertion is repaired', async () => {
    const table = rcuHashTableCreate(heap, 'dying', {
      cache,
      key: 'key',
      refcount: 'refcnt',
      node: 'node',
      buckets: 1,
    });
    const a = entry(1);
    const b = entry(2);
    table.insert(a);
    table.insert(b); // chain: 2 -> 1
    // White box, on purpose: the table's root is [64-byte header][head, lock, seq] per bucket.
    const root = heap.root('hash:dying', 64 + 12, 64);
    const nodeOffset = offsetOf(Entry, 'node');
    const worker = heap.watchWorker(
      new Worker(new URL('../../dist/workers/hash-lock-holder-worker.js', import.meta.url), {
        workerData: {
          shared: heap.share(),
          lockByte: root + 64 + 4,
          // 1's pprev still naming the head: as if 2's insertion died before its last store.
          staleByte: addressOf(a) + nodeOffset + 4,
          staleValue: root + 64,
        },
      }),
    );
    const exited = once(worker, 'exit');
    expect((await once(worker, 'message'))[0]).toBe('locked');
    await worker.terminate();
    await exited;
    // The next writer takes the lock over, repairs the chain, and unlinks 1 correctly: a
    // stale pprev would have unlinked 2 with it.
    expect(table.delete(1)).toBe(true);
    expect(table.chain(0).keys).toEqual([2]);
    const found = table.lookup(2)!;
    expect(found).toBe(b);
    table.put(found);
    expect(table.insert(entry(3))).toBe(true);
    expect(table.chain(0).keys).toEqual([3, 2]);
  });

  it('leaves no bucket that read() must keep retrying when it died mid-change', async () => {
    const table = rcuHashTableCreate(heap, 'dying-seq', {
      cache,
      key: 'key',
      refcount: 'refcnt',
      node: 'node',
      buckets: 1,
    });
    table.insert(entry(2, 20));
    // White box: [64-byte header][head, lock, seq]; the worker leaves seq odd, as a writer
    // dying between its two increments does.
    const root = heap.root('hash:dying-seq', 64 + 12, 64);
    const seqWord = (root + 64 + 8) >> 2;
    const worker = heap.watchWorker(
      new Worker(new URL('../../dist/workers/hash-lock-holder-worker.js', import.meta.url), {
        workerData: {
          shared: heap.share(),
          lockByte: root + 64 + 4,
          staleByte: root + 64 + 8,
          staleValue: Atomics.load(heap.views.i32, seqWord) + 1,
        },
      }),
    );
    const exited = once(worker, 'exit');
    expect((await once(worker, 'message'))[0]).toBe('locked');
    await worker.terminate();
    await exited;
    // Every lockless attempt sees a writer at work; the fallback takes the lock over, ends the
    // dead writer's change, and reads.
    expect(table.read(2, 'value')).toBe(20);
    expect(table.stats().lockFallbacks).toBe(1);
    expect(Atomics.load(heap.views.i32, seqWord) & 1).toBe(0);
    expect(table.read(2, 'value')).toBe(20);
    expect(table.stats().lockFallbacks).toBe(1);
  });
});
