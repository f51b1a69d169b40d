/**
 * @fileoverview Compile-time checks of the struct reference types: `tsc -b` fails if the
 * TypeStable brand stops following `typesafeByRcu`, if field types regress, or if handle
 * fields become assignable. Nothing here runs.
 */

import {
  defineStruct,
  kmemCacheAlloc,
  kmemCacheFree,
  type KmemCache,
  type StructRef,
  type TypeStable,
} from '@rcukit/runtime';

export const Sighand = defineStruct(
  'sighand',
  { siglock: 'spinlock', count: 'refcount', flags: 'u32', wide: 'u64' },
  { typesafeByRcu: true },
);
export const Task = defineStruct('task', {
  pid: 'i32',
  sighand: { rcu: () => Sighand },
  comm: { array: 'u8', length: 16 },
});

type SighandRef = StructRef<typeof Sighand>;
type TaskRef = StructRef<typeof Task>;

export const brand = (s: SighandRef): TypeStable<unknown> => s;
export const plain = (t: TaskRef): number => t.pid;
export const pointer = (t: TaskRef): SighandRef | null => t.sighand;
export const bytes = (t: TaskRef): Uint8Array => t.comm;
export const big = (s: SighandRef): bigint => s.wide;
export const publish = (t: TaskRef, s: SighandRef): void => {
  t.sighand = s;
  t.sighand = null;
};
// @ts-expect-error a task is not type-stable
export const notBrand = (t: TaskRef): TypeStable<unknown> => t;
// @ts-expect-error handle fields are read-only
export const readOnly = (s: SighandRef, t: SighandRef) => (s.siglock = t.siglock);
// @ts-expect-error an rcu field holds only its target struct
export const wrongTarget = (t: TaskRef) => (t.sighand = t);

// Caches hand out and take back references of their struct's type, brand included.
export const allocated = (c: KmemCache<typeof Sighand>): SighandRef => kmemCacheAlloc(c);
export const freed = (c: KmemCache<typeof Sighand>, s: SighandRef): void => kmemCacheFree(c, s);
// @ts-expect-error a task cannot be freed into a sighand cache
export const wrongFree = (c: KmemCache<typeof Sighand>, t: TaskRef): void => kmemCacheFree(c, t);
