/**
 * hlist_nulls over heap addresses, single-threaded: markers, add/delete/replace, the walk and
 * its ending marker, a reader left standing on a node that moves to another chain, misuse,
 * and random operation sequences against a model (fast-check).
 */

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HlistNullsError,
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  addressOf,
  offsetOf,
  NULLS_VALUE_MAX,
  createHeap,
  getNullsValue,
  hlistNullsAddHeadRcu,
  hlistNullsDelInitRcu,
  hlistNullsDelRcu,
  hlistNullsEmpty,
  hlistNullsFirstRcu,
  hlistNullsForEachRcu,
  hlistNullsNextRcu,
  hlistNullsReplaceRcu,
  hlistNullsUnhashed,
  initNullsHead,
  isANulls,
  nullsMarker,
  type Heap,
} from '@rcukit/runtime';

/** Objects of 16 bytes with their node at offset 8, carved from a root: no slab needed here. */
const OBJECT_BYTES = 16;
const NODE_OFFSET = 8;
const OBJECTS = 32;
const CHAINS = 4;

let heap: Heap;
let heads: number;
let objects: number;

beforeEach(() => {
  heap = createHeap({ threadName: 'hlist-nulls-test' });
  heads = heap.root('test-heads', CHAINS * 4);
  objects = heap.root('test-objects', OBJECTS * OBJECT_BYTES);
  for (let b = 0; b < CHAINS; b++) initNullsHead(heap, head(b), b);
});

afterEach(() => heap.detach());

const head = (bucket: number) => heads + bucket * 4;
const node = (i: number) => objects + i * OBJECT_BYTES + NODE_OFFSET;
const indexOf = (nodeByte: number) => (nodeByte - NODE_OFFSET - objects) / OBJECT_BYTES;

/** The chain as object indices, and the marker it ends on. */
function walk(bucket: number): { items: number[]; end: number } {
  const items: number[] = [];
  const end = hlistNullsForEachRcu(heap, head(bucket), (n) => {
    items.push(indexOf(n));
  });
  return { items, end };
}

describe('nulls markers', () => {
  it('encode a value in an odd word that node addresses can never be', () => {
    for (const value of [0, 1, 7, 12345, NULLS_VALUE_MAX]) {
      const marker = nullsMarker(value);
      expect(isANulls(marker)).toBe(true);
      expect(getNullsValue(marker)).toBe(value);
    }
    expect(isANulls(node(3))).toBe(false);
  });

  it.each([-1, NULLS_VALUE_MAX + 1, 1.5, Number.NaN])('reject the value %s with HlistNullsError', (value) => {
    expect(() => nullsMarker(value)).toThrow(HlistNullsError);
  });

  it('end each empty chain with its own bucket number', () => {
    for (let b = 0; b < CHAINS; b++) {
      expect(hlistNullsEmpty(heap, head(b))).toBe(true);
      const first = hlistNullsFirstRcu(heap, head(b));
      expect(isANulls(first)).toBe(true);
      expect(getNullsValue(first)).toBe(b);
    }
  });
});

describe('writers', () => {
  it('add at the head, so a walk sees the newest first and ends on its own marker', () => {
    for (const i of [5, 6, 7]) hlistNullsAddHeadRcu(heap, node(i), head(2));
    const { items, end } = walk(2);
    expect(items).toEqual([7, 6, 5]);
    expect(getNullsValue(end)).toBe(2);
    expect(hlistNullsUnhashed(heap, node(6))).toBe(false);
  });

  it.each([
    ['the head', 9, [8, 7]],
    ['the middle', 8, [9, 7]],
    ['the tail', 7, [9, 8]],
  ])('delete %s and keep the rest linked both ways', (_where, victim, rest) => {
    for (const i of [7, 8, 9]) hlistNullsAddHeadRcu(heap, node(i), head(1));
    hlistNullsDelInitRcu(heap, node(victim));
    expect(walk(1).items).toEqual(rest);
    expect(hlistNullsUnhashed(heap, node(victim))).toBe(true);
    // pprev of the survivors must still be right: deleting them all leaves an empty chain.
    for (const i of rest) hlistNullsDelInitRcu(heap, node(i));
    expect(hlistNullsEmpty(heap, head(1))).toBe(true);
    expect(getNullsValue(hlistNullsFirstRcu(heap, head(1)))).toBe(1);
  });

  it("leave a deleted node's next intact, so a reader standing on it walks on", () => {
    for (const i of [1, 2, 3]) hlistNullsAddHeadRcu(heap, node(i), head(0));
    const readerPos = node(2);
    hlistNullsDelRcu(heap, node(2));
    expect(indexOf(hlistNullsNextRcu(heap, readerPos))).toBe(1);
  });

  it("let a reader that stood on a node moved to another chain end on that chain's marker", () => {
    // Chain 0: 3 -> 2 -> 1; chain 3: 10 -> 11.
    for (const i of [1, 2, 3]) hlistNullsAddHeadRcu(heap, node(i), head(0));
    for (const i of [11, 10]) hlistNullsAddHeadRcu(heap, node(i), head(3));
    // A reader of chain 0 has reached node 2 ...
    let pos = hlistNullsNextRcu(heap, hlistNullsFirstRcu(heap, head(0)));
    expect(indexOf(pos)).toBe(2);
    // ... when a writer deletes it and, as a type-stable cache allows, reuses it in chain 3.
    hlistNullsDelInitRcu(heap, node(2));
    hlistNullsAddHeadRcu(heap, node(2), head(3));
    const seen: number[] = [];
    while (!isANulls(pos)) {
      seen.push(indexOf(pos));
      pos = hlistNullsNextRcu(heap, pos);
    }
    // It walked chain 3, and the marker tells it so: it must restart its lookup of chain 0.
    expect(seen).toEqual([2, 10, 11]);
    expect(getNullsValue(pos)).toBe(3);
  });

  it('replace a node in place', () => {
    for (const i of [1, 2, 3]) hlistNullsAddHeadRcu(heap, node(i), head(2));
    hlistNullsReplaceRcu(heap, node(2), node(20));
    expect(walk(2).items).toEqual([3, 20, 1]);
    expect(hlistNullsUnhashed(heap, node(2))).toBe(true);
    hlistNullsReplaceRcu(heap, node(3), node(21));
    hlistNullsReplaceRcu(heap, node(1), node(22));
    expect(walk(2).items).toEqual([21, 20, 22]);
    for (const i of [20, 21, 22]) hlistNullsDelInitRcu(heap, node(i));
    expect(hlistNullsEmpty(heap, head(2))).toBe(true);
  });

  it('accept a node again after it was deleted, in any chain', () => {
    hlistNullsAddHeadRcu(heap, node(4), head(0));
    hlistNullsDelRcu(heap, node(4));
    hlistNullsAddHeadRcu(heap, node(4), head(1));
    expect(walk(0).items).toEqual([]);
    expect(walk(1).items).toEqual([4]);
  });
});

describe('with struct objects', () => {
  it('takes the handle of an hlistNulls field as the node, and walks give its address', () => {
    const Conn = defineStruct('conn', { refcnt: 'refcount', port: 'i32', link: 'hlistNulls' }, { typesafeByRcu: true });
    const conns = kmemCacheCreate(heap, 'conns', Conn, { flags: SLAB_TYPESAFE_BY_RCU });
    const a = kmemCacheAlloc(conns);
    const b = kmemCacheAlloc(conns);
    hlistNullsAddHeadRcu(heap, a.link, head(1));
    hlistNullsAddHeadRcu(heap, b.link, head(1));
    const linkOffset = offsetOf(Conn, 'link');
    const seen: number[] = [];
    hlistNullsForEachRcu(heap, head(1), (n) => {
      seen.push(n - linkOffset);
    });
    expect(seen).toEqual([addressOf(b), addressOf(a)]);
    hlistNullsDelInitRcu(heap, a.link);
    expect(hlistNullsUnhashed(heap, a.link)).toBe(true);
    expect(() => hlistNullsAddHeadRcu(heap, {} as never, head(1))).toThrow(HlistNullsError);
  });
});

describe('misuse', () => {
  it('reports adding a node that is still on a list, and changes nothing', () => {
    hlistNullsAddHeadRcu(heap, node(1), head(0));
    expect(() => hlistNullsAddHeadRcu(heap, node(1), head(1))).toThrow(HlistNullsError);
    expect(walk(0).items).toEqual([1]);
    expect(walk(1).items).toEqual([]);
  });

  it('reports deleting twice with hlistNullsDelRcu, and deleting a node on no list', () => {
    hlistNullsAddHeadRcu(heap, node(1), head(0));
    hlistNullsDelRcu(heap, node(1));
    expect(() => hlistNullsDelRcu(heap, node(1))).toThrow(/on no list/);
    expect(() => hlistNullsDelRcu(heap, node(2))).toThrow(HlistNullsError);
    // hlistNullsDelInitRcu of an unhashed node is allowed and does nothing.
    hlistNullsDelInitRcu(heap, node(2));
  });

  it('reports replacing with a node already listed', () => {
    hlistNullsAddHeadRcu(heap, node(1), head(0));
    hlistNullsAddHeadRcu(heap, node(2), head(1));
    expect(() => hlistNullsReplaceRcu(heap, node(1), node(2))).toThrow(/already on a list/);
    expect(walk(0).items).toEqual([1]);
    expect(walk(1).items).toEqual([2]);
  });

  it.each([0, 3, -8, 1.5, 1 << 30])('rejects the address %s', (bad) => {
    expect(() => hlistNullsAddHeadRcu(heap, bad, head(0))).toThrow(HlistNullsError);
    expect(() => hlistNullsFirstRcu(heap, bad)).toThrow(HlistNullsError);
  });

  it('bounds a walk that does not end', () => {
    for (let i = 0; i < 10; i++) hlistNullsAddHeadRcu(heap, node(i), head(0));
    expect(hlistNullsForEachRcu(heap, head(0), () => {}, 5)).toBe(-1);
    expect(getNullsValue(hlistNullsForEachRcu(heap, head(0), () => {}, 10))).toBe(0);
  });
});

describe('against a model', () => {
  type Op =
    | { kind: 'add'; obj: number; chain: number }
    | { kind: 'del'; obj: number; init: boolean }
    | { kind: 'replace'; obj: number; by: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), obj: fc.nat(OBJECTS - 1), chain: fc.nat(CHAINS - 1) }),
    fc.record({ kind: fc.constant('del' as const), obj: fc.nat(OBJECTS - 1), init: fc.boolean() }),
    fc.record({ kind: fc.constant('replace' as const), obj: fc.nat(OBJECTS - 1), by: fc.nat(OBJECTS - 1) }),
  );

  it('keeps every chain equal to a list of arrays, with its own marker at the end', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        for (let b = 0; b < CHAINS; b++) initNullsHead(heap, head(b), b);
        heap.views.u8.fill(0, objects, objects + OBJECTS * OBJECT_BYTES);
        const model: number[][] = Array.from({ length: CHAINS }, () => []);
        const chainOf = (obj: number) => model.findIndex((c) => c.includes(obj));
        const poisoned = new Set<number>();
        for (const o of ops) {
          if (o.kind === 'add') {
            if (chainOf(o.obj) >= 0) {
              expect(() => hlistNullsAddHeadRcu(heap, node(o.obj), head(o.chain))).toThrow(HlistNullsError);
            } else {
              hlistNullsAddHeadRcu(heap, node(o.obj), head(o.chain));
              model[o.chain]!.unshift(o.obj);
              poisoned.delete(o.obj);
            }
          } else if (o.kind === 'del') {
            const c = chainOf(o.obj);
            if (c >= 0) {
              if (o.init) hlistNullsDelInitRcu(heap, node(o.obj));
              else hlistNullsDelRcu(heap, node(o.obj));
              if (o.init) poisoned.delete(o.obj);
              else poisoned.add(o.obj);
              model[c]!.splice(model[c]!.indexOf(o.obj), 1);
            }
          } else {
            const c = chainOf(o.obj);
            if (c >= 0 && chainOf(o.by) < 0) {
              hlistNullsReplaceRcu(heap, node(o.obj), node(o.by));
              model[c]![model[c]!.indexOf(o.obj)] = o.by;
              poisoned.delete(o.by);
            }
          }
          for (let b = 0; b < CHAINS; b++) {
            const { items, end } = walk(b);
            expect(items).toEqual(model[b]);
            expect(getNullsValue(end)).toBe(b);
          }
        }
        // Listed nodes are hashed; the others are unhashed unless hlistNullsDelRcu() poisoned them.
        for (let i = 0; i < OBJECTS; i++) {
          if (chainOf(i) >= 0) expect(hlistNullsUnhashed(heap, node(i))).toBe(false);
          else if (!poisoned.has(i)) expect(hlistNullsUnhashed(heap, node(i))).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
