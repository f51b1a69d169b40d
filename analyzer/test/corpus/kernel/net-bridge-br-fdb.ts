/**
 * @fileoverview Translation of Linux net/bridge/br_fdb.c: the bridge forwarding database, whose
 * entries the packet path finds in an rhashtable and the ageing and flush walks find on
 * br->fdb_list, both without locks, and which writers create and delete under br->hash_lock.
 *
 * Source read: net/bridge/br_fdb.c at torvalds/linux commit
 * 02189ca8411253aa1328e9dd6137a40e390a5b37.
 * Functions: br_fdb_init, hold_time, has_expired, fdb_rcu_free, fdb_find_rcu, br_fdb_find,
 * br_fdb_find_port, br_fdb_find_rcu, fdb_delete, fdb_delete_local, br_fdb_find_delete_local,
 * fdb_create, br_fdb_cleanup, __fdb_flush_matches, br_fdb_flush, br_fdb_delete_by_port,
 * br_fdb_test_addr, __fdb_mark_active, br_fdb_update, __br_fdb_add, br_fdb_add. The last two
 * are read from their form with the `notified` out-parameter (before `protocol` was added), as
 * the patches to br_fdb.c show them; their netlink plumbing (nla_get_u32, nla_parse_nested) is
 * reduced to declared helpers.
 *
 * br_fdb_cache is a plain cache. fdb_delete() unlinks the entry from fdb_list
 * (hlist_del_init_rcu) and from the rhashtable under hash_lock, and frees it with
 * call_rcu(&f->rcu, fdb_rcu_free): br_fdb_cleanup() and br_fdb_flush() "rely on rcu to delete
 * objects with delayed freeing allowing us to continue traversing" — they walk the list under
 * rcu_read_lock(), take hash_lock only around the delete, and re-check hlist_unhashed() there
 * because another deleter may have won.
 */

import {
  SLAB_HWCACHE_ALIGN,
  callRcu,
  hlistNullsAddHeadRcu,
  hlistNullsDelInitRcu,
  hlistNullsFirstRcu,
  hlistNullsNextRcu,
  hlistNullsUnhashed,
  isANulls,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  spinLock,
  spinUnlock,
  type Heap,
  type KmemCache,
} from '@rcukit/runtime';
import { atomicDec, atomicInc, atomicRead, clearBit, setBit, testAndClearBit, testAndSetBit, testBit } from '../lib/bitops.js';
import {
  BR_FDB_ADDED_BY_EXT_LEARN,
  BR_FDB_ADDED_BY_USER,
  BR_FDB_DYNAMIC_LEARNED,
  BR_FDB_LOCAL,
  BR_FDB_LOCKED,
  BR_FDB_NOTIFY,
  BR_FDB_NOTIFY_INACTIVE,
  BR_FDB_OFFLOADED,
  BR_FDB_STATIC,
  BR_FDB_STICKY,
  BR_STATE_FORWARDING,
  ETH_ALEN,
  FdbEntry,
  RTM_DELNEIGH,
  RTM_NEWNEIGH,
  brDevAddr,
  brHeap,
  brPortGetRcu,
  brPortList,
  brSwitchdevFdbNotify,
  brVlanFind,
  brVlanGroup,
  brVlanShouldUse,
  brVlanList,
  brWarn,
  etherAddrEqual,
  fdbDelHwAddr,
  fdbEntryOf,
  fdbHashTbl,
  fdbListHead,
  fdbNotify,
  jiffies,
  modDelayedWorkGc,
  msecsToJiffies,
  nbpVlanGroup,
  netRatelimit,
  portDevAddr,
  rhashtableLookup,
  rhashtableLookupInsertFast,
  rhashtableRemoveFast,
  timeAfter,
  timeBeforeEq,
  traceBrFdbUpdate,
  traceFdbDelete,
  NTF_EXT_LEARNED,
  NTF_EXT_LOCKED,
  NTF_USE,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_REACHABLE,
  brFdbExternalLearnAdd,
  brPortGetRtnl,
  fdbAddEntry,
  isZeroEtherAddr,
  localBhDisable,
  localBhEnable,
  nbpStateShouldLearn,
  netdevPrivBridge,
  netifIsBridgeMaster,
  nlSetErrMsgMod,
  nlaParseNestedNfea,
  portBridgeRtnl,
  prInfo,
  traceBrFdbAdd,
  type FdbEntryRef,
  type FdbFlushDesc,
  type Ndmsg,
  type NdaAttrs,
  type NetBridgeVlanGroup,
  type NfeaAttrs,
  type Notified,
  type NetBridgePortRef,
  type NetBridgeRef,
  type Rhashtable,
} from '../lib/bridge.js';
import { EINVAL, lockdepAssertHeld } from '../lib/kernel.js';

/** br_fdb_cache. */
let brFdbCache: KmemCache<typeof FdbEntry>;

/** br_fdb_init (net/bridge/br_fdb.c): KMEM_CACHE(net_bridge_fdb_entry, SLAB_HWCACHE_ALIGN). */
export function brFdbInit(heap: Heap): number {
  brFdbCache = kmemCacheCreate(heap, 'net_bridge_fdb_entry', FdbEntry, { flags: SLAB_HWCACHE_ALIGN });
  // if (!br_fdb_cache) return -ENOMEM: the runtime throws instead of returning NULL.
  return 0;
}

/** hold_time (net/bridge/br_fdb.c): forward_delay while the topology changes, else ageing_time. */
function holdTime(br: NetBridgeRef): number {
  return br.topologyChange ? br.forwardDelay : br.ageingTime;
}

/** has_expired (net/bridge/br_fdb.c). */
function hasExpired(br: NetBridgeRef, fdb: FdbEntryRef): boolean {
  return (
    !testBit(BR_FDB_STATIC, fdb, 'flags') &&
    !testBit(BR_FDB_ADDED_BY_EXT_LEARN, fdb, 'flags') &&
    timeBeforeEq(fdb.updated + holdTime(br), jiffies())
  );
}

/** fdb_rcu_free (net/bridge/br_fdb.c): the RCU callback that frees a deleted entry. */
function fdbRcuFree(ent: FdbEntryRef): void {
  kmemCacheFree(brFdbCache, ent);
}

/**
 * fdb_find_rcu (net/bridge/br_fdb.c): the entry for (addr, vid) in the bridge's rhashtable.
 * WARN_ON_ONCE(!rcu_read_lock_held()).
 * @rcuReadLockHeld
 */
function fdbFindRcu(tbl: Rhashtable, addr: ArrayLike<number>, vid: number): FdbEntryRef | null {
  const key = { vlanId: vid, addr: Array.from({ length: ETH_ALEN }, (_, i) => addr[i]!) }; // memcpy(key.addr.addr, addr, ...)

  return rhashtableLookup(tbl, key);
}

/**
 * br_fdb_find (net/bridge/br_fdb.c): "requires bridge hash_lock"
 * (lockdep_assert_held_once(&br->hash_lock)).
 * @mustHold br.hashLock
 */
function brFdbFind(br: NetBridgeRef, addr: ArrayLike<number>, vid: number): FdbEntryRef | null {
  lockdepAssertHeld(br.hashLock);

  rcuReadLock();
  const fdb = fdbFindRcu(fdbHashTbl(br), addr, vid);
  rcuReadUnlock();

  return fdb;
}

/** br_fdb_find_port (net/bridge/br_fdb.c): the device of the port an address was learned on. */
export function brFdbFindPort(br: NetBridgeRef, addr: ArrayLike<number>, vid: number): number {
  let dev = 0;

  // ASSERT_RTNL(); if (!netif_is_bridge_master(br_dev)) return NULL; br = netdev_priv(br_dev);
  rcuReadLock();
  const f = brFdbFindRcu(br, addr, vid);
  if (f && f.dst) dev = f.dst.dev;
  rcuReadUnlock();

  return dev;
}

/** br_fdb_find_rcu (net/bridge/br_fdb.c). */
export function brFdbFindRcu(br: NetBridgeRef, addr: ArrayLike<number>, vid: number): FdbEntryRef | null {
  return fdbFindRcu(fdbHashTbl(br), addr, vid);
}

/** fdb_delete (net/bridge/br_fdb.c): unlink an entry from the list and the table, free it after a grace period. */
function fdbDelete(br: NetBridgeRef, f: FdbEntryRef, swdevNotify: boolean): void {
  traceFdbDelete(br, f);

  if (testBit(BR_FDB_STATIC, f, 'flags')) fdbDelHwAddr(br, f.keyAddr);

  hlistNullsDelInitRcu(brHeap, f.fdbNode); // hlist_del_init_rcu(&f->fdb_node)
  rhashtableRemoveFast(fdbHashTbl(br), f);
  if (testAndClearBit(BR_FDB_DYNAMIC_LEARNED, f, 'flags')) atomicDec(br, 'fdbNLearned');
  fdbNotify(br, f, RTM_DELNEIGH, swdevNotify);
  callRcu(() => fdbRcuFree(f)); // call_rcu(&f->rcu, fdb_rcu_free)
}

/** fdb_delete_local (net/bridge/br_fdb.c): delete a local entry if no other port had the same address. */
function fdbDeleteLocal(br: NetBridgeRef, p: NetBridgePortRef | null, f: FdbEntryRef): void {
  const addr = f.keyAddr;
  const vid = f.keyVlanId;

  /* Maybe another port has same hw addr? */
  for (const op of brPortList(br)) {
    const vg = nbpVlanGroup(op);
    if (op !== p && etherAddrEqual(portDevAddr(op), addr) && (!vid || brVlanFind(vg, vid))) {
      f.dst = op;
      clearBit(BR_FDB_ADDED_BY_USER, f, 'flags');
      return;
    }
  }

  const vg = brVlanGroup(br);
  const v = brVlanFind(vg, vid);
  /* Maybe bridge device has same hw addr? */
  if (p && etherAddrEqual(brDevAddr(br), addr) && (!vid || (v && brVlanShouldUse(v)))) {
    f.dst = null;
    clearBit(BR_FDB_ADDED_BY_USER, f, 'flags');
    return;
  }

  fdbDelete(br, f, true);
}

/** br_fdb_find_delete_local (net/bridge/br_fdb.c). */
export function brFdbFindDeleteLocal(br: NetBridgeRef, p: NetBridgePortRef, addr: ArrayLike<number>, vid: number): void {
  spinLock(br.hashLock); // spin_lock_bh
  const f = brFdbFind(br, addr, vid);
  if (f && testBit(BR_FDB_LOCAL, f, 'flags') && !testBit(BR_FDB_ADDED_BY_USER, f, 'flags') && f.dst === p)
    fdbDeleteLocal(br, p, f);
  spinUnlock(br.hashLock);
}

/** fdb_create (net/bridge/br_fdb.c): allocate and fill an entry, then publish it in the table and the list. */
function fdbCreate(
  br: NetBridgeRef,
  source: NetBridgePortRef | null,
  addr: ArrayLike<number>,
  vid: number,
  flags: number,
): FdbEntryRef | null {
  const learned = !(flags & (1 << BR_FDB_ADDED_BY_USER)) && !(flags & (1 << BR_FDB_LOCAL));
  const maxLearned = br.fdbMaxLearned; // READ_ONCE(br->fdb_max_learned)

  if (learned) {
    const nLearned = atomicRead(br, 'fdbNLearned');

    if (maxLearned && nLearned >= maxLearned) return null;
    flags |= 1 << BR_FDB_DYNAMIC_LEARNED; // __set_bit(BR_FDB_DYNAMIC_LEARNED, &flags)
  }

  // kmem_cache_alloc(GFP_ATOMIC) cannot return NULL here: the runtime throws when the heap is full.
  const fdb = kmemCacheAlloc(brFdbCache);

  for (let i = 0; i < ETH_ALEN; i++) fdb.keyAddr[i] = addr[i]!; // memcpy(fdb->key.addr.addr, addr, ETH_ALEN)
  fdb.dst = source; // WRITE_ONCE(fdb->dst, source)
  fdb.keyVlanId = vid;
  fdb.flags = flags;
  fdb.updated = fdb.used = jiffies();
  const err = rhashtableLookupInsertFast(fdbHashTbl(br), fdb);
  if (err) {
    kmemCacheFree(brFdbCache, fdb);
    return null;
  }

  if (learned) atomicInc(br, 'fdbNLearned');

  hlistNullsAddHeadRcu(brHeap, fdb.fdbNode, fdbListHead(br)); // hlist_add_head_rcu(&fdb->fdb_node, &br->fdb_list)

  return fdb;
}

/** br_fdb_cleanup (net/bridge/br_fdb.c): the ageing work: delete expired entries while walking under RCU. */
export function brFdbCleanup(br: NetBridgeRef): void {
  // struct net_bridge *br = container_of(work, struct net_bridge, gc_work.work);
  const delay = holdTime(br);
  let workDelay = delay;
  const now = jiffies();

  /* this part is tricky, in order to avoid blocking learning and
   * consequently forwarding, we rely on rcu to delete objects with
   * delayed freeing allowing us to continue traversing
   */
  rcuReadLock();
  // hlist_for_each_entry_rcu(f, &br->fdb_list, fdb_node)
  for (let node = hlistNullsFirstRcu(brHeap, fdbListHead(br)); !isANulls(node); node = hlistNullsNextRcu(brHeap, node)) {
    const f = fdbEntryOf(node);
    const thisTimer = f.updated + delay;

    if (testBit(BR_FDB_STATIC, f, 'flags') || testBit(BR_FDB_ADDED_BY_EXT_LEARN, f, 'flags')) {
      if (testBit(BR_FDB_NOTIFY, f, 'flags')) {
        if (timeAfter(thisTimer, now)) workDelay = Math.min(workDelay, thisTimer - now);
        else if (!testAndSetBit(BR_FDB_NOTIFY_INACTIVE, f, 'flags')) fdbNotify(br, f, RTM_NEWNEIGH, false);
      }
      continue;
    }

    if (timeAfter(thisTimer, now)) {
      workDelay = Math.min(workDelay, thisTimer - now);
    } else {
      spinLock(br.hashLock); // spin_lock_bh
      if (!hlistNullsUnhashed(brHeap, f.fdbNode)) fdbDelete(br, f, true);
      spinUnlock(br.hashLock);
    }
  }
  rcuReadUnlock();

  /* Cleanup minimum 10 milliseconds apart */
  workDelay = Math.max(workDelay, msecsToJiffies(10));
  modDelayedWorkGc(br, workDelay);
}

/** __fdb_flush_matches (net/bridge/br_fdb.c). */
function __fdbFlushMatches(br: NetBridgeRef, f: FdbEntryRef, desc: FdbFlushDesc): boolean {
  const dst = f.dst; // READ_ONCE(f->dst)
  const portIfidx = dst ? dst.dev : br.dev;

  if (desc.vlanId && desc.vlanId !== f.keyVlanId) return false;
  if (desc.portIfindex && desc.portIfindex !== portIfidx) return false;
  if (desc.flagsMask && (f.flags & desc.flagsMask) !== desc.flags) return false;

  return true;
}

/** br_fdb_flush (net/bridge/br_fdb.c): flush forwarding database entries matching the description. */
export function brFdbFlush(br: NetBridgeRef, desc: FdbFlushDesc): void {
  rcuReadLock();
  for (let node = hlistNullsFirstRcu(brHeap, fdbListHead(br)); !isANulls(node); node = hlistNullsNextRcu(brHeap, node)) {
    const f = fdbEntryOf(node);
    if (!__fdbFlushMatches(br, f, desc)) continue;

    spinLock(br.hashLock); // spin_lock_bh
    if (!hlistNullsUnhashed(brHeap, f.fdbNode)) fdbDelete(br, f, true);
    spinUnlock(br.hashLock);
  }
  rcuReadUnlock();
}

/**
 * br_fdb_delete_by_port (net/bridge/br_fdb.c): flush all entries referring to a port (static
 * ones too if do_all; only those of vlan `vid` if set).
 */
export function brFdbDeleteByPort(br: NetBridgeRef, p: NetBridgePortRef, vid: number, doAll: number): void {
  spinLock(br.hashLock); // spin_lock_bh
  // hlist_for_each_entry_safe(f, tmp, &br->fdb_list, fdb_node)
  for (let node = hlistNullsFirstRcu(brHeap, fdbListHead(br)), tmp = 0; !isANulls(node); node = tmp) {
    tmp = hlistNullsNextRcu(brHeap, node);
    const f = fdbEntryOf(node);
    if (f.dst !== p) continue;

    if (!doAll)
      if (
        testBit(BR_FDB_STATIC, f, 'flags') ||
        (testBit(BR_FDB_ADDED_BY_EXT_LEARN, f, 'flags') && !testBit(BR_FDB_OFFLOADED, f, 'flags')) ||
        (vid && f.keyVlanId !== vid)
      )
        continue;

    if (testBit(BR_FDB_LOCAL, f, 'flags')) fdbDeleteLocal(br, p, f);
    else fdbDelete(br, f, true);
  }
  spinUnlock(br.hashLock);
}

/** br_fdb_test_addr (net/bridge/br_fdb.c, CONFIG_ATM_LANE): is an address on some other forwarding port? */
export function brFdbTestAddr(dev: number, addr: ArrayLike<number>): number {
  let ret: number;

  rcuReadLock();
  const port = brPortGetRcu(dev);
  if (!port) ret = 0;
  else {
    let dst: NetBridgePortRef | null = null;

    const fdb = brFdbFindRcu(port.br!, addr, 0);
    if (fdb) dst = fdb.dst; // READ_ONCE(fdb->dst)

    ret = dst && dst.dev !== dev && dst.state === BR_STATE_FORWARDING ? 1 : 0;
  }
  rcuReadUnlock();

  return ret;
}

/** __fdb_mark_active (net/bridge/br_fdb.c): "returns true if the fdb was modified". */
function __fdbMarkActive(fdb: FdbEntryRef): boolean {
  return testBit(BR_FDB_NOTIFY_INACTIVE, fdb, 'flags') && testAndClearBit(BR_FDB_NOTIFY_INACTIVE, fdb, 'flags');
}

/**
 * br_fdb_update (net/bridge/br_fdb.c): learn `addr` on `source`: refresh the entry found
 * locklessly, or create one under hash_lock.
 */
export function brFdbUpdate(
  br: NetBridgeRef,
  source: NetBridgePortRef,
  addr: ArrayLike<number>,
  vid: number,
  flags: number,
): void {
  /* some users want to always flood. */
  if (holdTime(br) === 0) return;

  let fdb = fdbFindRcu(fdbHashTbl(br), addr, vid);
  if (fdb) {
    /* attempt to update an entry for a local interface */
    if (testBit(BR_FDB_LOCAL, fdb, 'flags')) {
      if (netRatelimit()) brWarn(br, 'received packet with own address as source address');
    } else {
      const now = jiffies();
      let fdbModified = false;

      if (now !== fdb.updated) {
        fdb.updated = now;
        fdbModified = __fdbMarkActive(fdb);
      }

      /* fastpath: update of existing entry */
      if (source !== fdb.dst && !testBit(BR_FDB_STICKY, fdb, 'flags')) {
        brSwitchdevFdbNotify(br, fdb, RTM_DELNEIGH);
        fdb.dst = source; // WRITE_ONCE(fdb->dst, source)
        fdbModified = true;
        /* Take over HW learned entry */
        if (testBit(BR_FDB_ADDED_BY_EXT_LEARN, fdb, 'flags')) clearBit(BR_FDB_ADDED_BY_EXT_LEARN, fdb, 'flags');
        /* Clear locked flag when roaming to an
         * unlocked port.
         */
        if (testBit(BR_FDB_LOCKED, fdb, 'flags')) clearBit(BR_FDB_LOCKED, fdb, 'flags');
      }

      if (flags & (1 << BR_FDB_ADDED_BY_USER)) {
        setBit(BR_FDB_ADDED_BY_USER, fdb, 'flags');
        if (testAndClearBit(BR_FDB_DYNAMIC_LEARNED, fdb, 'flags')) atomicDec(br, 'fdbNLearned');
      }
      if (fdbModified) {
        traceBrFdbUpdate(br, source, addr, vid, flags);
        fdbNotify(br, fdb, RTM_NEWNEIGH, true);
      }
    }
  } else {
    spinLock(br.hashLock);
    fdb = fdbCreate(br, source, addr, vid, flags);
    if (fdb) {
      traceBrFdbUpdate(br, source, addr, vid, flags);
      fdbNotify(br, fdb, RTM_NEWNEIGH, true);
    }
    /* else  we lose race and someone else inserts
     * it first, don't bother updating
     */
    spinUnlock(br.hashLock);
  }
}

/**
 * __br_fdb_add (net/bridge/br_fdb.c): add or refresh one entry for an RTM_NEWNEIGH request.
 * NTF_USE asks for what the packet path does, so br_fdb_update() runs in a read-side section of
 * its own here, as it does under the RX handler's; a static or permanent entry is created under
 * hash_lock.
 */
function __brFdbAdd(
  ndm: Ndmsg,
  br: NetBridgeRef,
  p: NetBridgePortRef | null,
  addr: ArrayLike<number>,
  nlhFlags: number,
  vid: number,
  nfeaTb: NfeaAttrs,
  notified: Notified,
): number {
  let err = 0;

  if (ndm.ndmFlags & NTF_USE) {
    if (!p) {
      prInfo(`bridge: RTM_NEWNEIGH ${br.dev} with NTF_USE is not supported`);
      return -EINVAL;
    }
    if (!nbpStateShouldLearn(p)) return 0;

    localBhDisable();
    rcuReadLock();
    brFdbUpdate(br, p, addr, vid, 1 << BR_FDB_ADDED_BY_USER);
    rcuReadUnlock();
    localBhEnable();
  } else if (ndm.ndmFlags & NTF_EXT_LEARNED) {
    if (!p && !(ndm.ndmState & NUD_PERMANENT)) {
      nlSetErrMsgMod('FDB entry towards bridge must be permanent');
      return -EINVAL;
    }
    err = brFdbExternalLearnAdd(br, p, addr, vid, false, true);
  } else {
    spinLock(br.hashLock); // spin_lock_bh
    err = fdbAddEntry(br, p, addr, ndm, nlhFlags, vid, nfeaTb);
    spinUnlock(br.hashLock);
  }

  if (!err) notified.value = true;
  return err;
}

/**
 * br_fdb_add (net/bridge/br_fdb.c): the bridge's ndo_fdb_add, under RTNL. Without a VLAN it
 * adds the entry with vid 0 and then once for every VLAN configured on the port.
 */
export function brFdbAdd(
  ndm: Ndmsg,
  tb: NdaAttrs,
  dev: number,
  addr: ArrayLike<number>,
  vid: number,
  nlhFlags: number,
  notified: Notified,
): number {
  const nfeaTb: unknown[] = [];
  let vg: NetBridgeVlanGroup | null;
  let p: NetBridgePortRef | null = null;
  let br: NetBridgeRef;
  let extFlags = 0;
  let err = 0;

  traceBrFdbAdd(ndm, dev, addr, vid, nlhFlags);

  if (!(ndm.ndmState & (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE))) {
    prInfo(`bridge: RTM_NEWNEIGH with invalid state ${ndm.ndmState}`);
    return -EINVAL;
  }

  if (isZeroEtherAddr(addr)) {
    prInfo('bridge: RTM_NEWNEIGH with invalid ether address');
    return -EINVAL;
  }

  if (netifIsBridgeMaster(dev)) {
    br = netdevPrivBridge(dev);
    vg = brVlanGroup(br);
  } else {
    p = brPortGetRtnl(dev);
    if (!p) {
      prInfo(`bridge: RTM_NEWNEIGH ${dev} not a bridge port`);
      return -EINVAL;
    }
    br = portBridgeRtnl(p);
    vg = nbpVlanGroup(p);
  }

  if (tb.flagsExt !== undefined) extFlags = tb.flagsExt;

  if (extFlags & NTF_EXT_LOCKED) {
    nlSetErrMsgMod('Cannot add FDB entry with "locked" flag set');
    return -EINVAL;
  }

  if (tb.fdbExtAttrs !== undefined) {
    err = nlaParseNestedNfea(tb.fdbExtAttrs, nfeaTb);
    if (err) return err;
  }

  out: {
    if (vid) {
      const v = brVlanFind(vg, vid);
      if (!v || !brVlanShouldUse(v)) {
        prInfo(`bridge: RTM_NEWNEIGH with unconfigured vlan ${vid} on ${dev}`);
        return -EINVAL;
      }

      /* VID was specified, so use it. */
      err = __brFdbAdd(ndm, br, p, addr, nlhFlags, vid, nfeaTb, notified);
    } else {
      err = __brFdbAdd(ndm, br, p, addr, nlhFlags, 0, nfeaTb, notified);
      if (err || !vg || !vg.numVlans) break out;

      /* We have vlans configured on this port and user didn't
       * specify a VLAN.  To be nice, add/update entry for every
       * vlan on this port.
       */
      for (const v of brVlanList(vg)) {
        if (!brVlanShouldUse(v)) continue;
        err = __brFdbAdd(ndm, br, p, addr, nlhFlags, v.vid, nfeaTb, notified);
        if (err) break out;
      }
    }
  }

  return err;
}
