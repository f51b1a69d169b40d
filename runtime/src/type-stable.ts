/**
 * @fileoverview The type-stable brand: references to objects of SLAB_TYPESAFE_BY_RCU caches
 * carry it in their TypeScript type. The analyzer finds type-stable references through the
 * type checker by this brand (its declaration in @rcukit/runtime), never by variable names.
 */

declare const typeStableBrand: unique symbol;

/**
 * `TypeStable<T>` is T, marked as living in type-stable memory: the object may be freed and
 * reused for another object of the same cache at any instant, so it may be dereferenced only
 * inside rcuReadLock() or once stabilized (locked and revalidated, or referenced).
 */
export type TypeStable<T> = T & { readonly [typeStableBrand]: true };
