/**
 * @fileoverview Struct declarations: the field kinds, the TypeScript types of a struct's
 * objects (StructRef, with the TypeStable brand for type-stable structs), and defineStruct(),
 * which computes a C-like layout once. The objects themselves are struct-object.ts's.
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
 * Field kinds: integers and floats (`i8 u8 i16 u16 i32 u32 f32 f64`, and `i64 u64` as
 * bigint), `spinlock`, `refcount`, fixed arrays (`{ array: 'i32', length: n }`), RCU-protected
 * pointers (`{ rcu: () => Other }`), and `hlistNulls`, which reserves an hlist_nulls node (two
 * Int32 words, `next` then `pprev`). What reading and writing each does is struct-object.ts's.
 *
 * The thunk in `{ rcu: () => Other }` allows a struct to point at one declared later. A struct
 * that points at itself (or a true cycle) needs a type annotation on one declaration, as any
 * self-referencing `const` does in TypeScript.
 */

import { StructDefinitionError } from './errors.js';
import { HLIST_NULLS_NODE_BYTES, type HlistNullsNode } from './hash/hlist-nulls-node.js';
import type { Refcount } from './refcount.js';
import type { Spinlock } from './spinlock.js';
import { defineAccessors, newObjectClass, type StructObjectClass } from './struct-object.js';
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
  /**
   * The data fields that tell one object from another, as a lookup's key does (`'tuple'`, or
   * several): reading one under the object's lock or a reference is how a reader checks that it
   * locked the object it looked up. Debug mode takes such a read as the revalidation
   * (StaleObjectError); fields an RcuHashTable is keyed by count without being named here.
   */
  readonly key?: string | readonly string[];
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
  /** The `key` option's fields. */
  readonly keyFields: readonly string[];
  readonly layout: StructLayout;
  /** @internal The class of this struct's objects. */
  readonly objectClass: StructObjectClass;
}

export type AnyStructDef = StructDef;

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
  D extends StructDef<infer F> ? { [N in keyof F]: F[N] extends NumberKind ? N : never }[keyof F] & string : never;

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

/** Bytes of each scalar kind, which are also its alignment. */
const SCALAR: Record<ScalarKind, { size: number }> = {
  i8: { size: 1 },
  u8: { size: 1 },
  i16: { size: 2 },
  u16: { size: 2 },
  i32: { size: 4 },
  u32: { size: 4 },
  f32: { size: 4 },
  f64: { size: 8 },
  i64: { size: 8 },
  u64: { size: 8 },
};

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
  const givenName: unknown = name; // as a JavaScript caller may pass it
  if (typeof givenName !== 'string' || givenName.length === 0 || givenName.length > 64) {
    throw new StructDefinitionError(
      `defineStruct(): the struct name must be a string of 1 to 64 characters; got ${String(givenName)}`,
    );
  }
  const givenFields: unknown = fields;
  if (givenFields === null || typeof givenFields !== 'object')
    throw new StructDefinitionError(`defineStruct('${name}'): fields must be an object`);
  const names = Object.keys(fields);
  if (names.length === 0) throw new StructDefinitionError(`defineStruct('${name}'): a struct needs at least one field`);
  const typesafeByRcu = options.typesafeByRcu === true;

  const layouts: FieldLayout[] = [];
  let offset = 0;
  let maxAlign = 4;
  for (const field of names) {
    const where = `defineStruct('${name}'): field '${field}'`;
    if (!IDENT.test(field) || RESERVED.has(field)) {
      throw new StructDefinitionError(
        `${where}: field names must be identifiers other than ${[...RESERVED].join(', ')}`,
      );
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
  const keyFields = keyFieldsOf(name, options.key, layouts);

  const def: StructDef<F, TS> = {
    name,
    fields,
    typesafeByRcu: typesafeByRcu as TS,
    keyFields,
    layout,
    objectClass: newObjectClass(name),
  };
  defineAccessors(def);
  return Object.freeze(def);
}

/** The `key` option, checked: data fields of the struct, named once each. */
function keyFieldsOf(name: string, key: unknown, layouts: readonly FieldLayout[]): readonly string[] {
  if (key === undefined) return Object.freeze([]);
  const list: unknown[] = typeof key === 'string' ? [key] : Array.isArray(key) ? (key as unknown[]) : [key];
  for (const k of list) {
    const f = typeof k === 'string' ? layouts.find((x) => x.name === k) : undefined;
    if (f === undefined || f.kind === 'spinlock' || f.kind === 'refcount') {
      throw new StructDefinitionError(
        `defineStruct('${name}'): key ${typeof k === 'string' ? `'${k}'` : String(k)} must name a data field of the struct (not a spinlock or refcount)`,
      );
    }
  }
  return Object.freeze([...new Set(list as string[])]);
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
        throw new StructDefinitionError(
          `${where}: array element kind must be one of ${Object.keys(SCALAR).join(', ')}; got ${String(o.array)}`,
        );
      }
      const length = o.length;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 1 << 20) {
        throw new StructDefinitionError(
          `${where}: array length must be an integer from 1 to ${1 << 20}; got ${String(length)}`,
        );
      }
      const s = SCALAR[o.array as ScalarKind];
      return {
        name: field,
        kind: 'array',
        size: s.size * length,
        align: s.size,
        element: o.array as ScalarKind,
        length,
      };
    }
    if ('rcu' in o) {
      if (typeof o.rcu !== 'function')
        throw new StructDefinitionError(`${where}: { rcu } must be a function returning the target struct`);
      return { name: field, kind: 'rcu', size: 4, align: 4, target: o.rcu as () => AnyStructDef };
    }
  }
  throw new StructDefinitionError(`${where}: cannot lay out ${JSON.stringify(spec)}`);
}

/** Byte offset of a field from the start of its object (offsetof). */
export function offsetOf(struct: AnyStructDef, field: string): number {
  const f = struct.layout.fields.find((x) => x.name === field);
  if (f === undefined) throw new StructDefinitionError(`offsetOf(${struct.name}, '${field}'): no such field`);
  return f.offset;
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
