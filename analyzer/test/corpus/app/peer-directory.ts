/**
 * @fileoverview Cluster membership: each directory names its current leader peer through an RCU
 * pointer that holds a reference on it. Elections swap the pointer under the directory's lock and
 * the old leader's lock; clients either pin the leader with a reference or work on it under its
 * lock. Application code written blind against the public @rcukit/runtime API (corpus of correct
 * code).
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuDereferenceProtected,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountInc,
  refcountIncNotZero,
  refcountSet,
  spinLock,
  spinLockInit,
  spinUnlock,
  type Heap,
  type KmemCache,
  type StructRef,
} from '@rcukit/runtime';

export const Peer = defineStruct(
  'peer',
  { id: 'i32', role: 'i32', term: 'i32', lag: 'f64', lock: 'spinlock', refs: 'refcount' },
  { typesafeByRcu: true },
);
export const Directory = defineStruct('peer-directory', {
  epoch: 'i32',
  lock: 'spinlock',
  /** Holds a reference; replaced holding `lock` and the old leader's `lock`. */
  leader: { rcu: () => Peer },
});
type PeerRef = StructRef<typeof Peer>;
type DirectoryRef = StructRef<typeof Directory>;

export type Role = 'follower' | 'candidate' | 'leader';
const ROLES: readonly Role[] = ['follower', 'candidate', 'leader'];

export class ElectionBusyError extends Error {
  override readonly name = 'ElectionBusyError';
}

function busy(what: string, attempts: number): never {
  throw new ElectionBusyError(`${what}: the leader changed ${attempts} times in a row`);
}

let peerCache: KmemCache<typeof Peer> | null = null;

export function openPeers(heap: Heap): KmemCache<typeof Peer> {
  peerCache = kmemCacheCreate(heap, 'peers', Peer, {
    flags: SLAB_TYPESAFE_BY_RCU,
    ctor: (peer) => spinLockInit(peer.lock),
  });
  return peerCache;
}

/** A new peer holding one reference, the caller's. */
export function newPeer(id: number): PeerRef {
  if (peerCache === null) throw new Error('openPeers() first');
  const peer = kmemCacheAlloc(peerCache);
  peer.id = id;
  peer.role = ROLES.indexOf('follower');
  peer.term = 0;
  peer.lag = 0;
  refcountSet(peer.refs, 1);
  return peer;
}

export function putPeer(peer: PeerRef): void {
  if (!refcountDecAndTest(peer.refs)) return;
  if (peerCache === null) throw new Error('openPeers() first');
  kmemCacheFree(peerCache, peer);
}

function roleOf(peer: PeerRef): Role {
  const role = ROLES[peer.role];
  if (role === undefined) throw new RangeError(`peer ${peer.id}: bad role ${peer.role}`);
  return role;
}

function weight(role: Role): number {
  switch (role) {
    case 'leader':
      return 3;
    case 'candidate':
      return 2;
    case 'follower':
      return 1;
  }
}

/** Makes `next` (referenced by the caller) the leader; the directory takes its own reference. */
export function electLeader(dir: DirectoryRef, next: PeerRef, term: number): void {
  spinLock(dir.lock);
  const old = rcuDereferenceProtected(dir.leader, dir.lock);
  if (old === next) {
    spinLock(next.lock);
    next.term = term;
    spinUnlock(next.lock);
    spinUnlock(dir.lock);
    return;
  }
  refcountInc(next.refs);
  // One peer lock at a time: holding the old leader's while taking the new one's could deadlock
  // against an election elsewhere that swaps the same two peers the other way round.
  spinLock(next.lock);
  next.role = ROLES.indexOf('leader');
  next.term = term;
  spinUnlock(next.lock);
  if (old !== null) {
    spinLock(old.lock);
    old.role = ROLES.indexOf('follower');
  }
  dir.leader = next;
  dir.epoch += 1;
  if (old !== null) spinUnlock(old.lock);
  spinUnlock(dir.lock);
  if (old !== null) putPeer(old);
}

/** The leader of `dir`, with a reference for the caller, or null. */
function pinLeader(dir: DirectoryRef): PeerRef | null {
  for (let attempt = 0; attempt < 5; attempt++) {
    rcuReadLock();
    const peer = dir.leader;
    if (peer === null) {
      rcuReadUnlock();
      return null;
    }
    const referenced = refcountIncNotZero(peer.refs);
    if (referenced && peer === dir.leader) {
      rcuReadUnlock();
      return peer;
    }
    rcuReadUnlock();
    if (referenced) putPeer(peer);
  }
  return busy('pinLeader', 5);
}

/** The local leader if there is one, else the remote directory's; the caller puts it. */
export function anyLeader(local: DirectoryRef, remote: DirectoryRef): PeerRef | null {
  return pinLeader(local) ?? pinLeader(remote);
}

/**
 * Runs `fn` on the leader of `dir` under the leader's lock. Holding that lock keeps the peer the
 * leader: elections take it before they swap the pointer.
 */
export function withLeaderLocked<T>(dir: DirectoryRef, fn: (leader: PeerRef) => T): T | null {
  let attempts = 0;
  retry: for (;;) {
    rcuReadLock();
    const leader = dir.leader;
    if (leader === null) {
      rcuReadUnlock();
      return null;
    }
    spinLock(leader.lock);
    if (leader !== dir.leader) {
      spinUnlock(leader.lock);
      rcuReadUnlock();
      if (++attempts >= 8) busy('withLeaderLocked', attempts);
      continue retry;
    }
    rcuReadUnlock();
    try {
      return fn(leader);
    } finally {
      spinUnlock(leader.lock);
    }
  }
}

/** Reports the leader's replication lag, or -1 when there is no leader. */
export function leaderLag(dir: DirectoryRef): number {
  return withLeaderLocked(dir, (leader) => leader.lag) ?? -1;
}

/** Sums the role weights of the pinnable peers among `dirs`' leaders. */
export function leaderWeight(dirs: readonly DirectoryRef[]): number {
  const leaders = dirs.map(pinLeader).filter((peer): peer is PeerRef => peer !== null);
  try {
    return leaders.reduce((sum, peer) => sum + weight(roleOf(peer)), 0);
  } finally {
    leaders.forEach(putPeer);
  }
}

/** Steps the leader of `dir` down if its term is older than `term`; returns whether it did. */
export function stepDownIfStale(dir: DirectoryRef, term: number): boolean {
  spinLock(dir.lock);
  const leader = rcuDereferenceProtected(dir.leader, dir.lock);
  if (leader === null) {
    spinUnlock(dir.lock);
    return false;
  }
  spinLock(leader.lock);
  if (leader.term >= term) {
    spinUnlock(leader.lock);
    spinUnlock(dir.lock);
    return false;
  }
  leader.role = ROLES.indexOf('follower');
  dir.leader = null;
  dir.epoch += 1;
  spinUnlock(leader.lock);
  spinUnlock(dir.lock);
  putPeer(leader);
  return true;
}
