/**
 * @fileoverview An RCU hash table over hlist_nulls chains, for objects of a
 * SLAB_TYPESAFE_BY_RCU cache: lookups take no lock, writers take one spinlock per bucket,
 * and a deleted object is freed into its cache at once, without waiting for a grace period.
 *
 * ```ts
 * const Sock = defineStruct('sock', { refcnt: 'refcount', key: 'i32', node: 'hlistNulls', value: 'f64' },
 *   { typesafeByRcu: true });
 * const cache = kmemCacheCreate(heap, 'sock', Sock, { flags: SLAB_TYPESAFE_BY_RCU });
 * const table = rcuHashTableCreate(heap, 'socks', { cache, key: 'key', refcount: 'refcnt', node: 'node' });
 * const s = table.lookup(42);          // a referenced object, or null
 * if (s !== null) try { use(s.value) } finally { table.put(s) }
 * ```
 *
 * Why lookups are safe without a grace period before reuse (Documentation/RCU/rculist_nulls.rst):
 * the cache's memory stays of this type while the reader holds rcuReadLock(), so reading a key
 * or a `next` word of an object that was freed meanwhile reads a key or a `next`, never
 * something else. The reader must then cope with three things:
 * 1. **The object it matched may be another object by now.** A reader that saw key K takes a
 *    reference with refcountIncNotZero() (which fails on a free object: count 0) and then
 *    re-reads the key. If the object was freed and reused for key J in between, the re-check
 *    sees J: the reader drops its reference and restarts.
 * 2. **The object it stood on may have moved to another chain.** Then the reader's walk
 *    follows the new chain to its end, a nulls marker naming the other bucket: the reader
 *    restarts, because the key may have been in the part of its own chain it never saw.
 * 3. **The object it stood on may have been reused, in its own chain, for the key it wants**
 *    (replace() links the new object where the old one was): it read the old key, then follows
 *    a next that leads past its key's position. Every writer bumps a per-bucket sequence
 *    count before it changes the chain and after; a walk that misses re-reads it and
 *    restarts if it moved (which also catches the second race: an object leaves a chain only
 *    by a change that bumps it).
 * A reader restarts a bounded number of times (`maxRetries`), then takes the bucket lock and
 * walks the chain with no writer running, so a lookup always ends.
 *
 * Writers (insert, delete, replace) serialize on the bucket's spinlock. Insertion order: the
 * caller sets the key before calling insert(); the object is added at the head of its chain
 * (the publishing store); its refcount goes from 0 to 1 last. Until then a reader that finds
 * it cannot take a reference and restarts, and a reader that reaches it through a previous
 * life sees the new key when it re-checks after a successful increment. (Recent versions of
 * rculist_nulls.rst set the refcount with release ordering just before linking instead; both
 * orders keep what matters: the key is visible before the count is nonzero.)
 *
 * read() gets one field's value without a reference: it validates what it read by the
 * bucket's sequence count instead, as the kernel's seqcount readers do, and so can make its
 * first attempt outside any read-side section (see read()).
 *
 * Beside it: table-options.ts checks the options, table-root.ts opens the table's root,
 * table-writer.ts changes the chains, and buckets.ts holds what is done under a bucket lock
 * alone.
 */

import { installTableDebug } from '../debug/table-debug.js';
import { HashTableMisuseError, HeapAttachmentError, RefcountError } from '../errors.js';
import { threadLocal } from '../heap/thread-context.js';
import {
  HashLookup as AtomicsHashLookup,
  HashLookupFlag as AtomicsHashLookupFlag,
  HashRead as AtomicsHashRead,
  setLookupDelay,
  type HeapAtomics,
} from '../heap/atomics.js';
import type { Heap, HeapViews } from '../heap/heap.js';
import {
  BUCKET_BYTES as LAYOUT_BUCKET_BYTES,
  BucketWord as LayoutBucketWord,
  RcuWord as LayoutRcuWord,
  TABLE_HEADER_BYTES,
  TableWord,
} from '../heap/layout.js';
// The full read-side functions, not the exported bindings: see rcu/read-side.ts (QSBR fast path) for why.
import {
  rcuOwnSectionWord as readSideOwnSectionWord,
  rcuQsbrSectionImplicit as readSideQsbrSectionImplicit,
  rcuReadLockFull,
  rcuReadUnlockFull,
} from '../rcu/read-side.js';
import { REFCOUNT_MAX } from '../refcount.js';
import { kmemCacheFree } from '../slab/alloc-free.js';
import type { KmemCache } from '../slab/cache-handle.js';
import { objectMapOf, resolveIn, type ObjectMap } from '../slab/object-map.js';
import { spinUnlock } from '../spinlock.js';
import type { AnyStructDef, NumberFieldName, NumberKind, StructRef } from '../struct.js';
import { structOf, type StructObjectBase } from '../struct-object.js';
import {
  checkTableName,
  notAReadField,
  readFieldsOf,
  tableConfig,
  type ReadField,
  type RcuHashTableOptions,
} from './table-options.js';
import { Buckets } from './buckets.js';
import { PPREV_POISON } from './hlist-nulls.js';
import { openTableRoot } from './table-root.js';
import { newTableStats, sharedTableStats, type RcuHashTableStats } from './table-stats.js';
import { objectLabel, TableWriter } from './table-writer.js';

/** Longest walk of one chain before a lockless lookup gives up and restarts. */
const MAX_WALK_STEPS = 1 << 16;
/**
 * The bucket layout, and the other imports the lookup and read() paths use, under
 * module-local names: V8 checks an imported binding for the temporal dead zone on every
 * access (see `tl` in rcu/read-side.ts).
 */
const BucketWord = LayoutBucketWord;
const BUCKET_BYTES = LAYOUT_BUCKET_BYTES;
const RcuWord = LayoutRcuWord;
const HashLookup = AtomicsHashLookup;
const HashLookupFlag = AtomicsHashLookupFlag;
const HashRead = AtomicsHashRead;
const rcuOwnSectionWord = readSideOwnSectionWord;
const rcuQsbrSectionImplicit = readSideQsbrSectionImplicit;
const tl = threadLocal;

export class RcuHashTable<D extends AnyStructDef> {
  readonly heap: Heap;
  readonly name: string;
  readonly struct: D;
  readonly cache: KmemCache<D>;
  /** Number of buckets (a power of two). */
  readonly buckets: number;
  readonly #shift: number;
  readonly #rootWord: number;
  readonly #bucketsByte: number;
  readonly #keyOffset: number;
  readonly #refcountOffset: number;
  readonly #nodeOffset: number;
  readonly #maxRetries: number;
  /** hashLookup() flags: the test-only breakages and hook (HashLookupFlag). */
  readonly #lookupFlags: number;
  /** The test hook, as the WebAssembly walk calls it (phase 0 at a node, 1 at the match). */
  readonly #delay: ((phase: number) => void) | null;
  readonly #buckets: Buckets;
  /** insert(), replace(), delete() and clear() under the bucket locks. */
  readonly #writer: TableWriter;
  /** The heap's views (heap.views, never replaced: a remap updates it in place). */
  readonly #views: HeapViews;
  /** This worker's object map of the heap: #object() resolves through it. */
  readonly #map: ObjectMap;
  /** this.struct.layout.size, read on every lookup and put(). */
  readonly #objectSize: number;
  readonly #stats: RcuHashTableStats = newTableStats();
  /** The fields read() can read: name -> offset and kind. */
  readonly #readFields: Map<string, ReadField>;
  /** The field the last read() read: most call sites read one field, and a hit saves the map. */
  #lastReadField: ReadField | null = null;
  /** hashRead() flags: the test-only breakage and hook. */
  readonly #readFlags: number;
  /** maxRetries > 0 and no test hook: read()'s common case, whose first attempt is in no section. */
  readonly #seqlockFirst: boolean;

  /** @internal Use rcuHashTableCreate(). */
  constructor(heap: Heap, name: string, options: RcuHashTableOptions<D>) {
    const where = `rcuHashTableCreate('${name}')`;
    const c = tableConfig(where, options);
    this.heap = heap;
    this.name = name;
    this.struct = c.struct;
    this.cache = c.cache;
    this.buckets = c.buckets;
    // Math.imul(key, φ) >>> shift keeps the top `bits` bits; `>>> 32` would keep all of them,
    // so a single bucket uses shift 32 and the index is masked below.
    this.#shift = 32 - c.bits;
    this.#keyOffset = c.keyOffset;
    this.#refcountOffset = c.refcountOffset;
    this.#nodeOffset = c.nodeOffset;
    this.#maxRetries = c.maxRetries;
    this.#lookupFlags = c.lookupFlags;
    this.#readFlags = c.readFlags;
    const delay = c.delay;
    this.#delay = delay === null ? null : (phase) => delay(phase === 0 ? 'walk' : 'match');
    this.#seqlockFirst = c.maxRetries > 0 && c.delay === null;
    this.#readFields = readFieldsOf(c.struct);
    this.#views = heap.views;
    this.#map = objectMapOf(heap);
    this.#objectSize = c.struct.layout.size;
    const rootByte = openTableRoot(heap, name, where, c);
    this.#rootWord = rootByte >> 2;
    this.#bucketsByte = rootByte + TABLE_HEADER_BYTES;
    this.#buckets = new Buckets(heap, name, this.#bucketsByte, c.buckets, c.nodeOffset, c.keyOffset, MAX_WALK_STEPS);
    this.#writer = new TableWriter(this.#buckets, this.#rootWord, c.refcountOffset, c.struct.name);
    if (heap.debug !== null) installTableDebug(this, c.refcountOffset, c.struct, c.keyOffset);
  }

  // -------------------------------------------------------------------------------------
  // Readers
  // -------------------------------------------------------------------------------------

  /**
   * Find the object with `key` and take a reference on it: the caller must put() it. Returns
   * null when no object has that key. Runs inside its own rcuReadLock() (nesting in the
   * caller's, if any); the reference is what keeps the object from being freed after that.
   */
  lookup(key: number): StructRef<D> | null {
    const address = this.lookupAddress(key);
    return address === 0 ? null : this.#object(address);
  }

  /**
   * lookup() on addresses: the referenced object's heap address, or 0. For code that passes
   * addresses between workers or wants no object at all; release with putAddress().
   */
  lookupAddress(key: number): number {
    checkKey(key, this.name);
    // The section below is entered with the caller's reader slot: in another heap it would
    // be another thread's counter.
    if (tl.current?.heap !== this.heap) this.#notAttached('lookup');
    this.#stats.lookups++;
    const bucket = this.#bucketOf(key);
    // A default-flavor reader outside any section lets each attempt run in a section of its
    // own, entered and left inside the one WebAssembly call: an attempt starts over from the
    // bucket's head and keeps nothing from the last but a reference, which needs no section.
    // An online QSBR reader is always in a section. Otherwise (nested, or with a test hook,
    // which runs JavaScript inside the call, where a section of the call's own would count
    // no nesting) the lookup runs in rcuReadLock() as any reader does: #lookupInSection().
    // The common path, found or missed at the first attempt, is kept short enough for V8 to
    // inline into the caller.
    const ownSectionWord = this.#delay === null ? rcuOwnSectionWord() : -1;
    if (this.#withoutReadLock(ownSectionWord)) {
      const flags = ownSectionWord >= 0 ? this.#lookupFlags | HashLookupFlag.OWN_SECTION : this.#lookupFlags;
      const r = this.#lookupAttempt(bucket, key, flags, ownSectionWord);
      if (r > 0 && (r & 3) === 0) return r;
      if (r === HashLookup.MISS) return 0;
      return this.#lookupAttempts(bucket, key, flags, ownSectionWord, r);
    }
    return this.#lookupInSection(bucket, key);
  }

  /**
   * Whether lookupAddress() may make its first attempt without rcuReadLock():
   * in a section of the call's own (`ownSectionWord` not -1) or as an online QSBR reader,
   * never with the test hook, and only if an attempt is allowed at all (maxRetries > 0).
   */
  #withoutReadLock(ownSectionWord: number): boolean {
    return this.#maxRetries > 0 && (ownSectionWord >= 0 || (this.#delay === null && rcuQsbrSectionImplicit()));
  }

  /** lookupAddress() inside rcuReadLock(): nested, QSBR checked, or with the test hook. */
  #lookupInSection(bucket: number, key: number): number {
    const delay = this.#delay;
    rcuReadLockFull();
    if (delay !== null) setLookupDelay(delay);
    try {
      if (this.#maxRetries === 0) return this.#lookupFallback(key);
      return this.#lookupAttempts(
        bucket,
        key,
        this.#lookupFlags,
        -1,
        this.#lookupAttempt(bucket, key, this.#lookupFlags, -1),
      );
    } finally {
      if (delay !== null) setLookupDelay(null);
      rcuReadUnlockFull();
    }
  }

  /**
   * Act on the result `r` of a first attempt, and make the others: an address (the reference
   * taken), 0, or the lookup under the bucket lock once `maxRetries` attempts have failed.
   */
  #lookupAttempts(bucket: number, key: number, flags: number, ownSectionWord: number, r: number): number {
    for (let attempt = 1; ; attempt++) {
      if (r > 0) {
        if ((r & 3) === 0) return r;
        // Re-check failed: the object was freed and reused for another key.
        this.putAddress(r - 1);
        this.#restart('recheckRestarts');
      } else {
        switch (r) {
          case HashLookup.MISS:
            // The walk ended on our own marker with no writer in the bucket meanwhile: a
            // true miss. The third race, which replace() brings: the object we stood on,
            // whose old key we had read, was freed and reused to replace our key's object in
            // this very chain. Its next then points past our key's position, so the walk
            // ends here having missed a key that was present all along. Every writer bumps
            // the bucket's count before it links or unlinks anything, so a walk that saw any
            // of those stores sees the bump (both seq-cst) and gets WRITER_RAN instead.
            return 0;
          case HashLookup.WRITER_RAN:
            this.#restart('writerRestarts');
            break;
          case HashLookup.REFCOUNT_FAILED:
            // Free (count 0), or inserted but not yet published: try again.
            this.#restart('refcountRestarts');
            break;
          case HashLookup.FOREIGN_MARKER:
            // Ended on another bucket's marker (an object we stood on moved chains): what we
            // wanted may be in the part of our chain we never saw.
            this.#restart('nullsRestarts');
            break;
          case HashLookup.WALK_BOUND:
            this.#restart('walkBoundRestarts');
            break;
          default:
            throw new RefcountError(
              `table '${this.name}': the refcount of an object in bucket ${bucket} is saturated or corrupt`,
            );
        }
      }
      if (attempt >= this.#maxRetries) return this.#lookupFallback(key);
      r = this.#lookupAttempt(bucket, key, flags, ownSectionWord);
    }
  }

  /** After `maxRetries` failed attempts: the bucket lock, so that a lookup always ends. */
  #lookupFallback(key: number): number {
    this.#countLockFallback();
    return this.lookupLockedAddress(key);
  }

  #countLockFallback(): void {
    this.#stats.lockFallbacks++;
    Atomics.add(this.heap.views.i32, this.#rootWord + TableWord.LOCK_FALLBACKS, 1);
  }

  /** One attempt of the lockless lookup, in WebAssembly (heap/atomics.wat, hashLookup). */
  #lookupAttempt(bucket: number, key: number, flags: number, ownSectionWord: number): number {
    // One attempt, in WebAssembly (heap/atomics.wat, hashLookup), step by step:
    // - load the bucket's sequence count, before the head: pairs with the Atomics.add
    //   in TableWriter's #writeBegin() (see the miss case in #lookupAttempts());
    // - rcu_dereference(head), then of each node's next, with atomic loads: they pair
    //   with the publishing stores in hlistNullsAddHeadRcu() / hlistNullsReplaceRcu(), so
    //   the key and next of an object written before it was published are visible once
    //   its address is loaded;
    // - compare each node's key with a plain load: a racy read by design (the object may
    //   be freed and reused while we read), as the kernel's walk reads keys plainly. It
    //   comes after the atomic load of the link that led here, so it sees at least the key
    //   stored before that link was published. What it decides is only where to try;
    //   the refcount, the re-check, the marker and the sequence count decide what is
    //   returned;
    // - on a match, refcountIncNotZero(), then the re-check of the key. Our
    //   compareExchange read the refcount from the Atomics.store that published it (or
    //   from a chain of increments and decrements after it), so that store happens
    //   before the re-check's load, and so does the key store the writer made before it:
    //   if the object was reused for another key before our increment, the re-check sees
    //   that key. A plain load is enough for that (the memory model's happens-before, not
    //   the hardware): no later key store can race with it, since the key changes only on
    //   reuse and our reference keeps the object from being freed. Without the re-check a
    //   lookup can return an object whose key is not the key asked for.
    const headByte = this.#bucketsByte + bucket * BUCKET_BYTES;
    return this.heap.atomics.hashLookup(
      headByte,
      headByte + BucketWord.SEQ * 4,
      key,
      this.#keyOffset,
      this.#nodeOffset,
      this.#refcountOffset,
      MAX_WALK_STEPS,
      (bucket << 1) | 1, // nullsMarker(bucket), without its argument checks
      flags,
      REFCOUNT_MAX,
      ownSectionWord,
      RcuWord.GP_CTR,
    );
  }

  /**
   * The same lookup under the bucket's spinlock, the way a table without RCU reads: the chain
   * cannot change while it is walked, so no re-check or restart is needed. Used as the
   * fallback of lookup(), and by benchmarks as the locking baseline.
   */
  lookupLocked(key: number): StructRef<D> | null {
    checkKey(key, this.name);
    const address = this.lookupLockedAddress(key);
    return address === 0 ? null : this.#object(address);
  }

  /** lookupLocked() on addresses; release with putAddress(). */
  lookupLockedAddress(key: number): number {
    const headByte = this.#headByte(key);
    const lock = this.#buckets.lock(headByte);
    try {
      const found = this.#buckets.findLocked(headByte, key);
      if (found !== 0 && !incNotZero(this.heap.atomics, (found + this.#refcountOffset) >> 2, this.name)) {
        // Under the bucket lock every listed object holds the table's reference.
        throw new RefcountError(`${this.#label(found)}: refcount 0 on an object listed in table '${this.name}'`);
      }
      return found;
    } finally {
      spinUnlock(lock);
    }
  }

  /**
   * Read one number field of the object with `key`, taking no reference and no lock: the
   * reader writes nothing shared, so readers on many cores do not slow each other down.
   * Returns undefined when no object has that key. For the object itself (several fields
   * read together, or kept after the call), use lookup().
   *
   * Why a value read this way is one the object with `key` held while it was in the table,
   * though the object may be freed and reused for another key under the reader (see the
   * file comment): every writer makes its bucket's sequence count odd before changing the
   * chain and even after (hash/table-writer.ts); an object leaves the table, and so can be
   * freed and reused, only by such a change. One attempt is one WebAssembly call
   * (heap/atomics.wat, hashRead) that:
   * - loads the count, and tries again later if it is odd;
   * - walks the chain with atomic loads, comparing keys;
   * - on a match, loads the field with one atomic load of its width (never torn);
   * - loads the count again: unchanged, no writer began in the bucket since the first load,
   *   so the object was on the chain, under `key`, the whole time. Moved, the attempt is
   *   discarded.
   * The second load sees any such writer because every store involved is sequentially
   * consistent: the chain's links, the count, and the fields of type-stable structs, whose
   * setters are atomic (struct-object.ts, atomicSetter()). A reader whose field load returned a
   * value stored after a reuse is therefore ordered after the removal that came before the
   * reuse, and sees its increment. This is the kernel's seqcount read (read_seqcount_begin /
   * read_seqcount_retry), per bucket; it needs no key re-check and no nulls marker, though
   * a walk that ends on another bucket's marker is retried as well.
   *
   * The first attempt runs in no read-side section, and so writes nothing at all. A section
   * would keep the memory walked of this cache's type; the validation does not need that:
   * an attempt that passes it walked only objects that stayed on the chain, never freed. One
   * that fails it may have followed a word of memory reused by another cache, or given back
   * to the page allocator, and read garbage: in a SharedArrayBuffer that is harmless (its
   * memory is never unmapped, the walk is bounded by MAX_WALK_STEPS, and a load that
   * WebAssembly refuses, out of bounds or misaligned, traps and is caught), and the garbage is
   * discarded with the attempt. lookup() cannot do the same: its refcount increment writes.
   * The attempts after a failed one run in rcuReadLock(), where the memory stays type-stable.
   *
   * After `maxRetries` discarded attempts, reads under the bucket lock (readLocked()). Fields
   * a program updates in place while the object is in the table (rather than by replace())
   * are read whole, old or new. Throws HashTableMisuseError for a field that is not a
   * number field of the struct (bigint fields included) or a key that is not an int32.
   */
  read(key: number, field: NumberFieldName<D>): number | undefined {
    // The common case (a thread of this heap, found or missed at the first attempt) is tested
    // at once and kept short enough for V8 to inline into the caller; the rest: #readOther(),
    // #readInSection().
    const t = tl.current;
    const f = field === this.#lastReadField?.name ? this.#lastReadField : this.#readField(field, 'read');
    if ((key | 0) === key && t !== null && t.heap === this.heap && this.#seqlockFirst) {
      this.#stats.reads++;
      return this.#readSeqlock(this.#bucketOf(key), key, f);
    }
    return this.#readOther(key, f);
  }

  /** read() for every other caller: a bad key, not attached, the test hook, maxRetries 0. */
  #readOther(key: number, f: ReadField): number | undefined {
    checkKey(key, this.name);
    if (tl.current?.heap !== this.heap) this.#notAttached('read');
    this.#stats.reads++;
    const bucket = this.#bucketOf(key);
    if (this.#maxRetries === 0) return this.#readInSection(bucket, key, f, 0);
    const delay = this.#delay;
    if (delay === null) return this.#readSeqlock(bucket, key, f);
    // The test hook runs inside the first attempt as well: outside a section, nothing it does
    // in the middle of the walk can unbalance one.
    setLookupDelay(delay);
    try {
      return this.#readSeqlock(bucket, key, f);
    } finally {
      setLookupDelay(null);
    }
  }

  /**
   * read()'s first attempt, in no read-side section: a seqcount reader alone. What it returns
   * is validated by the bucket's count; what it walks on the way may be anything (the heap's
   * memory is never unmapped, and a load the WebAssembly bounds or alignment rules refuse
   * traps, which is caught here): read() says why that is enough.
   */
  #readSeqlock(bucket: number, key: number, f: ReadField): number | undefined {
    let value: number;
    try {
      value = this.#hashRead(this.#bucketsByte + bucket * BUCKET_BYTES, key, f, (bucket << 1) | 1, this.#readFlags);
    } catch {
      // A trap: the walk followed a word of memory reused for something else.
      this.#restart('readRestarts');
      return this.#readInSection(bucket, key, f, 1);
    }
    // Not NaN: found (a miss or a retry returns NaN; readStatus() then says which).
    if (value === value) return value;
    const status = this.heap.atomics.readStatus();
    if (status === HashRead.FOUND) return value;
    if (status === HashRead.MISS) return undefined;
    this.#restart('readRestarts');
    return this.#readInSection(bucket, key, f, 1);
  }

  /**
   * read()'s attempts from `attempt` on, in rcuReadLock(): after a first attempt that failed,
   * or with maxRetries 0, the lock alone.
   */
  #readInSection(bucket: number, key: number, f: ReadField, attempt: number): number | undefined {
    const headByte = this.#bucketsByte + bucket * BUCKET_BYTES;
    const homeMarker = (bucket << 1) | 1; // nullsMarker(bucket), without its argument checks
    const delay = this.#delay;
    rcuReadLockFull();
    if (delay !== null) setLookupDelay(delay);
    try {
      return this.#readAttempts(headByte, key, f, homeMarker, this.#readFlags, attempt);
    } finally {
      if (delay !== null) setLookupDelay(null);
      rcuReadUnlockFull();
    }
  }

  /** read()'s attempts from `attempt` on, then its fallback to the bucket lock. */
  #readAttempts(
    headByte: number,
    key: number,
    f: ReadField,
    homeMarker: number,
    flags: number,
    attempt: number,
  ): number | undefined {
    for (; attempt < this.#maxRetries; attempt++) {
      const value = this.#hashRead(headByte, key, f, homeMarker, flags);
      if (value === value) return value;
      const status = this.heap.atomics.readStatus();
      if (status === HashRead.FOUND) return value;
      if (status === HashRead.MISS) return undefined;
      this.#restart('readRestarts');
    }
    this.#countLockFallback();
    return this.#readLockedAt(headByte, key, f);
  }

  /** One attempt of read(), in WebAssembly (heap/atomics.wat, hashRead). */
  #hashRead(headByte: number, key: number, f: ReadField, homeMarker: number, flags: number): number {
    return this.heap.atomics.hashRead(
      headByte,
      headByte + BucketWord.SEQ * 4,
      key,
      this.#keyOffset,
      this.#nodeOffset,
      f.offset,
      f.code,
      MAX_WALK_STEPS,
      homeMarker,
      flags,
    );
  }

  /**
   * read() under the bucket's spinlock, the way a table without RCU reads a value: the chain
   * cannot change while it is walked. Used as read()'s fallback, and by benchmarks as the
   * locking baseline.
   */
  readLocked(key: number, field: NumberFieldName<D>): number | undefined {
    checkKey(key, this.name);
    return this.#readLockedAt(this.#headByte(key), key, this.#readField(field, 'readLocked'));
  }

  #readLockedAt(headByte: number, key: number, f: ReadField): number | undefined {
    const lock = this.#buckets.lock(headByte);
    try {
      const found = this.#buckets.findLocked(headByte, key);
      if (found === 0) return undefined;
      // Another worker may have grown the heap for this object since these views were made.
      const views = this.#views;
      this.heap.ensureMapped(found + this.#objectSize);
      // Plain load: a listed object's fields change only on reuse, which needs its removal,
      // which needs this lock.
      return views[f.kind][(found + f.offset) >> READ_SHIFT[f.kind]];
    } finally {
      spinUnlock(lock);
    }
  }

  #readField(field: unknown, what: string): ReadField {
    const f = this.#readFields.get(field as string);
    if (f !== undefined) return (this.#lastReadField = f);
    throw notAReadField(this.name, this.struct, field, what);
  }

  /**
   * Drop a reference taken by lookup(). The last reference frees the object into its cache
   * at once (type-stable memory needs no grace period before reuse).
   */
  put(obj: StructRef<D>): void {
    this.putAddress(this.#address(obj, 'put'));
  }

  /** put() on addresses. */
  putAddress(address: number): void {
    if (decAndTest(this.heap.atomics, (address + this.#refcountOffset) >> 2, this.name)) {
      // The last reference of an object still on a chain is the table's own: this put() is
      // one too many. Give the table its reference back and say so here, not later in
      // whichever thread next meets the freed object.
      const pprev = this.heap.views.i32[(address + this.#nodeOffset + 4) >> 2]!;
      if (pprev !== 0 && pprev !== PPREV_POISON) {
        Atomics.add(this.heap.views.i32, (address + this.#refcountOffset) >> 2, 1);
        throw new RefcountError(
          `table '${this.name}'.put(${objectLabel(this.struct.name, address)}): the object is still in the table and this ` +
            `put() dropped the table's own reference (one put() more than lookup() took); its reference is restored`,
        );
      }
      kmemCacheFree(this.cache, this.#object(address));
    }
  }

  #notAttached(what: string): never {
    throw new HeapAttachmentError(
      `table '${this.name}'.${what}(): the calling thread is not attached to the table's heap`,
    );
  }

  // -------------------------------------------------------------------------------------
  // Writers
  // -------------------------------------------------------------------------------------

  /**
   * Insert an object whose key the caller has set. The object must be fresh from the cache:
   * refcount 0 and on no chain. Returns false, changing nothing, when an object with that key
   * is already in the table (the caller still owns `obj` and may free it). On success the
   * table holds the object's one reference.
   */
  insert(obj: StructRef<D>): boolean {
    const address = this.#address(obj, 'insert');
    const key = this.#writer.freshKey(address, 'insert');
    return this.#writer.insert(address, this.#headByte(key), key);
  }

  /**
   * Insert `obj` (fresh, key set), replacing the object with the same key if there is one:
   * readers find either the old object or the new one, never neither. The table's reference
   * on the old object is dropped (freeing it unless readers still hold it). Returns true when
   * an object was replaced.
   */
  replace(obj: StructRef<D>): boolean {
    const address = this.#address(obj, 'replace');
    const key = this.#writer.freshKey(address, 'replace');
    const old = this.#writer.replace(address, this.#headByte(key), key);
    if (old === 0) return false;
    this.putAddress(old);
    return true;
  }

  /**
   * Remove the object with `key`, and drop the table's reference on it: it is freed into its
   * cache at once unless a reader holds a reference, in which case that reader's put() frees
   * it. Returns false when no object has that key.
   */
  delete(key: number): boolean {
    checkKey(key, this.name);
    const found = this.#writer.delete(this.#headByte(key), key);
    if (found === 0) return false;
    // After the unlock: the free may take the cache's locks (lock order: heap/lock-word.ts).
    this.putAddress(found);
    return true;
  }

  /** Delete every object (for instance before kmemCacheDestroy()). Returns how many. */
  clear(): number {
    let removed = 0;
    for (let b = 0; b < this.buckets; b++) {
      const victims = this.#writer.clearBucket(this.#bucketsByte + b * BUCKET_BYTES);
      for (const v of victims) this.putAddress(v);
      removed += victims.length;
    }
    return removed;
  }

  // -------------------------------------------------------------------------------------
  // Inspection
  // -------------------------------------------------------------------------------------

  /** Number of objects in the table now (all workers). */
  get size(): number {
    return Atomics.load(this.heap.views.i32, this.#rootWord + TableWord.COUNT);
  }

  /** This worker's lookup counters (a copy). */
  stats(): RcuHashTableStats {
    return { ...this.#stats };
  }

  /** Restarts and lock fallbacks of lockless lookups, summed over all workers. */
  sharedStats(): { restarts: number; lockFallbacks: number } {
    return sharedTableStats(this.heap.views.i32, this.#rootWord);
  }

  /** The bucket a key hashes to (for tests and diagnostics). */
  bucketOf(key: number): number {
    checkKey(key, this.name);
    return (this.#headByte(key) - this.#bucketsByte) / BUCKET_BYTES;
  }

  /**
   * The keys in one bucket's chain, head first, and the bucket number its nulls marker names,
   * read under the bucket lock (for tests and diagnostics).
   */
  chain(bucket: number): { keys: number[]; nulls: number } {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= this.buckets) {
      throw new HashTableMisuseError(`table '${this.name}': bucket ${bucket} is not in 0..${this.buckets - 1}`);
    }
    return this.#buckets.chain(this.#bucketsByte + bucket * BUCKET_BYTES);
  }

  // -------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------

  #restart(
    kind:
      | 'nullsRestarts'
      | 'recheckRestarts'
      | 'refcountRestarts'
      | 'walkBoundRestarts'
      | 'writerRestarts'
      | 'readRestarts',
  ): void {
    this.#stats[kind]++;
    Atomics.add(this.heap.views.i32, this.#rootWord + TableWord.RESTARTS, 1);
  }

  #headByte(key: number): number {
    return this.#bucketsByte + this.#bucketOf(key) * BUCKET_BYTES;
  }

  #bucketOf(key: number): number {
    return this.#shift === 32 ? 0 : Math.imul(key, 0x9e3779b1) >>> this.#shift;
  }

  #object(address: number): StructRef<D> {
    // objectAt() without its per-call objectMapOf(heap) lookup (a symbol-keyed property).
    return resolveIn(this.#map, this.struct, address) as unknown as StructRef<D>;
  }

  #address(obj: StructRef<D>, what: string): number {
    // Only objects of this table's cache carry it in $c: one load and compare rejects null,
    // non-objects, other structs and other caches alike (the slab's own free does the same).
    const o = obj as unknown as StructObjectBase | null | undefined;
    if (o?.$c !== this.cache) {
      const sameStruct = o !== null && typeof o === 'object' && structOf(o) === this.struct;
      throw new HashTableMisuseError(
        sameStruct
          ? // Another cache of the same struct: the table would later free it into the wrong cache.
            `table '${this.name}'.${what}(): the object comes from another cache than '${this.cache.name}', which this table frees into`
          : `table '${this.name}'.${what}(): expected a '${this.struct.name}' object from cache '${this.cache.name}'`,
      );
    }
    const address = o.$a;
    this.heap.ensureMapped(address + this.#objectSize);
    return address;
  }

  #label(address: number): string {
    return objectLabel(this.struct.name, address);
  }
}

/**
 * Create the table named `name` in the heap, or open it when another worker created it: every
 * worker calls this with the same options (and its own handle on the same cache).
 * Throws HashTableMisuseError for bad options, a cache that is not type-stable, fields of
 * the wrong kind, or a table of that name declared differently.
 */
export function rcuHashTableCreate<D extends AnyStructDef>(
  heap: Heap,
  name: string,
  options: RcuHashTableOptions<D>,
): RcuHashTable<D> {
  checkTableName(name);
  return new RcuHashTable(heap, name, options);
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/**
 * refcountIncNotZero on a word (refcount.ts semantics, without a handle per lookup; the
 * load-compareExchange loop runs in WebAssembly).
 */
function incNotZero(atomics: HeapAtomics, index: number, table: string): boolean {
  const v = atomics.incNotZero(index, REFCOUNT_MAX);
  if (v === 0) return false;
  if (v < 0 || v >= REFCOUNT_MAX)
    throw new RefcountError(`table '${table}': refcount ${v} at word ${index} is saturated or corrupt`);
  return true;
}

/** refcountDecAndTest on a word: true when this dropped the last reference. */
function decAndTest(atomics: HeapAtomics, index: number, table: string): boolean {
  const v = atomics.decAndTest(index);
  if (v <= 0)
    throw new RefcountError(`table '${table}': put() of an object with refcount ${v} (a reference dropped twice?)`);
  return v === 1;
}

/** log2 of each number kind's size: a field's index in its typed-array view. */
const READ_SHIFT: Readonly<Record<NumberKind, number>> = {
  i8: 0,
  u8: 0,
  i16: 1,
  u16: 1,
  i32: 2,
  u32: 2,
  f32: 2,
  f64: 3,
};

function checkKey(key: number, table: string): void {
  if ((key | 0) !== key)
    throw new HashTableMisuseError(`table '${table}': key ${String(key)} is not a 32-bit signed integer`);
}
