/**
 * @fileoverview The shared model of the application-style corpus: bank accounts in a
 * type-stable cache, reached three ways (an RCU hash table keyed by id, directory slots that
 * point at the current account of a customer, and a hand-written session index with `hnext`
 * chains), as a TypeScript service would declare them.
 *
 * Everything here and in the other app/ files is correct code: the same patterns as the kernel
 * translations (lock or reference, then check identity; publish under a lock; free a
 * type-stable object at once), written with classes, callbacks, generators and async code.
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheCreate,
  rcuHashTableCreate,
  spinLockInit,
  type Heap,
  type KmemCache,
  type RcuHashTable,
  type StructDef,
  type StructRef,
} from '@rcukit/runtime';

/** An account: balance and version are written under `lock`; the table holds one reference. */
export const Account = defineStruct(
  'app_account',
  {
    lock: 'spinlock',
    refcnt: 'refcount',
    id: 'i32',
    ownerId: 'i32',
    /** In cents: a 32-bit field, so that a lockless reader never sees half of a store. */
    balance: 'i32',
    version: 'u32',
    node: 'hlistNulls',
  },
  { typesafeByRcu: true },
);
export type AccountRef = StructRef<typeof Account>;

/** A customer's directory slot: which account is theirs now (replaced when the account is reopened). */
export const Slot = defineStruct('app_slot', {
  id: 'i32',
  account: { rcu: () => Account },
});
export type SlotRef = StructRef<typeof Slot>;

/** The directory's writer lock. */
export const Directory = defineStruct('app_directory', { lock: 'spinlock', generation: 'u32' });
export type DirectoryRef = StructRef<typeof Directory>;

type SessionFields = {
  readonly lock: 'spinlock';
  readonly refcnt: 'refcount';
  readonly sid: 'i32';
  readonly userId: 'i32';
  readonly lastSeen: 'f64';
  readonly hnext: { readonly rcu: () => SessionDef };
};
type SessionDef = StructDef<SessionFields, true>;

/** A login session in the hand-written index: singly linked through `hnext`. */
export const Session: SessionDef = defineStruct(
  'app_session',
  { lock: 'spinlock', refcnt: 'refcount', sid: 'i32', userId: 'i32', lastSeen: 'f64', hnext: { rcu: (): SessionDef => Session } },
  { typesafeByRcu: true },
);
export type SessionRef = StructRef<typeof Session>;

/** One bucket of the session index. */
export const SessionBucket = defineStruct('app_session_bucket', { lock: 'spinlock', first: { rcu: () => Session } });
export type SessionBucketRef = StructRef<typeof SessionBucket>;

/** The caches and the table every worker opens the same way. */
export interface Bank {
  readonly accounts: KmemCache<typeof Account>;
  readonly sessions: KmemCache<typeof Session>;
  readonly byId: RcuHashTable<typeof Account>;
}

/** Open (or attach to) the bank's caches and table. Constructors set up the locks once per slab. */
export function openBank(heap: Heap): Bank {
  const accounts = kmemCacheCreate(heap, 'app_accounts', Account, {
    flags: SLAB_TYPESAFE_BY_RCU,
    ctor: (a) => spinLockInit(a.lock),
  });
  const sessions = kmemCacheCreate(heap, 'app_sessions', Session, {
    flags: SLAB_TYPESAFE_BY_RCU,
    ctor: (s) => spinLockInit(s.lock),
  });
  const byId = rcuHashTableCreate(heap, 'app_accounts_by_id', { cache: accounts, key: 'id', refcount: 'refcnt', node: 'node' });
  return { accounts, sessions, byId };
}
