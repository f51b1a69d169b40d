/**
 * @fileoverview The kernel's atomic bit operations and atomic_t operations on one 32-bit field
 * of a heap object (include/linux/bitops.h, include/linux/atomic.h), which the runtime has no
 * name for: Atomics on the field's word (`fieldIndex()`), in the calling worker's heap. The
 * translations pass the object and the field's name where the kernel passes `&obj->field`.
 */

import { currentHeap, fieldIndex } from '@rcukit/runtime';

/** test_bit(nr, &obj->field). */
export function testBit(nr: number, obj: object, field: string): boolean {
  return ((Atomics.load(currentHeap().views.i32, fieldIndex(obj, field)) >>> nr) & 1) !== 0;
}

/** set_bit(nr, &obj->field). */
export function setBit(nr: number, obj: object, field: string): void {
  Atomics.or(currentHeap().views.i32, fieldIndex(obj, field), 1 << nr);
}

/** clear_bit(nr, &obj->field). */
export function clearBit(nr: number, obj: object, field: string): void {
  Atomics.and(currentHeap().views.i32, fieldIndex(obj, field), ~(1 << nr));
}

/** change_bit(nr, &obj->field). */
export function changeBit(nr: number, obj: object, field: string): void {
  Atomics.xor(currentHeap().views.i32, fieldIndex(obj, field), 1 << nr);
}

/** test_and_set_bit(nr, &obj->field): the bit's old value. */
export function testAndSetBit(nr: number, obj: object, field: string): boolean {
  return ((Atomics.or(currentHeap().views.i32, fieldIndex(obj, field), 1 << nr) >>> nr) & 1) !== 0;
}

/** test_and_clear_bit(nr, &obj->field): the bit's old value. */
export function testAndClearBit(nr: number, obj: object, field: string): boolean {
  return ((Atomics.and(currentHeap().views.i32, fieldIndex(obj, field), ~(1 << nr)) >>> nr) & 1) !== 0;
}

/** atomic_read(&obj->field). */
export function atomicRead(obj: object, field: string): number {
  return Atomics.load(currentHeap().views.i32, fieldIndex(obj, field));
}

/** atomic_set(&obj->field, i). */
export function atomicSet(obj: object, field: string, i: number): void {
  Atomics.store(currentHeap().views.i32, fieldIndex(obj, field), i);
}

/** atomic_inc(&obj->field) (and atomic_inc_mb: Atomics are sequentially consistent). */
export function atomicInc(obj: object, field: string): void {
  Atomics.add(currentHeap().views.i32, fieldIndex(obj, field), 1);
}

/** atomic_dec(&obj->field) (and atomic_dec_mb). */
export function atomicDec(obj: object, field: string): void {
  Atomics.sub(currentHeap().views.i32, fieldIndex(obj, field), 1);
}

/** atomic_dec_and_test(&obj->field): decrement, and say whether the value reached zero. */
export function atomicDecAndTest(obj: object, field: string): boolean {
  return Atomics.sub(currentHeap().views.i32, fieldIndex(obj, field), 1) === 1;
}
