/**
 * @fileoverview The object class of a struct in a debug heap: a subclass of the struct's own
 * class (struct-object.ts) whose field accessors call checkObjectUse() (debug/object-checks.ts)
 * and then the struct's own accessor. A heap without debug mode never creates one, so its
 * objects keep accessors with nothing to test; this worker's object map of a debug heap
 * creates every object from this class (slab/object-map.ts).
 *
 * RCU pointer fields also: note where the loaded object was obtained and fuzz after the load;
 * on a store, the stored object is published, so no longer fresh.
 */

import type { StructObjectBase, StructObjectClass } from '../struct-object.js';
import { registerObjectClass } from '../struct-object.js';
import type { AnyStructDef } from '../struct.js';
import { fuzzDelay } from './fuzz.js';
import { checkObjectUse } from './object-checks.js';
import { isKeyField } from './stale-objects.js';

const debugClasses = new WeakMap<AnyStructDef, StructObjectClass>();

/** The debug object class of `def`, made on first use. */
export function debugObjectClass(def: AnyStructDef): StructObjectClass {
  let cls = debugClasses.get(def);
  if (cls === undefined) {
    cls = makeDebugClass(def);
    debugClasses.set(def, cls);
    registerObjectClass(cls, def);
  }
  return cls;
}

function makeDebugClass(def: AnyStructDef): StructObjectClass {
  const Base = def.objectClass;
  class DebugObject extends Base {
    /** A snapshot for printing (console.log, JSON): never a report. */
    override toJSON(): Record<string, unknown> {
      const d = this.$h.debug!;
      d.unchecking++;
      try {
        return super.toJSON();
      } finally {
        d.unchecking--;
      }
    }
  }
  Object.defineProperty(DebugObject, 'name', { value: Base.name });
  for (const f of def.layout.fields) {
    // The struct's own accessors, called with the object as `this` below.
    const own = Object.getOwnPropertyDescriptor(Base.prototype, f.name) as {
      get: (this: StructObjectBase) => unknown;
      set?: (this: StructObjectBase, value: unknown) => void;
    };
    const get = own.get;
    const set = own.set;
    const readWhat = `read of ${def.name}.${f.name}`;
    const writeWhat = `write of ${def.name}.${f.name}`;
    const isRcu = f.kind === 'rcu';
    const name = f.name;
    // A lock or a count is how the object gets stabilized, whichever life it is in: only data
    // is checked for staleness.
    const data = f.kind !== 'spinlock' && f.kind !== 'refcount';
    const debugGet = function (this: StructObjectBase): unknown {
      // Reading the key a table compares is how a caller revalidates a table's object.
      if (isKeyField(def, name)) this.$h.debug!.noteGeneration(this);
      checkObjectUse(this, def, readWhat, debugGet, data);
      const value: unknown = get.call(this);
      if (isRcu && value !== null) {
        const d = this.$h.debug!;
        d.noteObtained(value as object, debugGet);
        fuzzDelay(d);
      }
      return value;
    };
    const debugSet =
      set === undefined
        ? undefined
        : function (this: StructObjectBase, value: unknown): void {
            checkObjectUse(this, def, writeWhat, debugSet!, data);
            set.call(this, value);
            if (isRcu && value !== null) this.$h.debug!.fresh.delete(value as object);
          };
    Object.defineProperty(DebugObject.prototype, f.name, {
      get: debugGet,
      ...(debugSet !== undefined ? { set: debugSet } : {}),
      enumerable: true,
      configurable: false,
    });
  }
  return DebugObject;
}
