/**
 * @fileoverview Struct declarations: layout, typed fields over shared memory, RCU pointer
 * fields, identity of references, and the errors of bad declarations.
 */

import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Refcount,
  SLAB_HWCACHE_ALIGN,
  SLAB_TYPESAFE_BY_RCU,
  Spinlock,
  StructDefinitionError,
  WrongCacheError,
  addressOf,
  createHeap,
  defineStruct,
  fieldIndex,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  objectAt,
  offsetOf,
  spinLock,
  spinUnlock,
  structOf,
  type Heap,
} from '@rcukit/runtime';

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

const Sighand = defineStruct(
  'sighand',
  {
    siglock: 'spinlock',
    count: 'refcount',
    flags: 'u32',
    small: 'u8',
    big: 'f64',
    id: 'i16',
    action: { array: 'i32', length: 8 },
    wide: 'i64',
    node: 'hlistNulls',
  },
  { typesafeByRcu: true },
);
const Task = defineStruct('task', { pid: 'i32', sighand: { rcu: () => Sighand }, comm: { array: 'u8', length: 16 } });

describe('defineStruct layout', () => {
  it('lays fields out in order with natural alignment and pads the size to the largest alignment', () => {
    const f = Object.fromEntries(Sighand.layout.fields.map((x) => [x.name, x]));
    for (const x of Sighand.layout.fields) {
      expect(x.offset % x.align).toBe(0);
    }
    // In declaration order, never overlapping.
    for (let i = 1; i < Sighand.layout.fields.length; i++) {
      const prev = Sighand.layout.fields[i - 1]!;
      expect(Sighand.layout.fields[i]!.offset).toBeGreaterThanOrEqual(prev.offset + prev.size);
    }
    expect(f.big!.offset % 8).toBe(0);
    expect(f.action!.size).toBe(32);
    expect(f.node!.size).toBe(8);
    expect(Sighand.layout.size % Sighand.layout.align).toBe(0);
    expect(Sighand.layout.align).toBe(8);
    expect(offsetOf(Sighand, 'big')).toBe(f.big!.offset);
  });

  it('gives the same signature to the same declaration and another to a different one', () => {
    const again = defineStruct('task', {
      pid: 'i32',
      sighand: { rcu: () => Sighand },
      comm: { array: 'u8', length: 16 },
    });
    const other = defineStruct('task', {
      pid: 'i32',
      sighand: { rcu: () => Sighand },
      comm: { array: 'u8', length: 17 },
    });
    expect(again.layout.hash).toBe(Task.layout.hash);
    expect(other.layout.hash).not.toBe(Task.layout.hash);
  });

  it.each([
    ['an unknown kind', { a: 'int' }],
    ['a zero-length array', { a: { array: 'i32', length: 0 } }],
    ['a fractional array length', { a: { array: 'i32', length: 1.5 } }],
    ['an array of an unknown kind', { a: { array: 'spinlock', length: 2 } }],
    ['a non-function rcu target', { a: { rcu: 3 } }],
    ['a $ field name', { $a: 'i32' }],
    ['a reserved field name', { constructor: 'i32' }],
    ['no fields', {}],
  ])('rejects %s with StructDefinitionError', (_what, fields) => {
    expect(() => defineStruct('bad', fields as never)).toThrow(StructDefinitionError);
  });

  it('takes the key option as the data fields that identify an object, and names a bad one', () => {
    const fields = { lock: 'spinlock', refs: 'refcount', id: 'i32', zone: 'u16' } as const;
    expect(defineStruct('keyed', fields, { typesafeByRcu: true, key: 'id' }).keyFields).toEqual(['id']);
    expect(defineStruct('keyed', fields, { key: ['id', 'zone', 'id'] }).keyFields).toEqual(['id', 'zone']);
    expect(defineStruct('keyed', fields).keyFields).toEqual([]);
    expect(() => defineStruct('keyed', fields, { key: 'nope' })).toThrow(/key 'nope' must name a data field/);
    expect(() => defineStruct('keyed', fields, { key: 'lock' })).toThrow(StructDefinitionError);
    expect(() => defineStruct('keyed', fields, { key: 3 as never })).toThrow(/key 3 must name a data field/);
  });
});

describe('struct objects', () => {
  it('reads and writes every field kind through the shared heap', () => {
    heap = createHeap({ maxBytes: 8 << 20 });
    const cache = kmemCacheCreate(heap, 'sighand', Sighand, { flags: SLAB_TYPESAFE_BY_RCU });
    const s = kmemCacheAlloc(cache);
    s.flags = 0xfffffffe;
    s.small = 300; // u8 wraps like C
    s.big = 2.5;
    s.id = -7;
    s.wide = -(2n ** 40n);
    s.action[7] = 42;
    expect(s.flags).toBe(0xfffffffe);
    expect(s.small).toBe(44);
    expect(s.big).toBe(2.5);
    expect(s.id).toBe(-7);
    expect(s.wide).toBe(-(2n ** 40n));
    // The bytes are in the heap at the object's address.
    const base = addressOf(s);
    expect(heap.views.u32[(base + offsetOf(Sighand, 'flags')) >> 2]).toBe(0xfffffffe);
    expect(heap.views.i32[(base + offsetOf(Sighand, 'action')) / 4 + 7]).toBe(42);
    expect(heap.views.f64[(base + offsetOf(Sighand, 'big')) >> 3]).toBe(2.5);
    expect(fieldIndex(s, 'flags')).toBe((base + offsetOf(Sighand, 'flags')) >> 2);
    // Handles are stable and point at the field.
    expect(s.siglock).toBeInstanceOf(Spinlock);
    expect(s.siglock).toBe(s.siglock);
    expect(s.siglock.byteOffset).toBe(base + offsetOf(Sighand, 'siglock'));
    expect(s.count).toBeInstanceOf(Refcount);
    expect(s.node.byteOffset).toBe(base + offsetOf(Sighand, 'node'));
    expect(s.node.container).toBe(s);
    spinLock(s.siglock);
    expect(s.siglock.heldByMe).toBe(true);
    spinUnlock(s.siglock);
    expect(structOf(s)).toBe(Sighand);
    kmemCacheFree(cache, s);
  });

  it('type-stable structs store through atomic setters exactly what a typed array would store', () => {
    // The same fields in a type-stable struct (atomic setters) and a plain one (typed-array
    // stores): every value, awkward ones included, must land as the same bytes.
    const fields = {
      a: 'i8',
      b: 'u8',
      c: 'i16',
      d: 'u16',
      e: 'i32',
      f: 'u32',
      g: 'f32',
      h: 'f64',
      i: 'i64',
      j: 'u64',
    } as const;
    const Stable = defineStruct('stable-scalars', fields, { typesafeByRcu: true });
    const Plain = defineStruct('plain-scalars', fields);
    heap = createHeap({ maxBytes: 8 << 20 });
    const stable = kmemCacheAlloc(kmemCacheCreate(heap, 'stable', Stable, { flags: SLAB_TYPESAFE_BY_RCU }));
    const plain = kmemCacheAlloc(kmemCacheCreate(heap, 'plain', Plain));
    const numbers: Record<string, unknown[]> = {
      a: [200, -129, 1.9, '7', NaN],
      b: [-1, 256, 300.7, true],
      c: [40_000, -32_769, -0.5],
      d: [-1, 65_536, 1e10],
      e: [2 ** 31, -(2 ** 31) - 1, 2 ** 53, -0, Infinity],
      f: [-1, 2 ** 32 + 5, 4_294_967_295],
      g: [0.1, 1e40, -0, NaN, 16_777_217],
      h: [-0, Math.PI, Number.MAX_VALUE, -Infinity, '2.5'],
      i: [2n ** 63n, -(2n ** 63n) - 1n, -1n],
      j: [-1n, 2n ** 64n + 3n],
    };
    const size = Stable.layout.size;
    for (const [field, values] of Object.entries(numbers)) {
      for (const value of values) {
        (stable as unknown as Record<string, unknown>)[field] = value;
        (plain as unknown as Record<string, unknown>)[field] = value;
        expect(heap.views.u8.slice(addressOf(stable), addressOf(stable) + size), `${field} = ${String(value)}`).toEqual(
          heap.views.u8.slice(addressOf(plain), addressOf(plain) + size),
        );
      }
    }
    expect(stable.e).toBe(0);
    expect(stable.h).toBe(2.5);
    expect(stable.j).toBe(3n);
    // A number for a bigint field is the same TypeError as a BigInt64Array's.
    expect(() => ((stable as unknown as Record<string, unknown>)['i'] = 5)).toThrow(TypeError);
    expect(() => ((plain as unknown as Record<string, unknown>)['i'] = 5)).toThrow(TypeError);
  });

  it('RCU pointer fields store addresses and give back the === object', () => {
    heap = createHeap({ maxBytes: 8 << 20 });
    const sc = kmemCacheCreate(heap, 'sighand', Sighand, { flags: SLAB_TYPESAFE_BY_RCU });
    const tc = kmemCacheCreate(heap, 'task', Task);
    const t = kmemCacheAlloc(tc);
    const s = kmemCacheAlloc(sc);
    t.sighand = null;
    expect(t.sighand).toBeNull();
    expect(heap.views.i32[(addressOf(t) + offsetOf(Task, 'sighand')) >> 2]).toBe(0);
    t.sighand = s;
    expect(heap.views.i32[(addressOf(t) + offsetOf(Task, 'sighand')) >> 2]).toBe(addressOf(s));
    expect(t.sighand).toBe(s);
    expect(objectAt(Sighand, heap, addressOf(s))).toBe(s);
    // A reference of the wrong struct is refused, and nothing is stored.
    expect(() => {
      (t as unknown as { sighand: unknown }).sighand = t;
    }).toThrow(WrongCacheError);
    expect(t.sighand).toBe(s);
    expect(() => objectAt(Task, heap!, addressOf(s))).toThrow(WrongCacheError);
    expect(() => objectAt(Sighand, heap!, addressOf(s) + 4)).toThrow(WrongCacheError);
    expect(() => objectAt(Sighand, heap!, 16)).toThrow(WrongCacheError);
    kmemCacheFree(tc, t);
    kmemCacheFree(sc, s);
  });

  it('prints and serializes as its fields, not its internals', () => {
    heap = createHeap({ maxBytes: 8 << 20 });
    const tc = kmemCacheCreate(heap, 'task', Task);
    const sc = kmemCacheCreate(heap, 'sighand', Sighand, { flags: SLAB_TYPESAFE_BY_RCU });
    const t = kmemCacheAlloc(tc);
    const s = kmemCacheAlloc(sc);
    t.pid = 42;
    t.sighand = s;
    t.comm.set([104, 105]);
    expect(JSON.parse(JSON.stringify(t))).toEqual({
      pid: 42,
      sighand: addressOf(s),
      comm: [104, 105, ...new Array<number>(14).fill(0)],
    });
    expect(inspect(t)).toBe(
      `struct task @0x${addressOf(t).toString(16)} { pid: 42, sighand: ${addressOf(s)}, comm: [104,105,0,0,0,0,0,0,0,0,0,0,0,0,0,0] }`,
    );
    expect(Object.keys(JSON.parse(JSON.stringify(s)) as object)).toEqual(Sighand.layout.fields.map((f) => f.name));
    kmemCacheFree(tc, t);
    kmemCacheFree(sc, s);
  });

  it('aligns objects to 64 bytes with SLAB_HWCACHE_ALIGN', () => {
    heap = createHeap({ maxBytes: 8 << 20 });
    const Small = defineStruct('small', { a: 'i32' });
    const c = kmemCacheCreate(heap, 'small-hw', Small, { flags: SLAB_HWCACHE_ALIGN });
    const objs = Array.from({ length: 10 }, () => kmemCacheAlloc(c));
    for (const o of objs) expect(addressOf(o) % 64).toBe(0);
    expect(c.stride).toBe(64);
    for (const o of objs) kmemCacheFree(c, o);
  });
});
