/**
 * @fileoverview An RCU hash table's options (rcuHashTableCreate()), and what they come to once
 * checked: the cache and its struct, the bucket count, the byte offsets of the key, refcount
 * and node fields, the retry bound, and the flags the test-only options set.
 */

import { HashTableMisuseError } from '../errors.js';
import { HashLookupFlag, HashReadFlag, ReadFieldKind } from '../heap/atomics.js';
import type { KmemCache } from '../slab/cache-handle.js';
import type { AnyStructDef, NumberKind } from '../struct.js';

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

const MAX_BUCKET_BITS = 20;

/** A table's options, checked (tableConfig()). */
export interface TableConfig<D extends AnyStructDef> {
  readonly cache: KmemCache<D>;
  readonly struct: D;
  /** Number of buckets (a power of two) and its log2. */
  readonly buckets: number;
  readonly bits: number;
  /** Byte offsets in an object of the key, the refcount and the hlistNulls node. */
  readonly keyOffset: number;
  readonly refcountOffset: number;
  readonly nodeOffset: number;
  readonly maxRetries: number;
  /** hashLookup() flags: the test-only breakages and hook (HashLookupFlag). */
  readonly lookupFlags: number;
  /** hashRead() flags: the test-only breakage and hook. */
  readonly readFlags: number;
  readonly delay: ((phase: LookupPhase) => void) | null;
}

/** Throws HashTableMisuseError for a name that cannot name the table's heap root. */
export function checkTableName(name: string): void {
  // The table's root is named `hash:<name>`, and root names hold at most 32 bytes of UTF-8.
  if (typeof name !== 'string' || name.length === 0 || new TextEncoder().encode(name).length > 27) {
    throw new HashTableMisuseError(
      `rcuHashTableCreate(): the name must be a string of 1 to 27 bytes of UTF-8; got ${JSON.stringify(name)}`,
    );
  }
}

/**
 * The options of the table `where` names, checked. Throws HashTableMisuseError for options
 * that are not an object, a cache that is not one, a bad bucket count or retry bound, a
 * struct that is not type-stable, and fields of the wrong kind.
 */
export function tableConfig<D extends AnyStructDef>(where: string, options: RcuHashTableOptions<D>): TableConfig<D> {
  const given: unknown = options; // as a JavaScript caller may pass it
  if (given === null || typeof given !== 'object')
    throw new HashTableMisuseError(`${where}: options must be an object`);
  const cache = options.cache;
  const struct = cacheStruct(cache, where);
  const buckets = options.buckets ?? 1024;
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1 << MAX_BUCKET_BITS || (buckets & (buckets - 1)) !== 0) {
    throw new HashTableMisuseError(
      `${where}: buckets must be a power of two from 1 to ${1 << MAX_BUCKET_BITS}; got ${String(buckets)}`,
    );
  }
  const maxRetries = options.maxRetries ?? 16;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 1 << 20) {
    throw new HashTableMisuseError(
      `${where}: maxRetries must be an integer from 0 to ${1 << 20}; got ${String(maxRetries)}`,
    );
  }
  if (!struct.typesafeByRcu) {
    throw new HashTableMisuseError(
      `${where}: struct '${struct.name}' is not declared typesafeByRcu: lockless lookups need type-stable memory`,
    );
  }
  return {
    cache,
    struct,
    buckets,
    bits: Math.log2(buckets),
    keyOffset: fieldOffset(struct, options.key, ['i32'], where, 'key'),
    refcountOffset: fieldOffset(struct, options.refcount, ['refcount'], where, 'refcount'),
    nodeOffset: fieldOffset(struct, options.node, ['hlistNulls'], where, 'node'),
    maxRetries,
    lookupFlags:
      (options.unsafeSkipKeyRecheckForTesting === true ? HashLookupFlag.SKIP_RECHECK : 0) |
      (options.unsafeSkipNullsCheckForTesting === true ? HashLookupFlag.ANY_MARKER_ENDS : 0) |
      (options.readerDelayForTesting !== undefined ? HashLookupFlag.CALL_DELAY : 0),
    readFlags:
      (options.unsafeSkipReadValidationForTesting === true ? HashReadFlag.SKIP_VALIDATION : 0) |
      (options.readerDelayForTesting !== undefined ? HashLookupFlag.CALL_DELAY : 0),
    delay: options.readerDelayForTesting ?? null,
  };
}

function cacheStruct<D extends AnyStructDef>(cache: KmemCache<D>, where: string): D {
  const struct = (cache as { struct?: unknown } | null)?.struct;
  if (struct === undefined || struct === null)
    throw new HashTableMisuseError(`${where}: options.cache must be a cache from kmemCacheCreate()`);
  return struct as D;
}

function fieldOffset(
  struct: AnyStructDef,
  field: unknown,
  kinds: readonly string[],
  where: string,
  option: string,
): number {
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

/** Where and what a field read() reads. */
export interface ReadField {
  readonly name: string;
  readonly offset: number;
  readonly kind: NumberKind;
  /** hashRead()'s code for the kind (ReadFieldKind). */
  readonly code: number;
}

/** The fields of `struct` that read() can read (its number fields), by name. */
export function readFieldsOf(struct: AnyStructDef): Map<string, ReadField> {
  const fields = new Map<string, ReadField>();
  for (const f of struct.layout.fields) {
    if (f.kind in ReadFieldKind) {
      const kind = f.kind as NumberKind;
      fields.set(f.name, { name: f.name, offset: f.offset, kind, code: ReadFieldKind[kind] });
    }
  }
  return fields;
}

/** The HashTableMisuseError for a read() or readLocked() (`what`) of `field`, which is not a number field. */
export function notAReadField(table: string, struct: AnyStructDef, field: unknown, what: string): HashTableMisuseError {
  const known = struct.layout.fields.find((x) => x.name === field);
  return new HashTableMisuseError(
    `table '${table}'.${what}(): ` +
      (known === undefined
        ? `struct '${struct.name}' has no field ${JSON.stringify(field)}`
        : `field '${known.name}' is a ${typeof known.kind === 'string' ? known.kind : 'non-scalar'} field; ${what}() reads number fields (${Object.keys(ReadFieldKind).join(', ')}); use lookup() for the rest`),
  );
}
