/**
 * @fileoverview What a value handed to attachHeap() or heap.startWorker() is: a heap's share
 * (`heap.share()`, possibly copied into another thread), and how to name anything else in an
 * error message.
 */

import type { SharedHeap } from './heap.js';

/** Whether `value` is what some heap's share() returned (or a structured clone of it). */
export function isSharedHeap(value: unknown): value is SharedHeap {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'rcukit-heap';
}

/** A short description of a value that is not what was expected, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer (not shared)`;
  if (value instanceof SharedArrayBuffer) return `a SharedArrayBuffer of ${value.byteLength} bytes`;
  if (typeof value === 'object') return `an object with keys [${Object.keys(value).join(', ')}]`;
  return typeof value;
}
