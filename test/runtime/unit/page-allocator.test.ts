/**
 * @fileoverview The buddy page allocator: aligned power-of-two runs, coalescing, growth up to
 * the heap's maximum, out-of-memory as a named error with the allocator intact, and the
 * hand-out instrumentation.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  DoubleFreeError,
  InvalidPageError,
  MAX_ORDER,
  OutOfMemoryError,
  allocPages,
  createHeap,
  freePages,
  onPageHandout,
  pageAllocatorStats,
  type Heap,
} from '@rcukit/runtime';

const PAGE = 4096;
let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

describe('page allocator', () => {
  it('hands out disjoint, size-aligned runs and coalesces them back', () => {
    heap = createHeap({ initialBytes: 1 << 20, maxBytes: 8 << 20 });
    const runs: { at: number; order: number }[] = [];
    let base = -1;
    for (let i = 0; i < 60; i++) {
      const order = i % 4;
      const at = allocPages(heap, order);
      if (base < 0) base = at; // the first page is aligned to every order
      runs.push({ at, order });
    }
    const first = pageAllocatorStats(heap);
    // Runs never overlap and each is aligned to its own size relative to the managed area.
    const sorted = [...runs].sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.at).toBeGreaterThanOrEqual(sorted[i - 1]!.at + (PAGE << sorted[i - 1]!.order));
    const lowest = sorted[0]!.at;
    for (const r of runs) {
      expect((r.at - lowest) % PAGE).toBe(0);
      expect(r.at + (PAGE << r.order)).toBeLessThanOrEqual(heap.byteLength);
    }
    const handed = runs.reduce((n, r) => n + (1 << r.order), 0);
    expect(first.totalPages - first.freePages).toBe(handed);
    for (const r of runs) freePages(heap, r.at, r.order);
    const after = pageAllocatorStats(heap);
    expect(after.freePages).toBe(after.totalPages);
    // Everything merged back: no order-0 crumbs left.
    expect(after.freeRunsByOrder[0]).toBeLessThanOrEqual(1);
    expect(after.frees - first.frees).toBe(runs.length);
  });

  it('grows the heap on demand and throws OutOfMemoryError at the maximum, leaving the allocator usable', () => {
    heap = createHeap({ initialBytes: 256 << 10, maxBytes: 4 << 20 });
    const before = heap.byteLength;
    const got: number[] = [];
    expect(() => {
      for (;;) got.push(allocPages(heap!, 2));
    }).toThrow(OutOfMemoryError);
    expect(heap.byteLength).toBeGreaterThan(before);
    expect(heap.byteLength).toBeLessThanOrEqual(4 << 20);
    expect(new Set(got).size).toBe(got.length);
    const stats = pageAllocatorStats(heap);
    expect(stats.freePages).toBeLessThan(4);
    // Free one run: the next request of that size succeeds again.
    freePages(heap, got.pop()!, 2);
    const again = allocPages(heap, 2);
    freePages(heap, again, 2);
    for (const at of got) freePages(heap, at, 2);
    const end = pageAllocatorStats(heap);
    expect(end.freePages).toBe(end.totalPages);
  });

  it('refuses a double free and a run it never handed out, with named errors', () => {
    heap = createHeap({ maxBytes: 4 << 20 });
    const a = allocPages(heap, 1);
    freePages(heap, a, 1);
    expect(() => freePages(heap!, a, 1)).toThrow(DoubleFreeError);
    expect(() => freePages(heap!, a + 100, 0)).toThrow(InvalidPageError);
    expect(() => freePages(heap!, 4096, 0)).toThrow(InvalidPageError); // the header page
    expect(() => allocPages(heap!, MAX_ORDER + 1)).toThrow(RangeError);
    const stats = pageAllocatorStats(heap);
    expect(stats.freePages).toBe(stats.totalPages);
  });

  it('reports every hand-out to the instrumentation hook until it is removed', () => {
    heap = createHeap({ maxBytes: 4 << 20 });
    const seen: [number, number][] = [];
    const off = onPageHandout(heap, (at, order) => seen.push([at, order]));
    const a = allocPages(heap, 0);
    const b = allocPages(heap, 3);
    off();
    const c = allocPages(heap, 0);
    expect(seen).toEqual([
      [a, 0],
      [b, 3],
    ]);
    for (const [at, o] of [
      [a, 0],
      [b, 3],
      [c, 0],
    ] as const)
      freePages(heap, at, o);
  });
});
