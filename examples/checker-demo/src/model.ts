/**
 * @fileoverview The objects of the demo: a task whose `sighand` pointer is RCU-protected, and
 * a type-stable signal-handler struct that is reused at once when freed (SLAB_TYPESAFE_BY_RCU),
 * so a reader must lock it and then check it is still the task's sighand. `Sock` is found in a
 * hash table and pinned with a reference instead of a lock.
 */

import type { Refcount, Spinlock, TypeStable } from '@rcukit/runtime';

export type Sighand = TypeStable<{
  readonly siglock: Spinlock;
  /** Number of tasks sharing it. */
  count: number;
  /** Pending signal mask. */
  pending: number;
}>;

export interface Task {
  readonly pid: number;
  /** RCU-protected: reading it is the rcu_dereference load. */
  sighand: Sighand | null;
}

export type Sock = TypeStable<{
  readonly refcnt: Refcount;
  /** The lookup key; changes when the object is freed and reused for another socket. */
  port: number;
  rxBytes: number;
}>;

/** A lookup structure readers may walk under rcuReadLock() only. */
export interface SockTable {
  bucket(port: number): readonly Sock[];
  /** Return a socket whose last reference was dropped to its cache. */
  free(sock: Sock): void;
}
