/**
 * @fileoverview The objects and tables of Documentation/RCU/rculist_nulls.rst, declared with
 * the runtime's struct API: objects of a SLAB_TYPESAFE_BY_RCU cache kept in hash chains, once
 * with plain hlist chains (`next` pointers, a NULL end) and once with hlist_nulls chains whose
 * end marker is the slot number.
 */

import { defineStruct, type Heap, type StructDef, type StructRef } from '@rcukit/runtime';

type ObjFields = {
  readonly refcnt: 'refcount';
  readonly key: 'i32';
  /** obj_node of the hlist_nulls listings. */
  readonly objNode: 'hlistNulls';
  /** obj_node of the plain hlist listings: the next object of the chain. */
  readonly next: { readonly rcu: () => ObjDef };
};
type ObjDef = StructDef<ObjFields, true>;

/** The object of the listings. */
export const Obj: ObjDef = defineStruct(
  'rculist_nulls_obj',
  { refcnt: 'refcount', key: 'i32', objNode: 'hlistNulls', next: { rcu: (): ObjDef => Obj } },
  { typesafeByRcu: true },
);
export type ObjRef = StructRef<typeof Obj>;

/** A plain hlist chain: its head pointer and the lock its writers take ("typically a spin_lock()"). */
export const Chain = defineStruct('rculist_chain', { first: { rcu: () => Obj }, lock: 'spinlock' });
export type ChainRef = StructRef<typeof Chain>;

/** The lock of one hlist_nulls slot. */
export const SlotLock = defineStruct('rculist_nulls_slot_lock', { lock: 'spinlock' });
export type SlotLockRef = StructRef<typeof SlotLock>;

/** The heap the listings' tables live in. */
export declare const listHeap: Heap;
/** The plain-hlist table and its hash. */
export declare const chains: readonly ChainRef[];
export declare function chainOf(key: number): ChainRef;
/** The hlist_nulls table: table[slot] is the head word at `nullsTable + 4 * slot`, slotLocks[slot] its lock. */
export declare const nullsTable: number;
export declare const slotLocks: readonly SlotLockRef[];
export declare function slotOf(key: number): number;
