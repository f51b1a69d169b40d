/**
 * @fileoverview Debug mode's view of an RcuHashTable: a lookup that returns an object takes a
 * reference for the caller, which the protection check must know of (debug/object-checks.ts),
 * and put() drops it; insert() and replace() publish the object, which is then no longer
 * fresh. A table of a debug heap gets these wrappers as own properties at creation, so the
 * tables of other heaps keep their methods untouched.
 */

import type { Heap } from '../heap/heap.js';
import type { AnyStructDef } from '../struct.js';
import type { DebugThread } from './debug-thread.js';
import { registerKeyField } from './stale-objects.js';

/** The methods wrapped: those that take, drop or publish a reference. */
interface TableMethods {
  readonly heap: Heap;
  lookup(key: number): object | null;
  lookupLocked(key: number): object | null;
  lookupAddress(key: number): number;
  lookupLockedAddress(key: number): number;
  putAddress(address: number): void;
  insert(obj: object): boolean;
  replace(obj: object): boolean;
  delete(key: number): boolean;
  clear(): number;
}

/**
 * Give `table` debug mode's wrappers. `refcountOffset` and `keyOffset` are the byte offsets of
 * its struct's refcount and key fields; reading the key revalidates an object (stale-objects.ts).
 */
export function installTableDebug(
  table: TableMethods,
  refcountOffset: number,
  struct: AnyStructDef,
  keyOffset: number,
): void {
  const d: DebugThread = table.heap.debug!;
  const key = struct.layout.fields.find((f) => f.offset === keyOffset);
  if (key !== undefined) registerKeyField(struct, key.name);
  const proto = Object.getPrototypeOf(table) as TableMethods;
  const taken = (address: number): number => {
    if (address !== 0) d.refTaken((address + refcountOffset) >> 2);
    return address;
  };
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- see captureCallSite
  const found = <T extends object | null>(obj: T, above: Function): T => {
    if (obj !== null) d.noteObtained(obj, above);
    return obj;
  };
  // replace(), delete() and clear() drop the table's own reference through putAddress():
  // not one the caller took.
  let tableOwn = 0;
  const asTable = <T>(fn: () => T): T => {
    tableOwn++;
    try {
      return fn();
    } finally {
      tableOwn--;
    }
  };
  const lookup = (key: number): object | null => found(proto.lookup.call(table, key), lookup);
  const lookupLocked = (key: number): object | null => found(proto.lookupLocked.call(table, key), lookupLocked);
  Object.assign(table, {
    lookup,
    lookupLocked,
    lookupAddress: (key: number): number => taken(proto.lookupAddress.call(table, key)),
    lookupLockedAddress: (key: number): number => taken(proto.lookupLockedAddress.call(table, key)),
    putAddress: (address: number): void => {
      if (tableOwn === 0) d.refDropped((address + refcountOffset) >> 2);
      proto.putAddress.call(table, address);
    },
    delete: (key: number): boolean => asTable(() => proto.delete.call(table, key)),
    clear: (): number => asTable(() => proto.clear.call(table)),
    insert: (obj: object): boolean => {
      const inserted = proto.insert.call(table, obj);
      if (inserted) d.fresh.delete(obj);
      return inserted;
    },
    replace: (obj: object): boolean => {
      const replaced = asTable(() => proto.replace.call(table, obj));
      d.fresh.delete(obj);
      return replaced;
    },
  });
}
