/**
 * @fileoverview Debug mode's reuse detector for type-stable memory (StaleObjectError).
 *
 * A type-stable object may be freed and handed out again while a reader still holds a pointer
 * to it; that is why a reader that locks it, or takes a reference on it, must then check that it
 * is still the object it looked up. In a debug heap each object of a type-stable cache has a
 * generation word after its fields (slab/cache-create.ts), which kmemCacheFree() increments.
 * Each thread records an object's generation when it obtains it (an RCU pointer load, a table
 * lookup, an allocation: DebugThread.noteObtained). A use made under the object's lock or a
 * reference this thread took, with the generation moved since, is a use of the object's next
 * life that nothing revalidated.
 *
 * What counts as revalidating, as far as a running program shows it: loading the pointer again
 * (the load records the generation anew, so `sighand === task.sighand` after the lock clears
 * it), and reading a key field: one the struct declares (`defineStruct(…, { key })`) or one an
 * RcuHashTable is keyed by (a caller that reads it under the lock is comparing it). A check by
 * any other field is invisible here, and is reported after a real reuse.
 *
 * A use inside a read-side section without the lock or a reference is not checked: a lockless
 * reader may read an object's next life, and validates afterwards.
 */

import { StaleObjectError } from '../errors.js';
import type { StructObjectBase } from '../struct-object.js';
import type { AnyStructDef } from '../struct.js';

/** Key fields of the structs RcuHashTables are keyed by. */
const keyFields = new WeakMap<AnyStructDef, Set<string>>();

/** Record that tables key `def` by its field `name` (RcuHashTable creation, debug heaps). */
export function registerKeyField(def: AnyStructDef, name: string): void {
  let names = keyFields.get(def);
  if (names === undefined) keyFields.set(def, (names = new Set()));
  names.add(name);
}

/** Whether reading `def`'s field `name` checks an object's identity: a declared or a table's key. */
export function isKeyField(def: AnyStructDef, name: string): boolean {
  return def.keyFields.includes(name) || keyFields.get(def)?.has(name) === true;
}

/** The object's generation, or -1 when its cache keeps none (or it is not a slab object). */
export function generationOf(obj: object): number {
  const o = obj as Partial<StructObjectBase>;
  const cache = o.$c as { readonly $genOffset?: number } | null | undefined;
  const off = cache?.$genOffset;
  if (off === undefined || off === 0 || o.$a === undefined || o.$v === undefined) return -1;
  return Atomics.load(o.$v.i32, (o.$a + off) >> 2);
}

/**
 * The report for a use of `obj` whose generation moved from `seen` since this thread obtained
 * it; the caller has established that the use is under its lock or a reference of this thread.
 */
export function staleObject(what: string, describe: string, seen: number, now: number): StaleObjectError {
  const reuses = (now - seen) >>> 0;
  return new StaleObjectError(
    `${what} of ${describe} under its lock or a reference this thread took, but it was freed since this ` +
      `thread obtained it (${reuses} free${reuses === 1 ? '' : 's'} since), so it may be another object now, and ` +
      `nothing revalidated it: load the pointer again from where it came from and compare, or compare its key ` +
      `(a field named in defineStruct()'s \`key\` option, or its table's key) before trusting it`,
  );
}
