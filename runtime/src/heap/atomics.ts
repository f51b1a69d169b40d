/**
 * @fileoverview The heap's hot atomic operations, run in WebAssembly over the heap's memory.
 *
 * Why (argued here only; the rest of the runtime and the docs point here): in Node 20 (V8
 * 11.3) every JavaScript Atomics call is a call into a builtin, about 18 ns on this project's
 * machines whatever the operation, an Atomics.load included. A call from JavaScript into
 * WebAssembly costs about 5 ns, and the atomic instructions inside it compile to the plain
 * machine instructions (a locked cmpxchg, a mov or an ldar). Measured
 * side by side in one run (2-core AMD EPYC, Node 20.20): an Atomics.store + Atomics.exchange
 * pair 38.6 ns, the same pair as one WebAssembly call 6.9 ns, an empty WebAssembly call 5.3 ns.
 * Node 22 (V8 12.4) and Node 24 (V8 13.6) still call a builtin per Atomics call: the
 * benchmark's two Atomics.store cost 1.6 to 2.3 times the same two accesses as WebAssembly
 * calls on all three versions (`npm run bench -- rcu --node all`), so WebAssembly stays the
 * choice everywhere and nothing is chosen per engine at start-up.
 * So the read side's outermost lock and unlock, the refcount operations, the lock word's fast
 * paths, the stores of type-stable structs' fields, and the hash table's whole lockless walk
 * (lookup() and read()) are each one call here.
 *
 * The operations have the same semantics as their Atomics counterparts: WebAssembly atomics
 * are sequentially consistent, and JavaScript and WebAssembly share one memory model over a
 * shared memory. The module (heap/atomics.wat, assembled into heap/atomics-wasm.ts) is
 * compiled once per thread and instantiated once per Heap object, over that heap's memory.
 */

import { HEAP_ATOMICS_WASM_BASE64 } from './atomics-wasm.js';
import { wasm, type WasmMemory } from './wasm-api.js';

/** The module's exports; `index` arguments are Int32Array word indices. */
export interface HeapAtomics {
  /** Atomics.load. */
  load(index: number): number;
  /** Atomics.store. */
  store(index: number, value: number): void;
  /** Atomics.compareExchange: returns the value found. */
  cas(index: number, expected: number, replacement: number): number;
  /** Atomics.exchange: returns the old value. */
  xchg(index: number, value: number): number;
  /** Atomic stores by byte offset, one per scalar width: type-stable structs' setters. */
  store8(byte: number, value: number): void;
  store16(byte: number, value: number): void;
  storeF32(byte: number, value: number): void;
  storeF64(byte: number, value: number): void;
  storeI64(byte: number, value: bigint): void;
  /** The outermost rcuReadLock(): store the word at gpIndex into ctrIndex. */
  rcuEnter(ctrIndex: number, gpIndex: number): void;
  /** The outermost rcuReadUnlock(): exchange ctrIndex with 0; notify all if WAIT_BIT was set. */
  rcuExit(ctrIndex: number): void;
  /**
   * Increment unless zero; returns the count before. 0: not taken. Negative or >= max: not
   * taken, the word is corrupt or saturated.
   */
  incNotZero(index: number, max: number): number;
  /** Decrement unless <= 0; returns the count before (1: the last reference dropped). */
  decAndTest(index: number): number;
  /** One attempt of RcuHashTable's lockless lookup: see HashLookup and heap/atomics.wat. */
  hashLookup(
    headByte: number,
    seqByte: number,
    key: number,
    keyOffset: number,
    nodeOffset: number,
    refOffset: number,
    maxSteps: number,
    homeMarker: number,
    flags: number,
    refMax: number,
    ctrIndex: number,
    gpIndex: number,
  ): number;
  /**
   * One attempt of RcuHashTable's reference-free read(): the field's value when found, NaN
   * otherwise; readStatus() then tells a found NaN from a miss or a retry (HashRead). Outside
   * a read-side section it may trap (a WebAssembly.RuntimeError) on memory reused meanwhile.
   */
  hashRead(
    headByte: number,
    seqByte: number,
    key: number,
    keyOffset: number,
    nodeOffset: number,
    fieldOffset: number,
    fieldKind: number,
    maxSteps: number,
    homeMarker: number,
    flags: number,
  ): number;
  /** What this thread's last hashRead() came to: a HashRead value. */
  readStatus(): number;
}

/** hashRead()'s outcomes, as readStatus() gives them. */
export const HashRead = { FOUND: 1, MISS: 0, RETRY: -1 } as const;

/** hashRead()'s flags (CALL_DELAY is HashLookupFlag's). */
export const HashReadFlag = { SKIP_VALIDATION: 1 } as const;

/** hashRead()'s field kinds (the `$fieldKind` argument). */
export const ReadFieldKind = { i32: 0, u32: 1, f64: 2, f32: 3, i8: 4, u8: 5, i16: 6, u16: 7 } as const;

/** hashLookup()'s results other than an address (or an address + 1: re-check failed). */
export const HashLookup = {
  MISS: 0,
  REFCOUNT_FAILED: -1,
  WRITER_RAN: -2,
  FOREIGN_MARKER: -3,
  WALK_BOUND: -4,
  REFCOUNT_CORRUPT: -5,
} as const;

/** hashLookup()'s flags. */
export const HashLookupFlag = {
  SKIP_RECHECK: 1,
  ANY_MARKER_ENDS: 2,
  CALL_DELAY: 4,
  /** Enter and leave a read-side section around the attempt (rcuEnter / rcuExit). */
  OWN_SECTION: 8,
} as const;

let compiled: object | null = null;

/**
 * The hash walk's test hook, set around a hashLookup() call by a table that has one (this
 * thread only, and a call never re-enters: the hook runs to completion inside it).
 */
let lookupDelay: ((phase: number) => void) | null = null;

/** @internal Set (or clear, with null) the hook hashLookup() calls when flags ask for it. */
export function setLookupDelay(hook: ((phase: number) => void) | null): void {
  lookupDelay = hook;
}

/** @internal This thread's atomics over `memory` (one instance per Heap object). */
export function instantiateHeapAtomics(memory: WasmMemory): HeapAtomics {
  compiled ??= new wasm.Module(Buffer.from(HEAP_ATOMICS_WASM_BASE64, 'base64'));
  const imports = {
    heap: {
      memory,
      lookupDelay(phase: number): void {
        lookupDelay?.(phase);
      },
    },
  };
  return new wasm.Instance(compiled, imports).exports as unknown as HeapAtomics;
}
