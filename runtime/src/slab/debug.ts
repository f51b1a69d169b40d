/**
 * @fileoverview SLAB_POISON and SLAB_RED_ZONE: the debug checks of caches that are not
 * type-stable (a type-stable cache may not poison: readers still read freed objects).
 *
 * Poison: a freed object is filled with POISON_FREE bytes ending in POISON_END; allocation
 * checks the pattern, so a write after free is caught at the object's next allocation and
 * reported with the cache, the object and the first offset that changed. The pattern is then
 * restored and the object stays free, so the cache goes on working.
 *
 * Red zone: a guard before and after each object holds RED_INACTIVE while the object is free
 * and RED_ACTIVE while it is allocated. Free checks RED_ACTIVE (an overrun by its user), and
 * allocation checks RED_INACTIVE (a write into a free slot's guard).
 */

import { SlabCorruptionError } from '../errors.js';

/** The kernel's byte patterns (include/linux/poison.h). */
export const POISON_FREE = 0x6b;
export const POISON_END = 0xa5;
export const RED_INACTIVE = 0x5b;
export const RED_ACTIVE = 0xbb;
/** Bytes of guard after an object; the guard before it is the object's alignment. */
export const RED_ZONE_BYTES = 8;

export function poisonObject(u8: Uint8Array, address: number, size: number): void {
  u8.fill(POISON_FREE, address, address + size - 1);
  u8[address + size - 1] = POISON_END;
}

/**
 * Check the poison; on a mismatch restore it and throw SlabCorruptionError naming the cache,
 * the object and the offset of the first changed byte.
 */
export function checkPoison(u8: Uint8Array, cacheName: string, address: number, size: number): void {
  for (let i = 0; i < size; i++) {
    const want = i === size - 1 ? POISON_END : POISON_FREE;
    if (u8[address + i] !== want) {
      const found = u8[address + i]!;
      poisonObject(u8, address, size);
      throw new SlabCorruptionError(
        `cache '${cacheName}': object 0x${address.toString(16)} was written after it was freed: ` +
          `byte at offset ${i} is 0x${found.toString(16)}, poison is 0x${want.toString(16)} (SLAB_POISON)`,
      );
    }
  }
}

export function setRedZones(
  u8: Uint8Array,
  address: number,
  size: number,
  front: number,
  back: number,
  value: number,
): void {
  u8.fill(value, address - front, address);
  u8.fill(value, address + size, address + size + back);
}

/** Check both guards hold `value`; throw SlabCorruptionError naming the side and offset otherwise. */
export function checkRedZones(
  u8: Uint8Array,
  cacheName: string,
  address: number,
  size: number,
  front: number,
  back: number,
  value: number,
  when: 'free' | 'alloc',
): void {
  for (let i = address - front; i < address; i++) {
    if (u8[i] !== value) {
      throw new SlabCorruptionError(
        `cache '${cacheName}': red zone before object 0x${address.toString(16)} overwritten at offset ${i - address} ` +
          `(found 0x${u8[i]!.toString(16)}, expected 0x${value.toString(16)}) detected on ${when} (SLAB_RED_ZONE)`,
      );
    }
  }
  for (let i = address + size; i < address + size + back; i++) {
    if (u8[i] !== value) {
      throw new SlabCorruptionError(
        `cache '${cacheName}': red zone after object 0x${address.toString(16)} overwritten at offset ${i - address} ` +
          `(object size ${size}; found 0x${u8[i]!.toString(16)}, expected 0x${value.toString(16)}) detected on ${when} (SLAB_RED_ZONE)`,
      );
    }
  }
}
