/**
 * @fileoverview Translation of Linux net/netfilter/nf_conntrack_core.c: the conntrack hash
 * table of SLAB_TYPESAFE_BY_RCU entries. Lockless lookups walk hlist_nulls chains under RCU,
 * take a reference with atomic_inc_not_zero() and compare the key again; the insert and delete
 * paths change the chains under a pair of bucket locks.
 *
 * Sources read:
 * - net/netfilter/nf_conntrack_core.c at AOSC-Tracking/ubuntu-linux-mainline-crack commit
 *   0a7c3a02ce86f360efeab91f91cd26ca0e7c6101 (a Linux 5.x mainline tree);
 * - include/net/netfilter/nf_conntrack.h (nf_conntrack_get_ht, nf_ct_is_expired,
 *   nf_ct_should_gc, nf_ct_put), as found by the code index for the same era.
 * Functions: nf_conntrack_lock, nf_conntrack_double_unlock, nf_conntrack_double_lock,
 * clean_from_lists, nf_ct_delete_from_lists, nf_ct_delete, nf_ct_key_equal, nf_ct_gc_expired,
 * ____nf_conntrack_find, __nf_conntrack_find_get, nf_conntrack_find_get,
 * __nf_conntrack_hash_insert, nf_conntrack_hash_check_insert, nf_conntrack_tuple_taken,
 * early_drop_list, early_drop, gc_worker, __nf_conntrack_alloc, nf_conntrack_free,
 * nf_conntrack_get_ht, nf_ct_put.
 *
 * `h` (struct nf_conntrack_tuple_hash *) is the byte address of the entry's hash node; see
 * lib/netfilter.ts for nf_ct_tuplehash_to_ctrack().
 */

import {
  getNullsValue,
  hlistNullsAddHeadRcu,
  hlistNullsDelRcu,
  hlistNullsFirstRcu,
  hlistNullsNextRcu,
  isANulls,
  kmemCacheAlloc,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountIncNotZero,
  refcountRead,
  refcountSet,
  spinLock,
  spinLockInit,
  spinUnlock,
  type KmemCache,
  type Spinlock,
} from '@rcukit/runtime';
import { EEXIST, ENOMEM, ErrPtr, type Seqcount, warnOn } from '../lib/kernel.js';
import {
  IPS_ASSURED_BIT,
  IPS_CONFIRMED_BIT,
  IPS_DYING_BIT,
  IPS_OFFLOAD_BIT,
  IP_CT_DIR_ORIGINAL,
  NfConn,
  __hashConntrack,
  cnetCountDec,
  cnetCountIncReturn,
  cnetCountRead,
  condResched,
  gcWorkerCanEarlyDrop,
  hashConntrack,
  hashConntrackRaw,
  netWarnRatelimited,
  nfConntrackDestroy,
  nfConntrackEcacheDworkPending,
  nfConntrackEcacheWork,
  nfConntrackEventReportDestroy,
  nfCtAddToDyingList,
  nfCtDirection,
  nfCtExtDestroy,
  nfCtHelperDestroy,
  nfCtOffloadTimeout,
  nfCtRemoveExpectations,
  nfCtStatInc,
  nfCtTupleEqual,
  nfCtTuplehashToCtrack,
  nfHeap,
  nfctTimeStamp,
  reciprocalScale,
  testAndSetStatusBit,
  timeIsAfter,
  type NfConnRef,
  type NfConntrackLockRef,
  type NfConntrackTuple,
} from '../lib/netfilter.js';

/** CONNTRACK_LOCKS, NF_CT_EVICTION_RANGE, GC_SCAN_INTERVAL, GC_SCAN_MAX_DURATION. */
const CONNTRACK_LOCKS = 1024;
const NF_CT_EVICTION_RANGE = 8;
const GC_SCAN_INTERVAL = 120 * 1000;
const GC_SCAN_MAX_DURATION = 10;
const NFCT_ECACHE_DESTROY_FAIL = 1;
const NFCT_ECACHE_DESTROY_SENT = 2;

/** The module's globals: the table (nf_conntrack_hash, its size), the bucket locks, the cache. */
declare let nfConntrackHash: number;
declare let nfConntrackHtableSize: number;
declare const nfConntrackGeneration: Seqcount;
declare const nfConntrackLocks: readonly NfConntrackLockRef[];
declare const nfConntrackLocksAllLock: Spinlock;
declare const nfConntrackLocksAll: { value: boolean };
declare const nfConntrackCachep: KmemCache<typeof NfConn>;
declare const nfConntrackMax: number;
/** struct conntrack_gc_work, reduced. */
interface ConntrackGcWork {
  nextBucket: number;
  earlyDrop: boolean;
  exiting: boolean;
}
declare const conntrackGcWork: ConntrackGcWork;
/** jiffies. */
declare function jiffies(): number;
/** queue_delayed_work(system_power_efficient_wq, &gc_work->dwork, next_run). */
declare function queueGcWork(nextRun: number): void;

/**
 * nf_conntrack_lock (nf_conntrack_core.c): take a bucket lock, waiting out
 * nf_conntrack_all_lock(). Declared `__acquires(lock)`.
 * @acquires lock
 */
export function nfConntrackLock(lock: Spinlock): void {
  // 1) Acquire the lock
  spinLock(lock);

  // 2) read nf_conntrack_locks_all, with ACQUIRE semantics; pairs with the release store in
  // nf_conntrack_all_unlock().
  if (nfConntrackLocksAll.value === false) return;

  // fast path failed, unlock
  spinUnlock(lock);

  // Slow path 1) get global lock
  spinLock(nfConntrackLocksAllLock);

  // Slow path 2) get the lock we want
  spinLock(lock);

  // Slow path 3) release the global lock
  spinUnlock(nfConntrackLocksAllLock);
}

/** nf_conntrack_double_unlock (nf_conntrack_core.c). */
function nfConntrackDoubleUnlock(h1: number, h2: number): void {
  h1 %= CONNTRACK_LOCKS;
  h2 %= CONNTRACK_LOCKS;
  spinUnlock(nfConntrackLocks[h1]!.lock);
  if (h1 !== h2) spinUnlock(nfConntrackLocks[h2]!.lock);
}

/** nf_conntrack_double_lock (nf_conntrack_core.c): true if we need to recompute hashes (the table was resized). */
function nfConntrackDoubleLock(h1: number, h2: number, sequence: number): boolean {
  h1 %= CONNTRACK_LOCKS;
  h2 %= CONNTRACK_LOCKS;
  if (h1 <= h2) {
    nfConntrackLock(nfConntrackLocks[h1]!.lock);
    if (h1 !== h2) spinLock(nfConntrackLocks[h2]!.lock); // spin_lock_nested
  } else {
    nfConntrackLock(nfConntrackLocks[h2]!.lock);
    spinLock(nfConntrackLocks[h1]!.lock); // spin_lock_nested
  }
  if (nfConntrackGeneration.retry(sequence)) {
    nfConntrackDoubleUnlock(h1, h2);
    return true;
  }
  return false;
}

/**
 * nf_conntrack_get_ht (include/net/netfilter/nf_conntrack.h): the table and its size, read
 * consistently. "must be called with rcu read lock held"
 * @rcuReadLockHeld
 */
function nfConntrackGetHt(): { hash: number; hsize: number } {
  let hptr: number;
  let hsz: number;
  let sequence: number;

  do {
    sequence = nfConntrackGeneration.readBegin();
    hsz = nfConntrackHtableSize;
    hptr = nfConntrackHash;
  } while (nfConntrackGeneration.retry(sequence));

  return { hash: hptr, hsize: hsz };
}

/** nf_ct_put (include/net/netfilter/nf_conntrack.h): nf_conntrack_put(&ct->ct_general). */
function nfCtPut(ct: NfConnRef): void {
  if (ct && refcountDecAndTest(ct.ctGeneralUse)) nfConntrackDestroy(ct);
}

/** nf_ct_is_expired (include/net/netfilter/nf_conntrack.h). */
function nfCtIsExpired(ct: NfConnRef): boolean {
  return ((ct.timeout - nfctTimeStamp()) | 0) <= 0;
}

/** nf_ct_is_confirmed (include/net/netfilter/nf_conntrack.h). */
function nfCtIsConfirmed(ct: NfConnRef): boolean {
  return (ct.status & (1 << IPS_CONFIRMED_BIT)) !== 0;
}

/** nf_ct_is_dying (include/net/netfilter/nf_conntrack.h). */
function nfCtIsDying(ct: NfConnRef): boolean {
  return (ct.status & (1 << IPS_DYING_BIT)) !== 0;
}

/** nf_ct_should_gc (include/net/netfilter/nf_conntrack.h). */
function nfCtShouldGc(ct: NfConnRef): boolean {
  return nfCtIsExpired(ct) && nfCtIsConfirmed(ct) && !nfCtIsDying(ct);
}

/** clean_from_lists (nf_conntrack_core.c): unlink both directions; the caller holds both bucket locks. */
function cleanFromLists(ct: NfConnRef): void {
  hlistNullsDelRcu(nfHeap, ct.hnnode0);
  hlistNullsDelRcu(nfHeap, ct.hnnode1);

  // Destroy all pending expectations
  nfCtRemoveExpectations(ct);
}

/** nf_ct_delete_from_lists (nf_conntrack_core.c). */
function nfCtDeleteFromLists(ct: NfConnRef): void {
  const net = ct.ctNet;
  let hash: number;
  let replyHash: number;
  let sequence: number;

  nfCtHelperDestroy(ct);

  do {
    sequence = nfConntrackGeneration.readBegin();
    hash = hashConntrack(net, ct.tuple0);
    replyHash = hashConntrack(net, ct.tuple1);
  } while (nfConntrackDoubleLock(hash, replyHash, sequence));

  cleanFromLists(ct);
  nfConntrackDoubleUnlock(hash, replyHash);

  nfCtAddToDyingList(ct);
}

/** nf_ct_delete (nf_conntrack_core.c): kill an entry the caller holds a reference on. */
export function nfCtDelete(ct: NfConnRef, portid: number, report: number): boolean {
  if (testAndSetStatusBit(ct, IPS_DYING_BIT)) return false;

  if (nfConntrackEventReportDestroy(ct, portid, report) < 0) {
    // destroy event was not delivered. nf_ct_put will be done by event cache worker on
    // redelivery.
    nfCtDeleteFromLists(ct);
    nfConntrackEcacheWork(ct.ctNet, NFCT_ECACHE_DESTROY_FAIL);
    return false;
  }

  const net = ct.ctNet;
  if (nfConntrackEcacheDworkPending(net)) nfConntrackEcacheWork(net, NFCT_ECACHE_DESTROY_SENT);
  nfCtDeleteFromLists(ct);
  nfCtPut(ct);
  return true;
}

/** nf_ct_kill (include/net/netfilter/nf_conntrack.h). */
function nfCtKill(ct: NfConnRef): boolean {
  return nfCtDelete(ct, 0, 0);
}

/** nf_ct_key_equal (nf_conntrack_core.c): the tuple, zone and namespace match a confirmed entry. */
function nfCtKeyEqual(h: number, tuple: NfConntrackTuple, zone: number, net: number): boolean {
  const ct = nfCtTuplehashToCtrack(h);

  // A conntrack can be recreated with the equal tuple, so we need to check that the conntrack
  // is confirmed.
  return nfCtTupleEqual(tuple, nfCtDirection(h) === IP_CT_DIR_ORIGINAL ? ct.tuple0 : ct.tuple1) && ct.zoneId === zone && nfCtIsConfirmed(ct) && net === ct.ctNet;
}

/**
 * nf_ct_gc_expired (nf_conntrack_core.c): reap an expired entry met during a walk.
 * "caller must hold rcu readlock and none of the nf_conntrack_locks"
 * @rcuReadLockHeld
 */
function nfCtGcExpired(ct: NfConnRef): void {
  if (!refcountIncNotZero(ct.ctGeneralUse)) return;

  if (nfCtShouldGc(ct)) nfCtKill(ct);

  nfCtPut(ct);
}

/**
 * ____nf_conntrack_find (nf_conntrack_core.c): a candidate hash entry for the tuple, not
 * referenced. "Caller must take a reference on returned object and recheck
 * nf_ct_tuple_equal(tuple, &h->tuple)".
 */
function ____nfConntrackFind(net: number, zone: number, tuple: NfConntrackTuple, hash: number): number | null {
  begin: for (;;) {
    const { hash: ctHash, hsize } = nfConntrackGetHt();
    const bucket = reciprocalScale(hash, hsize);

    let n: number;
    for (n = hlistNullsFirstRcu(nfHeap, ctHash + 4 * bucket); !isANulls(n); n = hlistNullsNextRcu(nfHeap, n)) {
      const h = n;
      const ct = nfCtTuplehashToCtrack(h);
      if (nfCtIsExpired(ct)) {
        nfCtGcExpired(ct);
        continue;
      }

      if (nfCtKeyEqual(h, tuple, zone, net)) return h;
    }
    // If the nulls value we got at the end of this lookup is not the expected one, we must
    // restart lookup: we probably met an item that was moved to another chain.
    if (getNullsValue(n) !== bucket) {
      nfCtStatInc(net, 'search_restart');
      continue begin;
    }

    return null;
  }
}

/** __nf_conntrack_find_get (nf_conntrack_core.c): find a connection corresponding to a tuple, referenced. */
function __nfConntrackFindGet(net: number, zone: number, tuple: NfConntrackTuple, hash: number): number | null {
  let h: number | null;

  rcuReadLock();

  found: {
    h = ____nfConntrackFind(net, zone, tuple, hash);
    if (h) {
      // We have a candidate that matches the tuple we're interested in, try to obtain a
      // reference and re-check tuple
      const ct = nfCtTuplehashToCtrack(h);
      if (refcountIncNotZero(ct.ctGeneralUse)) {
        if (nfCtKeyEqual(h, tuple, zone, net)) break found;

        // TYPESAFE_BY_RCU recycled the candidate
        nfCtPut(ct);
      }

      h = null;
    }
  }
  // found:
  rcuReadUnlock();

  return h;
}

/** nf_conntrack_find_get (nf_conntrack_core.c). */
export function nfConntrackFindGet(net: number, zone: number, tuple: NfConntrackTuple): number | null {
  return __nfConntrackFindGet(net, zone, tuple, hashConntrackRaw(tuple, net));
}

/** __nf_conntrack_hash_insert (nf_conntrack_core.c): publish both directions; both bucket locks held. */
function __nfConntrackHashInsert(ct: NfConnRef, hash: number, replyHash: number): void {
  hlistNullsAddHeadRcu(nfHeap, ct.hnnode0, nfConntrackHash + 4 * hash);
  hlistNullsAddHeadRcu(nfHeap, ct.hnnode1, nfConntrackHash + 4 * replyHash);
}

/**
 * nf_conntrack_hash_check_insert (nf_conntrack_core.c): insert unless either direction is
 * taken. "The caller holds a reference to this object".
 * @owned ct
 */
export function nfConntrackHashCheckInsert(ct: NfConnRef): number {
  const net = ct.ctNet;
  const zone = ct.zoneId;
  let hash: number;
  let replyHash: number;
  let sequence: number;

  do {
    sequence = nfConntrackGeneration.readBegin();
    hash = hashConntrack(net, ct.tuple0);
    replyHash = hashConntrack(net, ct.tuple1);
  } while (nfConntrackDoubleLock(hash, replyHash, sequence));

  out: {
    // See if there's one in the list already, including reverse
    for (let n = hlistNullsFirstRcu(nfHeap, nfConntrackHash + 4 * hash); !isANulls(n); n = hlistNullsNextRcu(nfHeap, n)) {
      if (nfCtKeyEqual(n, ct.tuple0, zone, net)) break out;
    }

    for (let n = hlistNullsFirstRcu(nfHeap, nfConntrackHash + 4 * replyHash); !isANulls(n); n = hlistNullsNextRcu(nfHeap, n)) {
      if (nfCtKeyEqual(n, ct.tuple1, zone, net)) break out;
    }

    // smp_wmb(): the key before the refcount (the runtime's stores are ordered).
    // The caller holds a reference to this object
    refcountSet(ct.ctGeneralUse, 2);
    __nfConntrackHashInsert(ct, hash, replyHash);
    nfConntrackDoubleUnlock(hash, replyHash);
    nfCtStatInc(net, 'insert');
    return 0;
  }
  // out:
  nfConntrackDoubleUnlock(hash, replyHash);
  return -EEXIST;
}

/** nf_conntrack_tuple_taken (nf_conntrack_core.c): does a connection other than `ignored` use the tuple? */
export function nfConntrackTupleTaken(tuple: NfConntrackTuple, ignoredConntrack: NfConnRef): boolean {
  const net = ignoredConntrack.ctNet;
  const zone = ignoredConntrack.zoneId;

  rcuReadLock();
  begin: for (;;) {
    const { hash: ctHash, hsize } = nfConntrackGetHt();
    const hash = __hashConntrack(net, tuple, hsize);

    let n: number;
    for (n = hlistNullsFirstRcu(nfHeap, ctHash + 4 * hash); !isANulls(n); n = hlistNullsNextRcu(nfHeap, n)) {
      const h = n;
      const ct = nfCtTuplehashToCtrack(h);

      if (ct === ignoredConntrack) continue;

      if (nfCtIsExpired(ct)) {
        nfCtGcExpired(ct);
        continue;
      }

      if (nfCtKeyEqual(h, tuple, zone, net)) {
        // Tuple is taken already, so caller will need to find a new source port to use. Only
        // exception: if the *original tuples* are identical, both conntracks refer to the same
        // flow; nf_ct_resolve_clash() deals with that later.
        if (nfCtTupleEqual(ignoredConntrack.tuple0, ct.tuple0) && ct.zoneId === zone) continue;

        nfCtStatInc(net, 'found');
        rcuReadUnlock();
        return true;
      }
    }

    if (getNullsValue(n) !== hash) {
      nfCtStatInc(net, 'search_restart');
      continue begin;
    }

    rcuReadUnlock();

    return false;
  }
}

/**
 * early_drop_list (nf_conntrack_core.c): kill the non-assured entries of one chain. There's a
 * small race here where we may free a just-assured connection.
 */
function earlyDropList(net: number, head: number): number {
  let drops = 0;

  for (let n = hlistNullsFirstRcu(nfHeap, head); !isANulls(n); n = hlistNullsNextRcu(nfHeap, n)) {
    const tmp = nfCtTuplehashToCtrack(n);

    if (tmp.status & (1 << IPS_OFFLOAD_BIT)) continue;

    if (nfCtIsExpired(tmp)) {
      nfCtGcExpired(tmp);
      continue;
    }

    if (tmp.status & (1 << IPS_ASSURED_BIT) || tmp.ctNet !== net || nfCtIsDying(tmp)) continue;

    if (!refcountIncNotZero(tmp.ctGeneralUse)) continue;

    // kill only if still in same netns -- might have moved due to SLAB_TYPESAFE_BY_RCU rules.
    // We steal the timer reference. If that fails timer has already fired or someone else
    // deleted it. Just drop ref and move to next entry.
    if (tmp.ctNet === net && nfCtIsConfirmed(tmp) && nfCtDelete(tmp, 0, 0)) drops++;

    nfCtPut(tmp);
  }

  return drops;
}

/** early_drop (nf_conntrack_core.c): try the chains next to `hash` until something was dropped. */
function earlyDrop(net: number, hash: number): boolean {
  let bucket = 0;

  for (let i = 0; i < NF_CT_EVICTION_RANGE; i++) {
    rcuReadLock();
    const { hash: ctHash, hsize } = nfConntrackGetHt();
    if (!i) bucket = reciprocalScale(hash, hsize);
    else bucket = (bucket + 1) % hsize;

    const drops = earlyDropList(net, ctHash + 4 * bucket);
    rcuReadUnlock();

    if (drops) {
      nfCtStatInc(net, 'early_drop', drops);
      return true;
    }
  }

  return false;
}

/** gc_worker_skip_ct (nf_conntrack_core.c). */
function gcWorkerSkipCt(ct: NfConnRef): boolean {
  return !nfCtIsConfirmed(ct) || nfCtIsDying(ct);
}

/** gc_worker (nf_conntrack_core.c): reap expired entries bucket by bucket, best effort. */
export function gcWorker(gcWork: ConntrackGcWork): void {
  const endTime = jiffies() + GC_SCAN_MAX_DURATION;
  let i: number;
  let hashsz: number;
  let nfConntrackMax95 = 0;
  let nextRun = GC_SCAN_INTERVAL;

  i = gcWork.nextBucket;
  if (gcWork.earlyDrop) nfConntrackMax95 = Math.floor(nfConntrackMax / 100) * 95;

  do {
    rcuReadLock();

    const ht = nfConntrackGetHt();
    hashsz = ht.hsize;
    if (i >= hashsz) {
      rcuReadUnlock();
      break;
    }

    for (let n = hlistNullsFirstRcu(nfHeap, ht.hash + 4 * i); !isANulls(n); n = hlistNullsNextRcu(nfHeap, n)) {
      const tmp = nfCtTuplehashToCtrack(n);

      if (tmp.status & (1 << IPS_OFFLOAD_BIT)) {
        nfCtOffloadTimeout(tmp);
        continue;
      }

      if (nfCtIsExpired(tmp)) {
        nfCtGcExpired(tmp);
        continue;
      }

      if (nfConntrackMax95 === 0 || gcWorkerSkipCt(tmp)) continue;

      const net = tmp.ctNet;
      if (cnetCountRead(net) < nfConntrackMax95) continue;

      // need to take reference to avoid possible races
      if (!refcountIncNotZero(tmp.ctGeneralUse)) continue;

      if (gcWorkerSkipCt(tmp)) {
        nfCtPut(tmp);
        continue;
      }

      if (gcWorkerCanEarlyDrop(tmp)) nfCtKill(tmp);

      nfCtPut(tmp);
    }

    // could check get_nulls_value() here and restart if ct was moved to another chain. But
    // given gc is best-effort we will just continue with next hash slot.
    rcuReadUnlock();
    condResched();
    i++;

    if (timeIsAfter(endTime) && i < hashsz) {
      gcWork.nextBucket = i;
      nextRun = 0;
      break;
    }
  } while (i < hashsz);

  if (gcWork.exiting) return;

  // Eviction will normally happen from the packet path, and not from this gc worker, which is
  // only here to reap expired entries when the system went idle after a busy period.
  if (nextRun) {
    gcWork.earlyDrop = false;
    gcWork.nextBucket = 0;
  }
  queueGcWork(nextRun);
}

/** __nf_conntrack_alloc (nf_conntrack_core.c): a new, unhashed entry with a zero refcount. */
function __nfConntrackAlloc(net: number, zone: number, orig: NfConntrackTuple, repl: NfConntrackTuple, hash: number): NfConnRef | ErrPtr {
  // We don't want any race condition at early drop stage
  const ctCount = cnetCountIncReturn(net);

  if (nfConntrackMax && ctCount > nfConntrackMax) {
    if (!earlyDrop(net, hash)) {
      if (!conntrackGcWork.earlyDrop) conntrackGcWork.earlyDrop = true;
      cnetCountDec(net);
      netWarnRatelimited('nf_conntrack: table full, dropping packet\n');
      return new ErrPtr(-ENOMEM);
    }
  }

  // Do not use kmem_cache_zalloc(), as this cache uses SLAB_TYPESAFE_BY_RCU. (The runtime
  // throws rather than returning NULL, so there is no "goto out" for a failed allocation.)
  const ct = kmemCacheAlloc(nfConntrackCachep);

  spinLockInit(ct.lock);
  ct.tuple0.set(orig); // ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple = *orig
  ct.dir0 = IP_CT_DIR_ORIGINAL;
  ct.tuple1.set(repl); // ct->tuplehash[IP_CT_DIR_REPLY].tuple = *repl
  ct.dir1 = 1; // IP_CT_DIR_REPLY
  // (The kernel also saves `hash` in the unused reply pprev for __nf_conntrack_confirm.)
  ct.status = 0;
  ct.timeout = 0; // WRITE_ONCE(ct->timeout, 0)
  ct.ctNet = net; // write_pnet(&ct->ct_net, net)

  ct.zoneId = zone; // nf_ct_zone_add(ct, zone)

  // Because we use RCU lookups, we set ct_general.use to zero before this is inserted in any
  // list.
  refcountSet(ct.ctGeneralUse, 0);
  return ct;
}

/** nf_conntrack_alloc (nf_conntrack_core.c). */
export function nfConntrackAlloc(net: number, zone: number, orig: NfConntrackTuple, repl: NfConntrackTuple): NfConnRef | ErrPtr {
  return __nfConntrackAlloc(net, zone, orig, repl, 0);
}

/** nf_conntrack_free (nf_conntrack_core.c): back to the type-stable cache, no grace period. */
export function nfConntrackFree(ct: NfConnRef): void {
  const net = ct.ctNet;

  // A freed object has refcnt == 0, that's the golden rule for SLAB_TYPESAFE_BY_RCU
  warnOn(refcountRead(ct.ctGeneralUse) !== 0);

  nfCtExtDestroy(ct);
  kmemCacheFree(nfConntrackCachep, ct);

  // smp_mb__before_atomic()
  cnetCountDec(net);
}
