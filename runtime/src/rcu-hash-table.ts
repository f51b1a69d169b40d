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
 * bucket's sequence count instead, as the kernel's seqcount readers do (see read()).
 *
 * The table's root (a named heap root, so every worker finds it) holds a header and, per
 * bucket, three words: the chain head, the bucket's lock word and its sequence count.
 */

import { HashTableMisuseError, RefcountError, RootMismatchError, SpinlockOwnerDeadError } from './errors.js';
import type { Heap } from './heap/heap.js';
import { getNullsValue, hlistNullsAddHeadRcu, hlistNullsDelInitRcu, hlistNullsReplaceRcu, isANulls, nullsMarker, PPREV_POISON } from './hlist-nulls.js';
import { REFCOUNT_MAX } from './refcount.js';
// The full read-side functions, not the exported bindings: see rcu/read-side.ts (QSBR fast path) for why.
import { RcuWord, rcuOwnSectionWord, rcuQsbrSectionImplicit, rcuReadLockFull, rcuReadUnlockFull } from './rcu/read-side.js';
import { kmemCacheFree } from './slab/alloc-free.js';
import type { KmemCache } from './slab/cache-handle.js';
import { Spinlock, spinLock, spinUnlock } from './spinlock.js';
import { resolveIn } from './slab/object-map.js';
import { HashLookup, HashLookupFlag, HashRead, HashReadFlag, ReadFieldKind, setLookupDelay, type HeapAtomics } from './heap/atomics.js';
import {
  structViews,
  type AnyStructDef,
  type NumberFieldName,
  type NumberKind,
  type StructObjectBase,
  type StructRef,
  type StructViews,
} from './struct.js';

// ---------------------------------------------------------------------------------------
// Layout of the table's root
// ---------------------------------------------------------------------------------------

/** Header words at the start of the root (word offsets). */
const TableWord = {
  /** 0 = not initialized, 1 = being initialized, 2 = ready (see open()). */
  STATE: 0,
  BUCKET_BITS: 1,
  KEY_OFFSET: 2,
  REFCOUNT_OFFSET: 3,
  NODE_OFFSET: 4,
  /** Hash of the struct layout, so a worker declaring another struct is refused. */
  STRUCT_HASH: 5,
  /** Number of objects in the table (Atomics.add under bucket locks). */
  COUNT: 6,
  /** Restarts of lockless lookups, all workers together (statistics; rare, so shared). */
  RESTARTS: 7,
  /** Lookups that fell back to the bucket lock, all workers together. */
  LOCK_FALLBACKS: 8,
  WORDS: 16,
} as const;
const HEADER_BYTES = TableWord.WORDS * 4;
/** Words of one bucket: the chain head, the bucket's spinlock, and its sequence count. */
const BucketWord = {
  HEAD: 0,
  LOCK: 1,
  /**
   * The bucket's sequence count: every writer (insert, delete, replace, clear) increments it
   * before it changes the chain and again after, both under the bucket lock, so it is odd
   * while a change is under way. A lookup that ends on its own marker without finding its
   * key re-reads it, and restarts if it moved (see "the third race" in lookupAddress()); a
   * read() accepts what it read only if the count was even and has not moved (see read()).
   */
  SEQ: 2,
} as const;
const BUCKET_BYTES = 12;
const STATE_READY = 2;
const STATE_INITIALIZING = 1;

const MAX_BUCKET_BITS = 20;
/** Longest walk of one chain before a lockless lookup gives up and restarts. */
const MAX_WALK_STEPS = 1 << 16;

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

/** Where a reader is when the test-only delay hook runs. */
export type LookupPhase = 'walk' | 'match';

export interface RcuHashTableOptions<D extends AnyStructDef> {
  /**
   * The SLAB_TYPESAFE_BY_RCU cache the table's objects come from and are freed into. It must
   * serve this table only: a lockless lookup identifies an object by its key alone, so an
   * object reused for the same key in another table would pass the re-check.
   */
  readonly cache: KmemCache<D>;
  /** Name of the key field: an `i32` field. */
  readonly key: string;
  /** Name of the `refcount` field. */
  readonly refcount: string;
  /** Name of the `hlistNulls` field that links the object into its chain. */
  readonly node: string;
  /**
   * Number of buckets: a power of two from 1 to 2^20. Default 1024. The buckets live in a heap
   * root, 12 bytes each plus a 64-byte header, carved from the heap's static area (staticBytes
   * in createHeap(), 64 KiB by default).
   */
  readonly buckets?: number;
  /** Lockless attempts before a lookup takes the bucket lock. Default 16. */
  readonly maxRetries?: number;
  /**
   * TEST ONLY: skip the key re-check after refcountIncNotZero(). This reintroduces the bug
   * the re-check exists for (returning an object that was freed and reused for another key);
   * torture tests turn it on to prove that they detect it. Never set it elsewhere.
   */
  readonly unsafeSkipKeyRecheckForTesting?: boolean;
  /**
   * TEST ONLY: treat a walk that ends on any nulls marker as a true miss, instead of
   * restarting when the marker names another bucket or when a writer changed the bucket
   * meanwhile (the sequence count, which every writer bumps, catches a walk carried off its
   * chain as well as the marker does). This reintroduces the bug nulls markers exist for (a
   * key reported absent because the reader was carried into another chain by an object that
   * moved); torture tests turn it on to prove that they detect it.
   */
  readonly unsafeSkipNullsCheckForTesting?: boolean;
  /**
   * TEST ONLY: make read() accept what it read without re-checking the bucket's sequence
   * count. This reintroduces the bug the check exists for (a value read from an object that
   * was freed and reused meanwhile, for another key); torture tests turn it on to prove that
   * they detect it.
   */
  readonly unsafeSkipReadValidationForTesting?: boolean;
  /**
   * TEST ONLY: called inside lockless lookups and read()s, at each node of a walk between
   * reading its key and its next ('walk'), and between a key match and the reference taken
   * or the field read ('match'), so torture tests can widen the race windows with random
   * delays, as rcutorture's readers do.
   */
  readonly readerDelayForTesting?: (phase: LookupPhase) => void;
}

/** What this worker's handle on a table has counted (its own lookups only). */
export interface RcuHashTableStats {
  /** Lockless lookups started (locked lookups are not counted). */
  lookups: number;
  /** Restarts because the walk ended on another bucket's nulls marker (an object moved chains). */
  nullsRestarts: number;
  /** Restarts because the key re-checked after refcountIncNotZero() differed (freed and reused). */
  recheckRestarts: number;
  /** Restarts because refcountIncNotZero() failed (the object was being freed or not yet published). */
  refcountRestarts: number;
  /** Restarts because a walk went on longer than any chain should (objects cycling). */
  walkBoundRestarts: number;
  /** Restarts of a walk that found nothing while a writer changed its bucket. */
  writerRestarts: number;
  /** Lookups and read()s that ran out of retries and took the bucket lock. */
  lockFallbacks: number;
  /** read()s started (readLocked() is not counted). */
  reads: number;
  /** Attempts of read() discarded: a writer changed the bucket (or was changing it) meanwhile. */
  readRestarts: number;
}

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

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
  readonly #delay: ((phase: LookupPhase) => void) | null;
  readonly #locks: (Spinlock | undefined)[];
  /** The heap's StructViews (one per heap, never replaced): #object() resolves through it. */
  readonly #views: StructViews;
  /** this.struct.layout.size, read on every lookup and put(). */
  readonly #objectSize: number;
  readonly #stats: RcuHashTableStats = {
    lookups: 0,
    nullsRestarts: 0,
    recheckRestarts: 0,
    refcountRestarts: 0,
    walkBoundRestarts: 0,
    writerRestarts: 0,
    lockFallbacks: 0,
    reads: 0,
    readRestarts: 0,
  };
  /** The fields read() can read: name -> offset and kind. */
  readonly #readFields = new Map<string, ReadField>();
  /** The field the last read() read: most call sites read one field, and a hit saves the map. */
  #lastReadField: ReadField | null = null;
  /** hashRead() flags: the test-only breakage and hook. */
  readonly #readFlags: number;

  /** @internal Use rcuHashTableCreate(). */
  constructor(heap: Heap, name: string, options: RcuHashTableOptions<D>) {
    const where = `rcuHashTableCreate('${name}')`;
    if (options === null || typeof options !== 'object') throw new HashTableMisuseError(`${where}: options must be an object`);
    const cache = options.cache;
    const struct = cacheStruct(cache, where);
    const buckets = options.buckets ?? 1024;
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1 << MAX_BUCKET_BITS || (buckets & (buckets - 1)) !== 0) {
      throw new HashTableMisuseError(`${where}: buckets must be a power of two from 1 to ${1 << MAX_BUCKET_BITS}; got ${String(buckets)}`);
    }
    const maxRetries = options.maxRetries ?? 16;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 1 << 20) {
      throw new HashTableMisuseError(`${where}: maxRetries must be an integer from 0 to ${1 << 20}; got ${String(maxRetries)}`);
    }
    if (!struct.typesafeByRcu) {
      throw new HashTableMisuseError(
        `${where}: struct '${struct.name}' is not declared typesafeByRcu: lockless lookups need type-stable memory`,
      );
    }
    this.heap = heap;
    this.name = name;
    this.struct = struct;
    this.cache = cache;
    this.buckets = buckets;
    const bits = Math.log2(buckets);
    // Math.imul(key, φ) >>> shift keeps the top `bits` bits; `>>> 32` would keep all of them,
    // so a single bucket uses shift 32 and the index is masked below.
    this.#shift = 32 - bits;
    this.#keyOffset = fieldOffset(struct, options.key, ['i32'], where, 'key');
    this.#refcountOffset = fieldOffset(struct, options.refcount, ['refcount'], where, 'refcount');
    this.#nodeOffset = fieldOffset(struct, options.node, ['hlistNulls'], where, 'node');
    this.#maxRetries = maxRetries;
    this.#lookupFlags =
      (options.unsafeSkipKeyRecheckForTesting === true ? HashLookupFlag.SKIP_RECHECK : 0) |
      (options.unsafeSkipNullsCheckForTesting === true ? HashLookupFlag.ANY_MARKER_ENDS : 0) |
      (options.readerDelayForTesting !== undefined ? HashLookupFlag.CALL_DELAY : 0);
    this.#readFlags =
      (options.unsafeSkipReadValidationForTesting === true ? HashReadFlag.SKIP_VALIDATION : 0) |
      (options.readerDelayForTesting !== undefined ? HashLookupFlag.CALL_DELAY : 0);
    this.#delay = options.readerDelayForTesting ?? null;
    for (const f of struct.layout.fields) {
      if (f.kind in ReadFieldKind) {
        const kind = f.kind as NumberKind;
        this.#readFields.set(f.name, { name: f.name, offset: f.offset, kind, code: ReadFieldKind[kind] });
      }
    }
    this.#locks = new Array<Spinlock | undefined>(buckets);
    this.#views = structViews(heap);
    this.#objectSize = struct.layout.size;

    let rootByte: number;
    try {
      rootByte = heap.root(`hash:${name}`, HEADER_BYTES + buckets * BUCKET_BYTES, 64);
    } catch (error) {
      if (!(error instanceof RootMismatchError)) throw error;
      throw new HashTableMisuseError(
        `${where}: a table of that name exists with another bucket count than ${buckets}; every worker must declare it alike`,
      );
    }
    this.#rootWord = rootByte >> 2;
    this.#bucketsByte = rootByte + HEADER_BYTES;
    this.#open(where, bits, struct.layout.hash);
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
   * Whether lookupAddress() and read() may make their first attempt without rcuReadLock():
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
    if (delay !== null) setLookupDelay((phase) => delay(phase === 0 ? 'walk' : 'match'));
    try {
      if (this.#maxRetries === 0) return this.#lookupFallback(key);
      return this.#lookupAttempts(bucket, key, this.#lookupFlags, -1, this.#lookupAttempt(bucket, key, this.#lookupFlags, -1));
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
            throw new RefcountError(`table '${this.name}': the refcount of an object in bucket ${bucket} is saturated or corrupt`);
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
    //   in #writeBegin() (see the miss case below);
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
    const lock = this.#lockBucket(headByte);
    try {
      const found = this.#findLocked(headByte, key);
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
   * chain and even after (#writeBegin()); an object leaves the table, and so can be freed and
   * reused, only by such a change. read() runs in a read-side section (its own, or the
   * caller's), which keeps the memory type-stable, and in one WebAssembly call
   * (heap/atomics.wat, hashRead):
   * - loads the count, and tries again later if it is odd;
   * - walks the chain with atomic loads, comparing keys;
   * - on a match, loads the field with one atomic load of its width (never torn);
   * - loads the count again: unchanged, no writer began in the bucket since the first load,
   *   so the object was on the chain, under `key`, the whole time. Moved, the attempt is
   *   discarded.
   * The second load sees any such writer because every store involved is sequentially
   * consistent: the chain's links, the count, and the fields of type-stable structs, whose
   * setters are atomic (struct.ts, atomicSetter()). A reader whose field load returned a
   * value stored after a reuse is therefore ordered after the removal that came before the
   * reuse, and sees its increment. This is the kernel's seqcount read (read_seqcount_begin /
   * read_seqcount_retry), per bucket; it needs no key re-check and no nulls marker, though
   * a walk that ends on another bucket's marker is retried as well.
   *
   * After `maxRetries` discarded attempts, reads under the bucket lock (readLocked()). Fields
   * a program updates in place while the object is in the table (rather than by replace())
   * are read whole, old or new. Throws HashTableMisuseError for a field that is not a
   * number field of the struct (bigint fields included) or a key that is not an int32.
   */
  read(key: number, field: NumberFieldName<D>): number | undefined {
    // The common case (found at the first attempt, in a section of the call's own) is kept
    // short enough for V8 to inline into the caller; the rest is in #readSlow().
    checkKey(key, this.name);
    const f = field === this.#lastReadField?.name ? this.#lastReadField : this.#readField(field, 'read');
    this.#stats.reads++;
    const bucket = this.#bucketOf(key);
    // As in lookupAddress(): a section of the call's own when the caller has none; none to
    // enter for an online QSBR reader, which is always in one.
    const ownSectionWord = this.#delay === null ? rcuOwnSectionWord() : -1;
    if (this.#withoutReadLock(ownSectionWord)) {
      const headByte = this.#bucketsByte + bucket * BUCKET_BYTES;
      const flags = ownSectionWord >= 0 ? this.#readFlags | HashLookupFlag.OWN_SECTION : this.#readFlags;
      const value = this.#hashRead(headByte, key, f, (bucket << 1) | 1, flags, ownSectionWord);
      // Not NaN: found (a miss or a retry returns NaN; readStatus() then says which).
      if (value === value) return value;
      return this.#readSlow(bucket, key, f, ownSectionWord);
    }
    return this.#readSlow(bucket, key, f, -1);
  }

  /**
   * read() past its first attempt, made in a section of its own when `ownSectionWord` is not
   * -1 (a found NaN, a miss, retries); else from the start, in rcuReadLock() (nested, QSBR,
   * the test hook, maxRetries 0).
   */
  #readSlow(bucket: number, key: number, f: ReadField, ownSectionWord: number): number | undefined {
    const headByte = this.#bucketsByte + bucket * BUCKET_BYTES;
    const homeMarker = (bucket << 1) | 1; // nullsMarker(bucket), without its argument checks
    if (ownSectionWord >= 0) {
      const status = this.heap.atomics.readStatus();
      if (status === HashRead.FOUND) return NaN;
      if (status === HashRead.MISS) return undefined;
      this.#restart('readRestarts');
      return this.#readAttempts(headByte, key, f, homeMarker, this.#readFlags | HashLookupFlag.OWN_SECTION, ownSectionWord, 1);
    }
    const delay = this.#delay;
    rcuReadLockFull();
    if (delay !== null) setLookupDelay((phase) => delay(phase === 0 ? 'walk' : 'match'));
    try {
      return this.#readAttempts(headByte, key, f, homeMarker, this.#readFlags, -1, 0);
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
    ownSectionWord: number,
    attempt: number,
  ): number | undefined {
    for (; attempt < this.#maxRetries; attempt++) {
      const value = this.#hashRead(headByte, key, f, homeMarker, flags, ownSectionWord);
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
  #hashRead(headByte: number, key: number, f: ReadField, homeMarker: number, flags: number, ownSectionWord: number): number {
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
      ownSectionWord,
      RcuWord.GP_CTR,
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
    const lock = this.#lockBucket(headByte);
    try {
      const found = this.#findLocked(headByte, key);
      if (found === 0) return undefined;
      // Another worker may have grown the heap for this object since these views were made.
      const views = this.#views;
      views.ensure(found + this.#objectSize);
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
    const known = this.struct.layout.fields.find((x) => x.name === field);
    throw new HashTableMisuseError(
      `table '${this.name}'.${what}(): ` +
        (known === undefined
          ? `struct '${this.struct.name}' has no field ${JSON.stringify(field)}`
          : `field '${known.name}' is a ${typeof known.kind === 'string' ? known.kind : 'non-scalar'} field; ${what}() reads number fields (${Object.keys(ReadFieldKind).join(', ')}); use lookup() for the rest`),
    );
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
      kmemCacheFree(this.cache, this.#object(address));
    }
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
    const i32 = this.heap.views.i32;
    this.#checkFresh(i32, address, 'insert');
    const key = i32[(address + this.#keyOffset) >> 2]!;
    const headByte = this.#headByte(key);
    const lock = this.#lockBucket(headByte);
    try {
      if (this.#findLocked(headByte, key) !== 0) return false;
      this.#publish(address, headByte, 0);
      return true;
    } finally {
      spinUnlock(lock);
    }
  }

  /**
   * Insert `obj` (fresh, key set), replacing the object with the same key if there is one:
   * readers find either the old object or the new one, never neither. The table's reference
   * on the old object is dropped (freeing it unless readers still hold it). Returns true when
   * an object was replaced.
   */
  replace(obj: StructRef<D>): boolean {
    const address = this.#address(obj, 'replace');
    const i32 = this.heap.views.i32;
    this.#checkFresh(i32, address, 'replace');
    const key = i32[(address + this.#keyOffset) >> 2]!;
    const headByte = this.#headByte(key);
    let old = 0;
    const lock = this.#lockBucket(headByte);
    try {
      old = this.#findLocked(headByte, key);
      this.#publish(address, headByte, old);
    } finally {
      spinUnlock(lock);
    }
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
    const headByte = this.#headByte(key);
    let found = 0;
    const lock = this.#lockBucket(headByte);
    try {
      found = this.#findLocked(headByte, key);
      if (found === 0) return false;
      // Unlink; the node keeps its next, so a reader standing on it walks on.
      this.#writeBegin(headByte);
      hlistNullsDelInitRcu(this.heap, found + this.#nodeOffset);
      this.#writeEnd(headByte);
      Atomics.sub(this.heap.views.i32, this.#rootWord + TableWord.COUNT, 1);
    } finally {
      spinUnlock(lock);
    }
    // After the unlock: the free may take the cache's locks, which must not nest in ours.
    this.putAddress(found);
    return true;
  }

  /** Delete every object (for instance before kmemCacheDestroy()). Returns how many. */
  clear(): number {
    let removed = 0;
    this.heap.ensureMapped();
    const i32 = this.heap.views.i32;
    for (let b = 0; b < this.buckets; b++) {
      const headByte = this.#bucketsByte + b * BUCKET_BYTES;
      const victims: number[] = [];
      const lock = this.#lockBucket(headByte);
      try {
        this.#writeBegin(headByte);
        for (let pos = Atomics.load(i32, headByte >> 2); !isANulls(pos); pos = Atomics.load(i32, headByte >> 2)) {
          hlistNullsDelInitRcu(this.heap, pos);
          Atomics.sub(i32, this.#rootWord + TableWord.COUNT, 1);
          victims.push(pos - this.#nodeOffset);
        }
        this.#writeEnd(headByte);
      } finally {
        spinUnlock(lock);
      }
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
    const i32 = this.heap.views.i32;
    return {
      restarts: Atomics.load(i32, this.#rootWord + TableWord.RESTARTS),
      lockFallbacks: Atomics.load(i32, this.#rootWord + TableWord.LOCK_FALLBACKS),
    };
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
    const headByte = this.#bucketsByte + bucket * BUCKET_BYTES;
    const keys: number[] = [];
    const lock = this.#lockBucket(headByte);
    try {
      this.heap.ensureMapped();
      const i32 = this.heap.views.i32;
      let pos = Atomics.load(i32, headByte >> 2);
      for (; !isANulls(pos); pos = Atomics.load(i32, pos >> 2)) keys.push(i32[(pos - this.#nodeOffset + this.#keyOffset) >> 2]!);
      return { keys, nulls: getNullsValue(pos) };
    } finally {
      spinUnlock(lock);
    }
  }

  // -------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------

  /**
   * Initialize the root once, whichever worker gets here first; the others wait until it is
   * ready and check that they declared the same table.
   */
  #open(where: string, bits: number, structHash: number): void {
    const i32 = this.heap.views.i32;
    const w = this.#rootWord;
    if (Atomics.compareExchange(i32, w + TableWord.STATE, 0, STATE_INITIALIZING) === 0) {
      i32[w + TableWord.BUCKET_BITS] = bits;
      i32[w + TableWord.KEY_OFFSET] = this.#keyOffset;
      i32[w + TableWord.REFCOUNT_OFFSET] = this.#refcountOffset;
      i32[w + TableWord.NODE_OFFSET] = this.#nodeOffset;
      i32[w + TableWord.STRUCT_HASH] = structHash;
      for (let b = 0; b < this.buckets; b++) i32[(this.#bucketsByte + b * BUCKET_BYTES) >> 2] = nullsMarker(b);
      // Release: the heads and header above are visible to whoever sees READY (they load
      // STATE with Atomics.load below before touching the table).
      Atomics.store(i32, w + TableWord.STATE, STATE_READY);
      Atomics.notify(i32, w + TableWord.STATE);
      return;
    }
    // Another worker is initializing: it is a handful of stores, but it may be descheduled.
    const deadline = Date.now() + 10_000;
    while (Atomics.load(i32, w + TableWord.STATE) !== STATE_READY) {
      if (Date.now() > deadline) throw new HashTableMisuseError(`${where}: another worker started initializing the table and never finished`);
      Atomics.wait(i32, w + TableWord.STATE, STATE_INITIALIZING, 10);
    }
    const mismatch = [
      [TableWord.BUCKET_BITS, bits, 'bucket count'],
      [TableWord.KEY_OFFSET, this.#keyOffset, 'key field'],
      [TableWord.REFCOUNT_OFFSET, this.#refcountOffset, 'refcount field'],
      [TableWord.NODE_OFFSET, this.#nodeOffset, 'node field'],
      [TableWord.STRUCT_HASH, structHash, 'struct layout'],
    ].find(([word, value]) => i32[w + (word as number)] !== value);
    if (mismatch !== undefined) {
      throw new HashTableMisuseError(`${where}: a table of that name exists with another ${mismatch[2]}; every worker must declare it alike`);
    }
  }

  /**
   * Link `address` into the chain at `headByte` (replacing `old` when nonzero), then publish
   * its reference. Precondition: the bucket lock is held; the key is set.
   */
  #publish(address: number, headByte: number, old: number): void {
    const i32 = this.heap.views.i32;
    this.#writeBegin(headByte);
    if (old === 0) {
      hlistNullsAddHeadRcu(this.heap, address + this.#nodeOffset, headByte);
      Atomics.add(i32, this.#rootWord + TableWord.COUNT, 1);
    } else {
      hlistNullsReplaceRcu(this.heap, old + this.#nodeOffset, address + this.#nodeOffset);
    }
    // refcount 0 -> 1 last (rculist_nulls.rst: key, then link, then reference). This
    // Atomics.store is a release of the key store the caller made before insert(); it pairs
    // with the compareExchange in a reader's incNotZero(), after which the reader re-reads
    // the key. A reader that found the object before this store failed its increment and
    // restarted; none can hold a reference to a half-made object.
    Atomics.store(i32, (address + this.#refcountOffset) >> 2, 1);
    this.#writeEnd(headByte);
  }

  /**
   * Make the bucket's sequence count odd, before any store of a change to its chain (a new
   * object's next, the link to it, an unlink). Lock held. A reader whose atomic load returns
   * one of those stores is ordered after this increment (both sequentially consistent, the
   * increment first in this thread), so its re-read of the count sees it move: lookups
   * restart a miss on it, and read() discards what it read.
   */
  #writeBegin(headByte: number): void {
    Atomics.add(this.heap.views.i32, (headByte >> 2) + BucketWord.SEQ, 1);
  }

  /** Make the count even again, after the last store of the change. Lock held. */
  #writeEnd(headByte: number): void {
    Atomics.add(this.heap.views.i32, (headByte >> 2) + BucketWord.SEQ, 1);
  }

  /** Walk a chain under its lock: the object with `key`, or 0. */
  #findLocked(headByte: number, key: number): number {
    this.heap.ensureMapped();
    const i32 = this.heap.views.i32;
    // Plain loads: under the bucket lock the chain cannot change. Only holders of this lock
    // link or unlink its objects, and a listed object holds the table's reference, so it
    // cannot be freed and reused elsewhere while it is on the chain. The lock's acquire
    // orders these loads after the last holder's stores.
    for (let pos = i32[headByte >> 2]!; !isANulls(pos); pos = i32[pos >> 2]!) {
      const object = pos - this.#nodeOffset;
      if (i32[(object + this.#keyOffset) >> 2] === key) return object;
    }
    return 0;
  }

  #checkFresh(i32: Int32Array, address: number, what: string): void {
    const count = Atomics.load(i32, (address + this.#refcountOffset) >> 2);
    const pprev = i32[(address + this.#nodeOffset + 4) >> 2]!;
    if (count !== 0 || (pprev !== 0 && pprev !== PPREV_POISON)) {
      throw new HashTableMisuseError(
        `table '${this.name}'.${what}(${this.#label(address)}): the object must come fresh from kmemCacheAlloc() ` +
          `(refcount 0, on no chain); it has refcount ${count}${pprev !== 0 && pprev !== PPREV_POISON ? ' and is on a chain' : ''}`,
      );
    }
  }

  #restart(kind: 'nullsRestarts' | 'recheckRestarts' | 'refcountRestarts' | 'walkBoundRestarts' | 'writerRestarts' | 'readRestarts'): void {
    this.#stats[kind]++;
    Atomics.add(this.heap.views.i32, this.#rootWord + TableWord.RESTARTS, 1);
  }

  #headByte(key: number): number {
    return this.#bucketsByte + this.#bucketOf(key) * BUCKET_BYTES;
  }

  #bucketOf(key: number): number {
    return this.#shift === 32 ? 0 : Math.imul(key, 0x9e3779b1) >>> this.#shift;
  }

  /**
   * Take a bucket's lock. If its previous holder died holding it (SpinlockOwnerDeadError: we
   * now hold it), it may have died in the middle of a chain update: the `next` words, which
   * readers follow, are each written by one store and so are whole, but `pprev` words may be
   * stale. Rebuild them from the chain, then go on as usual. The table's count may be off by
   * the one update that died half-done.
   */
  #lockBucket(headByte: number): Spinlock {
    const lock = this.#lock(headByte);
    try {
      return spinLock(lock);
    } catch (error) {
      if (!(error instanceof SpinlockOwnerDeadError)) throw error;
      this.#repairChain(headByte);
      return lock;
    }
  }

  /** Make every `pprev` of the chain at `headByte` point at the word that links its node. Lock held. */
  #repairChain(headByte: number): void {
    this.heap.ensureMapped();
    const i32 = this.heap.views.i32;
    // A writer that died between #writeBegin() and #writeEnd() left the count odd: end its
    // change, so read() stops treating the bucket as being written.
    if ((Atomics.load(i32, (headByte >> 2) + BucketWord.SEQ) & 1) !== 0) this.#writeEnd(headByte);
    let link = headByte;
    for (let pos = Atomics.load(i32, headByte >> 2), steps = 0; !isANulls(pos) && steps < MAX_WALK_STEPS; steps++) {
      i32[(pos + 4) >> 2] = link;
      link = pos;
      pos = Atomics.load(i32, pos >> 2);
    }
  }

  #lock(headByte: number): Spinlock {
    const bucket = (headByte - this.#bucketsByte) / BUCKET_BYTES;
    let lock = this.#locks[bucket];
    if (lock === undefined) {
      lock = new Spinlock(this.heap, headByte + BucketWord.LOCK * 4, `${this.name}.bucket[${bucket}].lock`);
      this.#locks[bucket] = lock;
    }
    return lock;
  }

  #object(address: number): StructRef<D> {
    // objectAt() without its per-call structViews(heap) lookup (a symbol-keyed property).
    return resolveIn(this.#views, this.struct, address) as unknown as StructRef<D>;
  }

  #address(obj: StructRef<D>, what: string): number {
    // Only objects of this table's cache carry it in $c: one load and compare rejects null,
    // non-objects, other structs and other caches alike (the slab's own free does the same).
    const o = obj as unknown as StructObjectBase | null | undefined;
    if (o?.$c !== this.cache) {
      const sameStruct = o !== null && typeof o === 'object' && (o as object).constructor === this.struct.objectClass;
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
    return `${this.struct.name}@0x${address.toString(16)}`;
  }
}

/**
 * Create the table named `name` in the heap, or open it when another worker created it: every
 * worker calls this with the same options (and its own handle on the same cache).
 * Throws HashTableMisuseError for bad options, a cache that is not type-stable, fields of
 * the wrong kind, or a table of that name declared differently.
 */
export function rcuHashTableCreate<D extends AnyStructDef>(heap: Heap, name: string, options: RcuHashTableOptions<D>): RcuHashTable<D> {
  // The table's root is named `hash:<name>`, and root names hold at most 32 bytes of UTF-8.
  if (typeof name !== 'string' || name.length === 0 || new TextEncoder().encode(name).length > 27) {
    throw new HashTableMisuseError(`rcuHashTableCreate(): the name must be a string of 1 to 27 bytes of UTF-8; got ${JSON.stringify(name)}`);
  }
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
  if (v < 0 || v >= REFCOUNT_MAX) throw new RefcountError(`table '${table}': refcount ${v} at word ${index} is saturated or corrupt`);
  return true;
}

/** refcountDecAndTest on a word: true when this dropped the last reference. */
function decAndTest(atomics: HeapAtomics, index: number, table: string): boolean {
  const v = atomics.decAndTest(index);
  if (v <= 0) throw new RefcountError(`table '${table}': put() of an object with refcount ${v} (a reference dropped twice?)`);
  return v === 1;
}

/** Where and what a field read() reads. */
interface ReadField {
  readonly name: string;
  readonly offset: number;
  readonly kind: NumberKind;
  /** hashRead()'s code for the kind (ReadFieldKind). */
  readonly code: number;
}

/** log2 of each number kind's size: a field's index in its typed-array view. */
const READ_SHIFT: Readonly<Record<NumberKind, number>> = { i8: 0, u8: 0, i16: 1, u16: 1, i32: 2, u32: 2, f32: 2, f64: 3 };

function checkKey(key: number, table: string): void {
  if ((key | 0) !== key) throw new HashTableMisuseError(`table '${table}': key ${String(key)} is not a 32-bit signed integer`);
}

function cacheStruct<D extends AnyStructDef>(cache: KmemCache<D>, where: string): D {
  const struct = (cache as { struct?: unknown } | null)?.struct;
  if (struct === undefined || struct === null) throw new HashTableMisuseError(`${where}: options.cache must be a cache from kmemCacheCreate()`);
  return struct as D;
}

function fieldOffset(struct: AnyStructDef, field: unknown, kinds: readonly string[], where: string, option: string): number {
  const f = struct.layout.fields.find((x) => x.name === field);
  if (f === undefined || !kinds.includes(f.kind)) {
    const have = struct.layout.fields.filter((x) => kinds.includes(x.kind)).map((x) => x.name);
    throw new HashTableMisuseError(
      `${where}: options.${option} must name a ${kinds.join('/')} field of '${struct.name}'` +
        (f === undefined ? `; '${String(field)}' is not a field` : `; '${String(field)}' is ${f.kind}`) +
        (have.length > 0 ? ` (candidates: ${have.join(', ')})` : ''),
    );
  }
  return f.offset;
}
