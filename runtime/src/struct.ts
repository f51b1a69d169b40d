/**
 * @fileoverview Struct declarations: a C-like layout computed once, and typed objects whose
 * properties read and write the shared heap.
 *
 * ```ts
 * const Sighand = defineStruct('sighand', {
 *   siglock: 'spinlock', count: 'refcount', flags: 'u32',
 *   action: { array: 'i32', length: 64 },
 * }, { typesafeByRcu: true });
 * const Task = defineStruct('task', { pid: 'i32', sighand: { rcu: () => Sighand } });
 * type SighandRef = StructRef<typeof Sighand>;   // TypeStable<...>: the analyzer sees the brand
 * ```
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
 * - `hlistNulls` reserves an hlist_nulls node (two Int32 words, `next` then `pprev`) and
 *   yields an HlistNullsNode handle; hash/hlist-nulls.ts owns what the words mean.
 *
 * The thunk in `{ rcu: () => Other }` allows a struct to point at one declared later. A struct
 * that points at itself (or a true cycle) needs a type annotation on one declaration, as any
 * self-referencing `const` does in TypeScript.
 *
 * Identity: within one worker, two references to the same object are `===` (slab/object-map.ts
 * keeps one object per slot); `addressOf(obj)` is its heap byte offset, which is how a
 * reference crosses workers, and `objectAt(Struct, heap, address)` gives that worker's object.
 */

import { StructDefinitionError, WrongCacheError } from './errors.js';
import type { Heap } from './heap/heap.js';
import { HLIST_NULLS_NODE_BYTES, HlistNullsNode } from './hash/hlist-nulls-node.js';
import { Refcount } from './refcount.js';
import { resolveAddress, resolveIn } from './slab/object-map.js';
import { Spinlock } from './spinlock.js';
import type { TypeStable } from './type-stable.js';

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

export type NumberKind = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'f64';
export type BigIntKind = 'i64' | 'u64';
export type ScalarKind = NumberKind | BigIntKind;
export interface ArrayFieldKind {
  readonly array: ScalarKind;
  readonly length: number;
}
export interface RcuFieldKind {
  // The thunk is called lazily (first layout check / first dereference), so it may name a
  // struct declared later in the module.
  readonly rcu: () => AnyStructDef;
}
export type FieldKind = ScalarKind | 'spinlock' | 'refcount' | 'hlistNulls' | ArrayFieldKind | RcuFieldKind;
export type FieldSpec = { readonly [name: string]: FieldKind };

export interface StructOptions<TS extends boolean> {
  /**
   * Objects live in type-stable memory (SLAB_TYPESAFE_BY_RCU): references carry the
   * TypeStable brand, and only caches created with SLAB_TYPESAFE_BY_RCU may hold them.
   */
  readonly typesafeByRcu?: TS;
}

/** One field's place in the layout. */
export interface FieldLayout {
  readonly name: string;
  /** 'i32', 'spinlock', 'array', 'rcu', 'hlistNulls', ... */
  readonly kind: ScalarKind | 'spinlock' | 'refcount' | 'hlistNulls' | 'array' | 'rcu';
  /** Byte offset from the start of the object. */
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** Element kind and count, for arrays. */
  readonly element?: ScalarKind;
  readonly length?: number;
  /** Target struct, for rcu pointers. */
  readonly target?: () => AnyStructDef;
}

export interface StructLayout {
  /** Bytes per object, a multiple of `align`. */
  readonly size: number;
  /** The strictest field alignment (at least 4). */
  readonly align: number;
  readonly fields: readonly FieldLayout[];
  /**
   * Text that identifies the layout (name, then each field's name, kind and offset). Two
   * workers that declare the same struct get the same signature; caches record its hash so a
   * lookup with a different declaration is refused.
   */
  readonly signature: string;
  /** 32-bit FNV-1a hash of the signature. */
  readonly hash: number;
}

/** A declared struct. `F` and `TS` exist for the types of its objects. */
export interface StructDef<F extends FieldSpec = FieldSpec, TS extends boolean = boolean> {
  readonly name: string;
  readonly fields: F;
  readonly typesafeByRcu: TS;
  readonly layout: StructLayout;
  /** @internal The class of this struct's objects. */
  readonly objectClass: StructObjectClass;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStructDef = StructDef<any, boolean>;

// ---------------------------------------------------------------------------------------------
// Object types
// ---------------------------------------------------------------------------------------------

type ScalarArray<K extends ScalarKind> = K extends 'i8'
  ? Int8Array
  : K extends 'u8'
    ? Uint8Array
    : K extends 'i16'
      ? Int16Array
      : K extends 'u16'
        ? Uint16Array
        : K extends 'i32'
          ? Int32Array
          : K extends 'u32'
            ? Uint32Array
            : K extends 'f32'
              ? Float32Array
              : K extends 'f64'
                ? Float64Array
                : K extends 'i64'
                  ? BigInt64Array
                  : BigUint64Array;

/** The names of a struct's number fields (`i8` to `f64`, not bigint ones). */
export type NumberFieldName<D> =
  D extends StructDef<infer F, boolean> ? { [N in keyof F]: F[N] extends NumberKind ? N : never }[keyof F] & string : never;

/** The TypeScript type a field's property has. */
export type FieldValue<K> = K extends 'spinlock'
  ? Spinlock
  : K extends 'refcount'
    ? Refcount
    : K extends 'hlistNulls'
      ? HlistNullsNode
      : K extends NumberKind
        ? number
        : K extends BigIntKind
          ? bigint
          : K extends { readonly array: infer A extends ScalarKind }
            ? ScalarArray<A>
            : K extends { readonly rcu: () => infer S }
              ? StructRef<S> | null
              : never;

type Writable<K> = K extends ScalarKind ? true : K extends RcuFieldKind ? true : false;

export type StructObject<F extends FieldSpec> = {
  -readonly [N in keyof F as Writable<F[N]> extends true ? N : never]: FieldValue<F[N]>;
} & {
  readonly [N in keyof F as Writable<F[N]> extends true ? never : N]: FieldValue<F[N]>;
};

/**
 * The type of a reference to an object of struct `D`; TypeStable<...> when `D` was declared
 * with `typesafeByRcu: true`.
 */
export type StructRef<D> =
  D extends StructDef<infer F, infer TS> ? (TS extends true ? TypeStable<StructObject<F>> : StructObject<F>) : never;

// ---------------------------------------------------------------------------------------------
// Per-heap views
// ---------------------------------------------------------------------------------------------

/**
 * Fixed-length views of every element kind over one heap's buffer, replaced in place when the
 * buffer has grown (the heap's own views cover only i32/u32/u8/f64). Objects keep a reference
 * to this holder, never to a view, so they see the new views after a remap.
 */
export class StructViews {
  i8!: Int8Array;
  u8!: Uint8Array;
  i16!: Int16Array;
  u16!: Uint16Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f32!: Float32Array;
  f64!: Float64Array;
  i64!: BigInt64Array;
  u64!: BigUint64Array;
  /**
   * @internal This worker's object map of the heap (slab/object-map.ts): a SlabView per page
   * number, dense. Kept here so that an object's `$v` leads to it without a per-heap lookup.
   */
  readonly pages: unknown[] = [];
  /** @internal Byte offset of page 0 and word index of the page map, once known (else 0). */
  firstPage = 0;
  memmapWord = 0;

  constructor(readonly heap: Heap) {
    this.#map();
  }

  /** Make sure [0, byteEnd) is mapped, growing every view when the buffer has grown. */
  ensure(byteEnd: number): void {
    if (byteEnd > this.u8.length) this.#map();
  }

  /**
   * Remap to the length of the heap's own views, after bringing those up to date: these
   * views never cover more than heap.views do, so code that reaches an object through this
   * holder can use the heap's views (state bytes, lock words) at the same addresses.
   */
  #map(): void {
    this.heap.ensureMapped();
    const b = this.heap.buffer;
    const n = this.heap.views.u8.length;
    this.i8 = new Int8Array(b, 0, n);
    this.u8 = new Uint8Array(b, 0, n);
    this.i16 = new Int16Array(b, 0, n >> 1);
    this.u16 = new Uint16Array(b, 0, n >> 1);
    this.i32 = new Int32Array(b, 0, n >> 2);
    this.u32 = new Uint32Array(b, 0, n >> 2);
    this.f32 = new Float32Array(b, 0, n >> 2);
    this.f64 = new Float64Array(b, 0, n >> 3);
    this.i64 = new BigInt64Array(b, 0, n >> 3);
    this.u64 = new BigUint64Array(b, 0, n >> 3);
  }
}

/**
 * This worker's StructViews of a heap live on the Heap object itself (a Heap is per worker),
 * under a module-private symbol: one property load, and nothing outlives the heap.
 */
const VIEWS = Symbol('rcukit.structViews');
type HeapWithViews = Heap & { [VIEWS]?: StructViews };

/** @internal This worker's StructViews of a heap. */
export function structViews(heap: Heap): StructViews {
  return ((heap as HeapWithViews)[VIEWS] ??= new StructViews(heap));
}

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

/**
 * Base of every struct object. The `$`-prefixed fields are internal (field names may not
 * start with `$`): they are plain properties so that V8 keeps one hidden class per struct.
 */
export class StructObjectBase {
  /** @internal Views holder of the heap. */
  $v: StructViews;
  /** @internal The heap. */
  $h: Heap;
  /** @internal Heap byte offset of the object. */
  $a: number;
  /** @internal Owning cache (this worker's handle); typed loosely to keep struct.ts below slab/. */
  $c: unknown;
  /** @internal Byte index of the object's state byte in its slab header (slab/layout.ts). */
  $s: number;
  /** @internal Lazily created field handles (locks, refcounts, nodes, array views) by field index. */
  $x: unknown[] | null;

  constructor(views: StructViews, address: number, cache: unknown, stateByte: number) {
    this.$v = views;
    this.$h = views.heap;
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
          out[f.name] = Array.from((this as unknown as Record<string, ArrayLike<unknown>>)[f.name]!, (v) => (typeof v === 'bigint' ? v.toString() : v));
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
export type StructObjectClass = new (views: StructViews, address: number, cache: unknown, stateByte: number) => StructObjectBase;

const SCALAR: Record<ScalarKind, { size: number; shift: number }> = {
  i8: { size: 1, shift: 0 },
  u8: { size: 1, shift: 0 },
  i16: { size: 2, shift: 1 },
  u16: { size: 2, shift: 1 },
  i32: { size: 4, shift: 2 },
  u32: { size: 4, shift: 2 },
  f32: { size: 4, shift: 2 },
  f64: { size: 8, shift: 3 },
  i64: { size: 8, shift: 3 },
  u64: { size: 8, shift: 3 },
};

const structByClass = new WeakMap<object, AnyStructDef>();
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'toJSON', 'then']);

/**
 * Declare a struct. Throws StructDefinitionError for an unknown field kind, a bad array
 * length, a reserved or `$`-prefixed field name, or no fields at all.
 */
export function defineStruct<const F extends FieldSpec, TS extends boolean = false>(
  name: string,
  fields: F,
  options: StructOptions<TS> = {},
): StructDef<F, TS> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
    throw new StructDefinitionError(`defineStruct(): the struct name must be a string of 1 to 64 characters; got ${String(name)}`);
  }
  if (fields === null || typeof fields !== 'object') throw new StructDefinitionError(`defineStruct('${name}'): fields must be an object`);
  const names = Object.keys(fields);
  if (names.length === 0) throw new StructDefinitionError(`defineStruct('${name}'): a struct needs at least one field`);
  const typesafeByRcu = options.typesafeByRcu === true;

  const layouts: FieldLayout[] = [];
  let offset = 0;
  let maxAlign = 4;
  for (const field of names) {
    const where = `defineStruct('${name}'): field '${field}'`;
    if (!IDENT.test(field) || RESERVED.has(field)) {
      throw new StructDefinitionError(`${where}: field names must be identifiers other than ${[...RESERVED].join(', ')}`);
    }
    if (field.startsWith('$')) throw new StructDefinitionError(`${where}: names starting with '$' are reserved`);
    const spec = (fields as FieldSpec)[field] as unknown;
    const f = fieldLayout(where, field, spec);
    offset = alignTo(offset, f.align);
    layouts.push({ ...f, offset });
    offset += f.size;
    maxAlign = Math.max(maxAlign, f.align);
  }
  const size = alignTo(offset, maxAlign);
  const signature = `${name}{${layouts.map((f) => `${f.name}:${f.kind}${f.element ? `<${f.element}x${f.length}>` : ''}@${f.offset}`).join(',')}}${typesafeByRcu ? '!ts' : ''}`;
  const layout: StructLayout = { size, align: maxAlign, fields: layouts, signature, hash: fnv1a(signature) };

  class StructObject extends StructObjectBase {}
  Object.defineProperty(StructObject, 'name', { value: `struct ${name}` });
  const def: StructDef<F, TS> = {
    name,
    fields,
    typesafeByRcu: typesafeByRcu as TS,
    layout,
    objectClass: StructObject,
  };
  layouts.forEach((f, index) => defineAccessor(StructObject.prototype, def, f, index));
  structByClass.set(StructObject, def);
  return Object.freeze(def);
}

function fieldLayout(where: string, field: string, spec: unknown): Omit<FieldLayout, 'offset'> {
  if (typeof spec === 'string') {
    if (spec in SCALAR) {
      const s = SCALAR[spec as ScalarKind];
      return { name: field, kind: spec as ScalarKind, size: s.size, align: s.size };
    }
    if (spec === 'spinlock' || spec === 'refcount') return { name: field, kind: spec, size: 4, align: 4 };
    if (spec === 'hlistNulls') return { name: field, kind: 'hlistNulls', size: HLIST_NULLS_NODE_BYTES, align: 4 };
    throw new StructDefinitionError(
      `${where}: unknown kind '${spec}' (expected one of ${Object.keys(SCALAR).join(', ')}, spinlock, refcount, hlistNulls, { array, length }, { rcu })`,
    );
  }
  if (spec !== null && typeof spec === 'object') {
    const o = spec as { array?: unknown; length?: unknown; rcu?: unknown };
    if ('array' in o) {
      if (typeof o.array !== 'string' || !(o.array in SCALAR)) {
        throw new StructDefinitionError(`${where}: array element kind must be one of ${Object.keys(SCALAR).join(', ')}; got ${String(o.array)}`);
      }
      const length = o.length;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 1 << 20) {
        throw new StructDefinitionError(`${where}: array length must be an integer from 1 to ${1 << 20}; got ${String(length)}`);
      }
      const s = SCALAR[o.array as ScalarKind];
      return { name: field, kind: 'array', size: s.size * length, align: s.size, element: o.array as ScalarKind, length };
    }
    if ('rcu' in o) {
      if (typeof o.rcu !== 'function') throw new StructDefinitionError(`${where}: { rcu } must be a function returning the target struct`);
      return { name: field, kind: 'rcu', size: 4, align: 4, target: o.rcu as () => AnyStructDef };
    }
  }
  throw new StructDefinitionError(`${where}: cannot lay out ${JSON.stringify(spec)}`);
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
        // it orders this reader's later loads from the pointee after the address load. In
        // WebAssembly (heap/atomics.ts): about 5 ns, where Atomics.load costs about 18.
        get(this: StructObjectBase) {
          const address = this.$h.atomics.load((this.$a + off) >> 2);
          return address === 0 ? null : resolveIn(this.$v, target(), address);
        },
        // rcu_assign_pointer: the atomic store is sequentially consistent, so every store
        // this thread made before it (the new object's initialization, plain stores included)
        // is visible to any reader whose atomic load returns the new address. Without it a
        // reader could see the pointer but the pointee's old contents.
        set(this: StructObjectBase, value: unknown) {
          this.$h.atomics.store((this.$a + off) >> 2, value === null ? 0 : addressForStore(value, target(), label, this.$h));
        },
      };
      break;
    }
    default: {
      const shift = SCALAR[f.kind].shift;
      const kind = f.kind;
      // Reads are plain typed-array loads (see the file comment).
      const get = function (this: StructObjectBase) {
        return this.$v[kind][(this.$a + off) >> shift];
      };
      desc = def.typesafeByRcu
        ? { get, set: atomicSetter(kind as ScalarKind, off) }
        : {
            get,
            set(this: StructObjectBase, value: never) {
              this.$v[kind][(this.$a + off) >> shift] = value;
            },
          };
    }
  }
  Object.defineProperty(proto, f.name, { ...desc, enumerable: true, configurable: false });
}

/**
 * The setter of a scalar field of a type-stable struct: one atomic store of the field's width
 * (WebAssembly, about 5 ns). Why atomic: a reader may read this object with no lock and no
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
    throw new WrongCacheError(`${label} = ...: the value is not a slab object (got ${describe(value)}); allocate it with kmemCacheAlloc()`);
  }
  if (value.constructor !== target.objectClass) {
    throw new WrongCacheError(`${label} = ...: expected a '${target.name}' object, got a '${(value.constructor as { name: string }).name}'`);
  }
  if (value.$h !== heap) throw new WrongCacheError(`${label} = ...: the object lives in another heap`);
  return value.$a;
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/** The heap byte offset of a slab object: what crosses to another worker. */
export function addressOf(obj: object): number {
  if (!(obj instanceof StructObjectBase)) throw new WrongCacheError(`addressOf(): not a slab object (got ${describe(obj)})`);
  return obj.$a;
}

/**
 * This worker's object for `address` (as addressOf() gave it, in any worker), the same object
 * on every call while the slot stays in its slab. Throws WrongCacheError when no slab of a
 * cache of `struct` holds an object at that address.
 */
export function objectAt<D extends AnyStructDef>(struct: D, heap: Heap, address: number): StructRef<D> {
  return resolveAddress(struct, heap, address) as unknown as StructRef<D>;
}

/** The struct an object belongs to. */
export function structOf(obj: object): AnyStructDef | null {
  return obj instanceof StructObjectBase ? (structByClass.get(obj.constructor) ?? null) : null;
}

/** Byte offset of a field from the start of its object (offsetof). */
export function offsetOf(struct: AnyStructDef, field: string): number {
  const f = struct.layout.fields.find((x) => x.name === field);
  if (f === undefined) throw new StructDefinitionError(`offsetOf(${struct.name}, '${field}'): no such field`);
  return f.offset;
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

function alignTo(v: number, a: number): number {
  return (v + a - 1) & ~(a - 1);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value.constructor as { name?: string } | undefined)?.name ?? 'object';
  return typeof value;
}
