/**
 * @fileoverview The forwarding-database structures of the kernel corpus (net/bridge/br_private.h),
 * declared with the runtime's struct API, and the kernel functions around them that
 * net/bridge/br_fdb.c calls but the corpus does not translate: the rhashtable (lib/rhashtable.c),
 * netlink and switchdev notification, VLAN groups, hardware address lists.
 *
 * An fdb entry lives in br_fdb_cache, a plain cache (`KMEM_CACHE(net_bridge_fdb_entry,
 * SLAB_HWCACHE_ALIGN)`). It is reachable by lockless readers two ways: the bridge's rhashtable
 * (the packet path's fdb_find_rcu()) and the bridge's fdb_list, an hlist that the ageing and
 * flush walks traverse under rcu_read_lock(). fdb_delete() unlinks it from both under
 * br->hash_lock and frees it after a grace period.
 *
 * The kernel's plain hlist is written with the runtime's hlist_nulls, the only RCU list it
 * has: an hlist_head is a head word whose end marker carries the value 0, and the walks stop at
 * any marker without looking at its value (hlist_for_each_entry_rcu has no value to look at).
 * hlist_del_init_rcu() and hlist_unhashed() keep their meaning (the node's pprev is cleared).
 */

import {
  addressOf,
  defineStruct,
  offsetOf,
  type Heap,
  type KmemCache,
  type StructDef,
  type StructRef,
} from '@rcukit/runtime';
import { hlistNullsEntry } from './kernel.js';

/** ETH_ALEN. */
export const ETH_ALEN = 6;

/** struct net_bridge, reduced to what br_fdb.c touches. */
export const NetBridge = defineStruct('net_bridge', {
  /** hash_lock: serializes every writer of fdb_hash_tbl and fdb_list. */
  hashLock: 'spinlock',
  /** fdb_list: the hlist head word (address of the first fdb_node, or the end marker). */
  fdbList: 'i32',
  fdbNLearned: 'i32',
  fdbMaxLearned: 'u32',
  topologyChange: 'u8',
  forwardDelay: 'u32',
  ageingTime: 'u32',
  /** br->dev, by ifindex. */
  dev: 'i32',
});
export type NetBridgeRef = StructRef<typeof NetBridge>;

type NetBridgePortDef = StructDef<
  {
    readonly br: { readonly rcu: () => typeof NetBridge };
    readonly dev: 'i32';
    readonly portNo: 'u16';
    readonly state: 'u8';
  },
  false
>;

/** struct net_bridge_port, reduced. Ports are freed after a grace period (del_nbp()). */
export const NetBridgePort: NetBridgePortDef = defineStruct('net_bridge_port', {
  br: { rcu: () => NetBridge },
  /** p->dev, by ifindex. */
  dev: 'i32',
  portNo: 'u16',
  state: 'u8',
});
export type NetBridgePortRef = StructRef<typeof NetBridgePort>;

/** struct net_bridge_fdb_entry, reduced. */
export const FdbEntry = defineStruct('net_bridge_fdb_entry', {
  /** dst: the port, read with READ_ONCE and written with WRITE_ONCE; NULL for the bridge itself. */
  dst: { rcu: () => NetBridgePort },
  /** key.addr.addr. */
  keyAddr: { array: 'u8', length: ETH_ALEN },
  /** key.vlan_id. */
  keyVlanId: 'u16',
  /** fdb_node: the entry's link in br->fdb_list. */
  fdbNode: 'hlistNulls',
  /** flags: an unsigned long of BR_FDB_* bits, changed with atomic bit operations. */
  flags: 'u32',
  updated: 'u32',
  used: 'u32',
});
export type FdbEntryRef = StructRef<typeof FdbEntry>;

/** struct net_bridge_fdb_key. */
export interface FdbKey {
  readonly addr: ArrayLike<number>;
  readonly vlanId: number;
}

/** struct net_bridge_fdb_flush_desc. */
export interface FdbFlushDesc {
  readonly flags: number;
  readonly flagsMask: number;
  readonly portIfindex: number;
  readonly vlanId: number;
}

/** enum net_bridge_fdb_flags. */
export const BR_FDB_LOCAL = 0;
export const BR_FDB_STATIC = 1;
export const BR_FDB_STICKY = 2;
export const BR_FDB_ADDED_BY_USER = 3;
export const BR_FDB_ADDED_BY_EXT_LEARN = 4;
export const BR_FDB_OFFLOADED = 5;
export const BR_FDB_NOTIFY = 6;
export const BR_FDB_NOTIFY_INACTIVE = 7;
export const BR_FDB_LOCKED = 8;
export const BR_FDB_DYNAMIC_LEARNED = 9;

/** RTM_NEWNEIGH, RTM_DELNEIGH, BR_STATE_FORWARDING. */
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const BR_STATE_FORWARDING = 3;

/** The heap the bridges, ports and fdb entries live in. */
export declare const brHeap: Heap;

/** &br->fdb_list: the byte address of the bridge's fdb_list head word. */
export function fdbListHead(br: NetBridgeRef): number {
  return addressOf(br) + offsetOf(NetBridge, 'fdbList');
}

/** hlist_entry(node, struct net_bridge_fdb_entry, fdb_node). */
export function fdbEntryOf(node: number): FdbEntryRef {
  return hlistNullsEntry(FdbEntry, brHeap, node, 'fdbNode');
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** struct rhashtable: this worker's handle on a bridge's fdb_hash_tbl. */
export interface Rhashtable {
  readonly tbl: number;
}
/** &br->fdb_hash_tbl. */
export declare function fdbHashTbl(br: NetBridgeRef): Rhashtable;
/** rhashtable_lookup(): "must be called under rcu_read_lock()"; the entry with `key`, or null. */
export declare function rhashtableLookup(ht: Rhashtable, key: FdbKey): FdbEntryRef | null;
/** rhashtable_lookup_insert_fast(): insert unless the key is present (0, or -EEXIST / -ENOMEM); publishes the entry. */
export declare function rhashtableLookupInsertFast(ht: Rhashtable, fdb: FdbEntryRef): number;
/** rhashtable_remove_fast(): unlink the entry from its bucket (rcu_assign_pointer of its predecessor). */
export declare function rhashtableRemoveFast(ht: Rhashtable, fdb: FdbEntryRef): number;

/** jiffies, time_after(), time_before_eq(), msecs_to_jiffies(). */
export declare function jiffies(): number;
export declare function timeAfter(a: number, b: number): boolean;
export declare function timeBeforeEq(a: number, b: number): boolean;
export declare function msecsToJiffies(m: number): number;
/** mod_delayed_work(system_long_wq, &br->gc_work, delay). */
export declare function modDelayedWorkGc(br: NetBridgeRef, delay: number): void;

/** trace_fdb_delete() / trace_br_fdb_update(). */
export declare function traceFdbDelete(br: NetBridgeRef, f: FdbEntryRef): void;
export declare function traceBrFdbUpdate(
  br: NetBridgeRef,
  source: NetBridgePortRef | null,
  addr: ArrayLike<number>,
  vid: number,
  flags: number,
): void;
/** fdb_notify() (br_fdb.c, netlink and switchdev): reads the entry, under hash_lock or rcu_read_lock(). */
export declare function fdbNotify(br: NetBridgeRef, fdb: FdbEntryRef, type: number, swdevNotify: boolean): void;
/** br_switchdev_fdb_notify(). */
export declare function brSwitchdevFdbNotify(br: NetBridgeRef, fdb: FdbEntryRef, type: number): void;
/** fdb_add_hw_addr() / fdb_del_hw_addr() (br_fdb.c, under RTNL). */
export declare function fdbAddHwAddr(br: NetBridgeRef, addr: ArrayLike<number>): void;
export declare function fdbDelHwAddr(br: NetBridgeRef, addr: ArrayLike<number>): void;
/** list_for_each_entry(p, &br->port_list, list), under RTNL. */
export declare function brPortList(br: NetBridgeRef): Iterable<NetBridgePortRef>;
/** br_port_get_rcu(dev): rcu_dereference(dev->rx_handler_data). */
export declare function brPortGetRcu(dev: number): NetBridgePortRef | null;
/** op->dev->dev_addr / br->dev->dev_addr. */
export declare function portDevAddr(p: NetBridgePortRef): ArrayLike<number>;
export declare function brDevAddr(br: NetBridgeRef): ArrayLike<number>;
/** ether_addr_equal(). */
export declare function etherAddrEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean;
/** struct net_bridge_vlan_group / struct net_bridge_vlan and their lookups. */
export interface NetBridgeVlanGroup {
  readonly numVlans: number;
}
export interface NetBridgeVlan {
  readonly vid: number;
}
export declare function nbpVlanGroup(p: NetBridgePortRef): NetBridgeVlanGroup | null;
export declare function brVlanGroup(br: NetBridgeRef): NetBridgeVlanGroup | null;
export declare function brVlanFind(vg: NetBridgeVlanGroup | null, vid: number): NetBridgeVlan | null;
export declare function brVlanShouldUse(v: NetBridgeVlan): boolean;
/** list_for_each_entry(v, &vg->vlan_list, vlist), under RTNL. */
export declare function brVlanList(vg: NetBridgeVlanGroup): Iterable<NetBridgeVlan>;
/** net_ratelimit() / br_warn(). */
export declare function netRatelimit(): boolean;
export declare function brWarn(br: NetBridgeRef, message: string): void;

/** struct ndmsg: the neighbour message header of RTM_NEWNEIGH, reduced to what br_fdb_add() reads. */
export interface Ndmsg {
  readonly ndmState: number;
  readonly ndmFlags: number;
}
/** The netlink attributes of the request (tb[]), reduced: NDA_FLAGS_EXT and NDA_FDB_EXT_ATTRS. */
export interface NdaAttrs {
  readonly flagsExt?: number;
  readonly fdbExtAttrs?: unknown;
}
/** The nested NFEA_* attributes after nla_parse_nested() (nfea_tb[]). */
export type NfeaAttrs = readonly unknown[];
/** The `bool *notified` out-parameter of ndo_fdb_add. */
export interface Notified {
  value: boolean;
}
export const NUD_REACHABLE = 0x02;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;
export const NTF_USE = 1 << 3;
export const NTF_EXT_LEARNED = 1 << 4;
export const NTF_EXT_LOCKED = 1 << 1;
/** trace_br_fdb_add(). */
export declare function traceBrFdbAdd(ndm: Ndmsg, dev: number, addr: ArrayLike<number>, vid: number, nlhFlags: number): void;
/** pr_info() / NL_SET_ERR_MSG_MOD(). */
export declare function prInfo(message: string): void;
export declare function nlSetErrMsgMod(message: string): void;
/** is_zero_ether_addr(). */
export declare function isZeroEtherAddr(addr: ArrayLike<number>): boolean;
/** netif_is_bridge_master(dev) / netdev_priv(dev) of a bridge device. */
export declare function netifIsBridgeMaster(dev: number): boolean;
export declare function netdevPrivBridge(dev: number): NetBridgeRef;
/** br_port_get_rtnl(dev): the port under RTNL, which keeps it (and its bridge) alive. */
export declare function brPortGetRtnl(dev: number): NetBridgePortRef | null;
/** p->br under RTNL. */
export declare function portBridgeRtnl(p: NetBridgePortRef): NetBridgeRef;
/** nla_parse_nested(nfea_tb, NFEA_MAX, attr, br_nda_fdb_pol, extack): 0 or a negative errno. */
export declare function nlaParseNestedNfea(attr: unknown, out: unknown[]): number;
/** nbp_state_should_learn(p): the port is learning or forwarding. */
export declare function nbpStateShouldLearn(p: NetBridgePortRef): boolean;
/** local_bh_disable() / local_bh_enable(). */
export declare function localBhDisable(): void;
export declare function localBhEnable(): void;
/**
 * fdb_add_entry() (br_fdb.c, not translated): create or update a static or permanent entry.
 * It looks the entry up with br_fdb_find(), which says lockdep_assert_held_once(&br->hash_lock).
 * @mustHold br.hashLock
 */
export declare function fdbAddEntry(
  br: NetBridgeRef,
  source: NetBridgePortRef | null,
  addr: ArrayLike<number>,
  ndm: Ndmsg,
  flags: number,
  vid: number,
  nfeaTb: NfeaAttrs,
): number;
/** br_fdb_external_learn_add() (br_fdb.c, not translated): takes br->hash_lock itself. */
export declare function brFdbExternalLearnAdd(
  br: NetBridgeRef,
  p: NetBridgePortRef | null,
  addr: ArrayLike<number>,
  vid: number,
  locked: boolean,
  swdevNotify: boolean,
): number;

/** br_fdb_cache, for the declaration of its type; br_fdb.c owns the variable. */
export type BrFdbCache = KmemCache<typeof FdbEntry>;
