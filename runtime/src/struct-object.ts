/**
 * @fileoverview The objects of declared structs (struct.ts): StructObjectBase, the class
 * defineStruct() derives for each struct, whose properties read and write the shared heap,
 * and the operations on objects: addressOf, objectAt, structOf, fieldIndex.
 *
 * Objects come from slab caches (slab/), never from `new`. Field semantics:
 * - integer and float fields (`i8 u8 i16 u16 i32 u32 f32 f64`, and `i64 u64` as bigint) are
 *   read with plain typed-array loads: NOT atomic and NOT ordered. Protect them with the
 *   object's lock, publish them with an RCU pointer store, or use Atomics on `fieldIndex()`
 *   yourself. Writes are plain stores too, except in type-stable structs, whose setters make
 *   one sequentially consistent store of the field's width (atomicSetter() says why).
 * - `spinlock` / `refcount` fields yield a Spinlock / Refcount handle (the same handle object
 *   on every read, so `using _ = spinLock(s.siglock)` allocates nothing after the first use).
 * - `{ array: 'i32', length: n }` yields a fixed-length typed-array view over the object.
 * - `{ rcu: () => Other }` is an RCU-protected pointer. Reading it is rcu_dereference:
 *   an atomic load of the stored address (sequentially consistent, so at least acquire: the
 *   reader's later loads of the pointee see every store its publisher made before publishing),
 *   resolved to this worker's object for that address, or null for address 0. Assigning it is
 *   rcu_assign_pointer: an atomic store (sequentially consistent, so at least release: every
 *   initialization store the writer made before it, plain ones included, is visible to a
 *   reader that loads the new address). The syntax cannot get the ordering wrong.
 * - `hlistNulls` yields an HlistNullsNode handle on the node's two words; hash/hlist-nulls.ts
 *   owns what the words mean.
 *
 * Identity: within one worker, two references to the same object are `===` (slab/object-map.ts
 * keeps one object per slot); `addressOf(obj)` is its heap byte offset, which is how a
 * reference crosses workers, and `objectAt(Struct, heap, address)` gives that worker's object.
 */

import { StructDefinitionError, WrongCacheError } from './errors.js';
import { HlistNullsNode } from './hash/hlist-nulls-node.js';
import type { Heap, HeapViews } from './heap/heap.js';
import { Refcount } from './refcount.js';
import { resolveAddress, resolveIn, type ObjectMap } from './slab/object-map.js';
import { Spinlock } from './spinlock.js';
import type { AnyStructDef, FieldLayout, ScalarKind, StructRef } from './struct.js';

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

/**
 * Base of every struct object. The `$`-prefixed fields are internal (field names may not
 * start with `$`): they are plain properties so that V8 keeps one hidden class per struct.
 */
export class StructObjectBase {
  /** @internal The heap's views (heap.views: the one holder, updated in place on a remap). */
  $v: HeapViews;
  /** @internal The heap. */
  $h: Heap;
  /** @internal This worker's object map of the heap: an RCU pointer load resolves through it. */
  $m: ObjectMap;
  /** @internal Heap byte offset of the object. */
  $a: number;
  /** @internal Owning cache (this worker's KmemCache handle), typed loosely: objects know no slab types. */
  $c: unknown;
  /** @internal Byte index of the object's state byte in its slab header (heap/layout.ts). */
  $s: number;
  /** @internal Lazily created field handles (locks, refcounts, nodes, array views) by field index. */
  $x: unknown[] | null;

  constructor(map: ObjectMap, address: number, cache: unknown, stateByte: number) {
    this.$v = map.views;
    this.$h = map.heap;
    this.$m = map;
    this.$a = address;
    this.$c = cache;
    this.$s = stateByte;
    this.$x = null;
  }

  /**
   * The fields' current values (a snapshot, read without locks): scalars as numbers or
   * bigints, arrays as plain arrays, RCU pointers and hlist_nulls words as addresses, locks
   * and refcounts as their words. Without it JSON.stringify would walk the internal fields,
   * which reach the whole heap.
   */
  toJSON(): Record<string, unknown> {
    const def = structByClass.get(this.constructor)!;
    const i32 = this.$v.i32;
    const out: Record<string, unknown> = {};
    for (const f of def.layout.fields) {
      const at = this.$a + f.offset;
      switch (f.kind) {
        case 'spinlock':
        case 'refcount':
        case 'rcu':
          out[f.name] = Atomics.load(i32, at >> 2);
          break;
        case 'hlistNulls':
          out[f.name] = { next: Atomics.load(i32, at >> 2), pprev: Atomics.load(i32, (at >> 2) + 1) };
          break;
        case 'array':
          out[f.name] = Array.from((this as unknown as Record<string, ArrayLike<unknown>>)[f.name]!, (v) =>
            typeof v === 'bigint' ? v.toString() : v,
          );
          break;
        default: {
          const v = (this as unknown as Record<string, unknown>)[f.name];
          out[f.name] = typeof v === 'bigint' ? v.toString() : v;
        }
      }
    }
    return out;
  }

  /** `struct sighand @0x1f040 { siglock: 0, ... }` in console.log and the REPL. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const def = structByClass.get(this.constructor)!;
    const body = Object.entries(this.toJSON())
      .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join(', ');
    return `struct ${def.name} @0x${this.$a.toString(16)} { ${body} }`;
  }
}

/** @internal */
export interface StructObjectClass {
  new (map: ObjectMap, address: number, cache: unknown, stateByte: number): StructObjectBase;
  readonly prototype: StructObjectBase;
}

const structByClass = new WeakMap<object, AnyStructDef>();

/**
 * @internal A new object class for the struct `name`, with no field accessors yet
 * (defineAccessors() adds them once the struct's definition exists).
 */
export function newObjectClass(name: string): StructObjectClass {
  class StructObject extends StructObjectBase {}
  Object.defineProperty(StructObject, 'name', { value: `struct ${name}` });
  return StructObject;
}

/** @internal Give `def.objectClass` one accessor per field of `def`, and make it `def`'s. */
export function defineAccessors(def: AnyStructDef): void {
  def.layout.fields.forEach((f, index) => defineAccessor(def.objectClass.prototype, def, f, index));
  structByClass.set(def.objectClass, def);
}

/**
 * @internal Make `cls` another object class of `def`: a subclass of def.objectClass whose
 * accessors check each use (debug mode, debug/debug-accessors.ts).
 */
export function registerObjectClass(cls: object, def: AnyStructDef): void {
  structByClass.set(cls, def);
}

function defineAccessor(proto: object, def: AnyStructDef, f: FieldLayout, index: number): void {
  const off = f.offset;
  const label = `${def.name}.${f.name}`;
  let desc: PropertyDescriptor;
  switch (f.kind) {
    case 'spinlock':
      desc = {
        get(this: StructObjectBase) {
          const x = (this.$x ??= []);
          return (x[index] ??= new Spinlock(this.$h, this.$a + off, label));
        },
      };
      break;
    case 'refcount':
      desc = {
        get(this: StructObjectBase) {
          const x = (this.$x ??= []);
          return (x[index] ??= new Refcount(this.$h, this.$a + off, label));
        },
      };
      break;
    case 'hlistNulls':
      desc = {
        get(this: StructObjectBase) {
          const x = (this.$x ??= []);
          return (x[index] ??= new HlistNullsNode(this.$h, this.$a + off, this, label));
        },
      };
      break;
    case 'array': {
      const element = f.element!;
      const length = f.length!;
      const Ctor = ARRAY_CTORS[element];
      desc = {
        get(this: StructObjectBase) {
          const x = (this.$x ??= []);
          return (x[index] ??= new Ctor(this.$h.buffer as unknown as ArrayBuffer, this.$a + off, length));
        },
      };
      break;
    }
    case 'rcu': {
      const target = f.target!;
      desc = {
        // rcu_dereference: the atomic load pairs with the atomic store in the setter below;
        // it orders this reader's later loads from the pointee after the address load. It
        // runs in WebAssembly (heap/atomics.ts).
        get(this: StructObjectBase) {
          const address = this.$h.atomics.load((this.$a + off) >> 2);
          return address === 0 ? null : resolveIn(this.$m, target(), address);
        },
        // rcu_assign_pointer: the atomic store is sequentially consistent, so every store
        // this thread made before it (the new object's initialization, plain stores included)
        // is visible to any reader whose atomic load returns the new address. Without it a
        // reader could see the pointer but the pointee's old contents.
        set(this: StructObjectBase, value: unknown) {
          this.$h.atomics.store(
            (this.$a + off) >> 2,
            value === null ? 0 : addressForStore(value, target(), label, this.$h),
          );
        },
      };
      break;
    }
    default: {
      // Reads are plain typed-array loads (see the file comment).
      const plain = plainAccessors(f.kind, off);
      desc = def.typesafeByRcu ? { get: plain.get, set: atomicSetter(f.kind, off) } : plain;
    }
  }
  Object.defineProperty(proto, f.name, { ...desc, enumerable: true, configurable: false });
}

/**
 * The setter of a scalar field of a type-stable struct: one atomic store of the field's width
 * (in WebAssembly, heap/atomics.ts). Why atomic: a reader may read this object with no lock and no
 * reference (RcuHashTable.read()) while the object is freed and reused, and validates what it
 * read by re-reading a sequence word. That validation is only sound if a reader whose load
 * returned a value stored after the reuse is also ordered after the removal that preceded the
 * reuse; a plain store creates no such order in the memory model, a sequentially consistent
 * store does (the kernel pairs its seqcount readers with WRITE_ONCE and smp_wmb for the same
 * reason). The conversions are the typed arrays' (ToInt32 and truncation, float32 rounding,
 * ToBigInt64).
 */
function atomicSetter(kind: ScalarKind, off: number): (this: StructObjectBase, value: never) => void {
  switch (kind) {
    case 'i8':
    case 'u8':
      return function (value) {
        this.$h.atomics.store8(this.$a + off, value);
      };
    case 'i16':
    case 'u16':
      return function (value) {
        this.$h.atomics.store16(this.$a + off, value);
      };
    case 'i32':
    case 'u32':
      return function (value) {
        this.$h.atomics.store((this.$a + off) >> 2, value);
      };
    case 'f32':
      return function (value) {
        this.$h.atomics.storeF32(this.$a + off, value);
      };
    case 'f64':
      return function (value) {
        this.$h.atomics.storeF64(this.$a + off, value);
      };
    case 'i64':
    case 'u64':
      return function (value) {
        this.$h.atomics.storeI64(this.$a + off, value);
      };
  }
}

type Accessors = {
  get: (this: StructObjectBase) => unknown;
  set: (this: StructObjectBase, value: never) => void;
};

/**
 * A scalar field's plain getter and setter: one function literal per kind, not one shared
 * literal indexing the views by kind. V8 keeps type feedback per function literal, so a shared
 * `this.$v[kind]` saw every kind of every struct and went megamorphic (measured at about 3 ns
 * per store in the slab benchmark's loop, on Node 20 and 24 alike); one literal per kind keeps
 * each access monomorphic.
 */
function plainAccessors(kind: ScalarKind, off: number): Accessors {
  switch (kind) {
    case 'i8':
      return {
        get() {
          return this.$v.i8[this.$a + off];
        },
        set(value: never) {
          this.$v.i8[this.$a + off] = value;
        },
      };
    case 'u8':
      return {
        get() {
          return this.$v.u8[this.$a + off];
        },
        set(value: never) {
          this.$v.u8[this.$a + off] = value;
        },
      };
    case 'i16':
      return {
        get() {
          return this.$v.i16[(this.$a + off) >> 1];
        },
        set(value: never) {
          this.$v.i16[(this.$a + off) >> 1] = value;
        },
      };
    case 'u16':
      return {
        get() {
          return this.$v.u16[(this.$a + off) >> 1];
        },
        set(value: never) {
          this.$v.u16[(this.$a + off) >> 1] = value;
        },
      };
    case 'i32':
      return {
        get() {
          return this.$v.i32[(this.$a + off) >> 2];
        },
        set(value: never) {
          this.$v.i32[(this.$a + off) >> 2] = value;
        },
      };
    case 'u32':
      return {
        get() {
          return this.$v.u32[(this.$a + off) >> 2];
        },
        set(value: never) {
          this.$v.u32[(this.$a + off) >> 2] = value;
        },
      };
    case 'f32':
      return {
        get() {
          return this.$v.f32[(this.$a + off) >> 2];
        },
        set(value: never) {
          this.$v.f32[(this.$a + off) >> 2] = value;
        },
      };
    case 'f64':
      return {
        get() {
          return this.$v.f64[(this.$a + off) >> 3];
        },
        set(value: never) {
          this.$v.f64[(this.$a + off) >> 3] = value;
        },
      };
    case 'i64':
      return {
        get() {
          return this.$v.i64[(this.$a + off) >> 3];
        },
        set(value: never) {
          this.$v.i64[(this.$a + off) >> 3] = value;
        },
      };
    case 'u64':
      return {
        get() {
          return this.$v.u64[(this.$a + off) >> 3];
        },
        set(value: never) {
          this.$v.u64[(this.$a + off) >> 3] = value;
        },
      };
  }
}

const ARRAY_CTORS = {
  i8: Int8Array,
  u8: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  f64: Float64Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
} as const;

function addressForStore(value: unknown, target: AnyStructDef, label: string, heap: Heap): number {
  if (!(value instanceof StructObjectBase)) {
    throw new WrongCacheError(
      `${label} = ...: the value is not a slab object (got ${describe(value)}); allocate it with kmemCacheAlloc()`,
    );
  }
  // A debug heap's objects are of a subclass (debug/debug-accessors.ts): the map lookup runs
  // only when the cheap test fails.
  if (value.constructor !== target.objectClass && structByClass.get(value.constructor) !== target) {
    throw new WrongCacheError(
      `${label} = ...: expected a '${target.name}' object, got a '${(value.constructor as { name: string }).name}'`,
    );
  }
  if (value.$h !== heap) throw new WrongCacheError(`${label} = ...: the object lives in another heap`);
  return value.$a;
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/** The heap byte offset of a slab object: what crosses to another worker. */
export function addressOf(obj: object): number {
  if (!(obj instanceof StructObjectBase))
    throw new WrongCacheError(`addressOf(): not a slab object (got ${describe(obj)})`);
  return obj.$a;
}

/**
 * This worker's object for `address` (as addressOf() gave it, in any worker), the same object
 * on every call while the slot stays in its slab. Throws WrongCacheError when no slab of a
 * cache of `struct` holds an object at that address.
 */
export function objectAt<D extends AnyStructDef>(struct: D, heap: Heap, address: number): StructRef<D> {
  const obj = resolveAddress(struct, heap, address);
  // Debug mode: an address just read (a chain walk's node, a word that names the object) is a
  // load like an RCU pointer's, and where the object was obtained.
  heap.debug?.noteObtained(obj, objectAt);
  return obj as unknown as StructRef<D>;
}

/** The struct an object belongs to. */
export function structOf(obj: object): AnyStructDef | null {
  return obj instanceof StructObjectBase ? (structByClass.get(obj.constructor) ?? null) : null;
}

/**
 * Index of a 32-bit field of `obj` in the heap's Int32Array, for Atomics on integer fields
 * (`Atomics.add(heap.i32, fieldIndex(obj, 'hits'), 1)`).
 */
export function fieldIndex(obj: object, field: string): number {
  const struct = structOf(obj);
  if (struct === null) throw new WrongCacheError(`fieldIndex(): not a slab object (got ${describe(obj)})`);
  const f = struct.layout.fields.find((x) => x.name === field);
  if (f === undefined || f.size !== 4 || (f.kind !== 'i32' && f.kind !== 'u32')) {
    throw new StructDefinitionError(`fieldIndex(${struct.name}, '${field}'): not an i32/u32 field`);
  }
  return ((obj as StructObjectBase).$a + f.offset) >> 2;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value.constructor as { name?: string } | undefined)?.name ?? 'object';
  return typeof value;
}
