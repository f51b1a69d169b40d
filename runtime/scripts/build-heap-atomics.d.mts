/**
 * @fileoverview Types of build-heap-atomics.mjs, for the test that checks the committed module
 * against what the .wat assembles to.
 */

/** The text of runtime/src/heap/atomics-wasm.ts that atomics.wat assembles to. */
export function assembleHeapAtomics(): Promise<string>;
