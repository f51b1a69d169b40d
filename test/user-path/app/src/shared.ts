/**
 * @fileoverview What every thread of the app declares the same way: the structs, and how a
 * thread finds the shared objects once it is attached to the heap.
 */

import {
  addressOf,
  defineStruct,
  kmemCacheCreate,
  lockdepAssertHeld,
  objectAt,
  type Heap,
  type StructRef,
} from '@rcukit/runtime';

/** The configuration readers use; replaced whole by the writer, freed after a grace period. */
export const Config = defineStruct('config', { version: 'i32', limit: 'i32' });

/** One registry per heap: the RCU pointer to the current configuration, and its updaters' lock. */
export const Registry = defineStruct('registry', { lock: 'spinlock', swaps: 'i32', current: { rcu: () => Config } });

/**
 * Count one replacement of the configuration. The caller holds the registry's lock: checked at
 * run time, and by `rcukit check` at the calls of every function that takes that lock.
 */
export function countSwap(registry: StructRef<typeof Registry>): void {
  lockdepAssertHeld(registry.lock);
  registry.swaps++;
}

/** A named root: one word holding the registry's address, found by name from any worker. */
const registryRoot = 'app-registry';

/** The same limit for a version, so readers can tell a torn configuration from a whole one. */
export function limitFor(version: number): number {
  return version * 10 + 7;
}

/** The caches, by name: the first thread to call creates them, the others find them. */
export function openCaches(heap: Heap) {
  return {
    configs: kmemCacheCreate(heap, 'configs', Config),
    registries: kmemCacheCreate(heap, 'registries', Registry),
  };
}

/** Publish the registry's address in the named root (the main thread, once). */
export function publishRegistry(heap: Heap, registry: StructRef<typeof Registry>): void {
  Atomics.store(heap.views.i32, heap.root(registryRoot, 8) >> 2, addressOf(registry));
}

/** This thread's object for the registry the main thread published. */
export function findRegistry(heap: Heap): StructRef<typeof Registry> {
  const address = Atomics.load(heap.views.i32, heap.root(registryRoot, 8) >> 2);
  return objectAt(Registry, heap, address);
}
