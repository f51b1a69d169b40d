/**
 * @fileoverview The part of the WebAssembly JavaScript API the heap uses, typed here because
 * TypeScript's libraries declare WebAssembly only with the DOM. Structural: a DOM-typed
 * WebAssembly.Memory is a WasmMemory too.
 */

/** A WebAssembly.Memory (the heap's is always shared). */
export interface WasmMemory {
  /** A SharedArrayBuffer for a shared memory: a new, longer one after each growth. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Add `deltaPages` pages of 64 KiB; throws RangeError past the maximum. */
  grow(deltaPages: number): number;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: object };
}

/** globalThis.WebAssembly, typed. */
export const wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** WebAssembly memories grow in pages of 64 KiB. */
export const WASM_PAGE_SIZE = 65536;
