/**
 * @fileoverview The connection-tracking structures of the kernel corpus
 * (include/net/netfilter/nf_conntrack.h, nf_conntrack_tuple.h), declared with the runtime's
 * struct API.
 *
 * struct nf_conn lives in nf_conntrack_cachep, created with SLAB_TYPESAFE_BY_RCU: a lookup
 * may find an entry that was freed and reused for another flow, so it takes a reference with
 * atomic_inc_not_zero() and compares the tuple again.
 *
 * An nf_conn is on two hash chains at once, through tuplehash[IP_CT_DIR_ORIGINAL].hnnode and
 * tuplehash[IP_CT_DIR_REPLY].hnnode. The kernel's `struct nf_conntrack_tuple_hash *h` points at
 * one of the two; here `h` is the byte address of that hnnode, and the tuple's direction
 * (h->tuple.dst.dir) is the word laid out just before it, which is how
 * nf_ct_tuplehash_to_ctrack() (container_of with the right member) finds the nf_conn.
 *
 * A tuple (src address, dst address, ports, l3num/protonum) is four u32 words.
 */

import { defineStruct, fieldIndex, objectAt, offsetOf, type Heap, type StructRef } from '@rcukit/runtime';

/** struct nf_conn, reduced. */
export const NfConn = defineStruct(
  'nf_conn',
  {
    /** ct_general.use: zero for a free entry and until the entry is inserted. */
    ctGeneralUse: 'refcount',
    lock: 'spinlock',
    status: 'u32',
    timeout: 'u32',
    /** ct_net, by number. */
    ctNet: 'i32',
    zoneId: 'u16',
    /** tuplehash[IP_CT_DIR_ORIGINAL]: tuple, direction (0), hash node. */
    tuple0: { array: 'u32', length: 4 },
    dir0: 'u32',
    hnnode0: 'hlistNulls',
    /** tuplehash[IP_CT_DIR_REPLY]: tuple, direction (1), hash node. */
    tuple1: { array: 'u32', length: 4 },
    dir1: 'u32',
    hnnode1: 'hlistNulls',
  },
  { typesafeByRcu: true },
);
export type NfConnRef = StructRef<typeof NfConn>;

/** The lock objects of nf_conntrack_locks[CONNTRACK_LOCKS]. */
export const NfConntrackLock = defineStruct('nf_conntrack_lock', { lock: 'spinlock' });
export type NfConntrackLockRef = StructRef<typeof NfConntrackLock>;

/** struct nf_conntrack_tuple: four words (src.u3, dst.u3, src.u.all << 16 | dst.u.all, l3num << 8 | protonum). */
export type NfConntrackTuple = ArrayLike<number>;

export const IP_CT_DIR_ORIGINAL = 0;
export const IP_CT_DIR_REPLY = 1;

/** enum ip_conntrack_status bits. */
export const IPS_ASSURED_BIT = 2;
export const IPS_CONFIRMED_BIT = 3;
export const IPS_DYING_BIT = 9;
export const IPS_OFFLOAD_BIT = 14;

/** The heap the conntrack table and entries live in. */
export declare const nfHeap: Heap;

/** nf_ct_tuplehash_to_ctrack(h): container_of(h, struct nf_conn, tuplehash[h->tuple.dst.dir]). */
export function nfCtTuplehashToCtrack(h: number): NfConnRef {
  const dir = Atomics.load(nfHeap.views.i32, (h - 4) >> 2);
  return objectAt(NfConn, nfHeap, h - offsetOf(NfConn, dir === IP_CT_DIR_ORIGINAL ? 'hnnode0' : 'hnnode1'));
}

/** NF_CT_DIRECTION(h): h->tuple.dst.dir. */
export function nfCtDirection(h: number): number {
  return Atomics.load(nfHeap.views.i32, (h - 4) >> 2);
}

/** nf_ct_tuple_equal(): the same flow in the same direction. */
export function nfCtTupleEqual(t1: NfConntrackTuple, t2: NfConntrackTuple): boolean {
  return t1[0] === t2[0] && t1[1] === t2[1] && t1[2] === t2[2] && t1[3] === t2[3];
}

/** test_and_set_bit(nr, &ct->status): one atomic read-modify-write of the status word. */
export function testAndSetStatusBit(ct: NfConnRef, nr: number): boolean {
  const bit = 1 << nr;
  return (Atomics.or(nfHeap.views.i32, fieldIndex(ct, 'status'), bit) & bit) !== 0;
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** nfct_time_stamp: (u32)jiffies. */
export declare function nfctTimeStamp(): number;
/** nf_conntrack_destroy(): the destructor run by the last nf_ct_put(). */
export declare function nfConntrackDestroy(ct: NfConnRef): void;
/** The per-namespace entry count (nf_conntrack_net->count): atomic_inc_return / atomic_dec / atomic_read. */
export declare function cnetCountIncReturn(net: number): number;
export declare function cnetCountDec(net: number): void;
export declare function cnetCountRead(net: number): number;
/** NF_CT_STAT_INC / NF_CT_STAT_INC_ATOMIC / NF_CT_STAT_ADD_ATOMIC. */
export declare function nfCtStatInc(net: number, what: string, n?: number): void;
/** nf_ct_ext_destroy(), nf_ct_zone_add(), nf_ct_helper_destroy(), nf_ct_remove_expectations(). */
export declare function nfCtExtDestroy(ct: NfConnRef): void;
export declare function nfCtRemoveExpectations(ct: NfConnRef): void;
export declare function nfCtHelperDestroy(ct: NfConnRef): void;
/** nf_ct_add_to_dying_list(): a per-cpu list under its own lock. */
export declare function nfCtAddToDyingList(ct: NfConnRef): void;
/** nf_conntrack_event_report(IPCT_DESTROY, ...): < 0 when the event could not be delivered. */
export declare function nfConntrackEventReportDestroy(ct: NfConnRef, portid: number, report: number): number;
/** nf_conntrack_ecache_work() / nf_conntrack_ecache_dwork_pending(). */
export declare function nfConntrackEcacheWork(net: number, state: number): void;
export declare function nfConntrackEcacheDworkPending(net: number): boolean;
/** hash_conntrack() / hash_conntrack_raw() / __hash_conntrack(). */
export declare function hashConntrack(net: number, tuple: NfConntrackTuple): number;
export declare function hashConntrackRaw(tuple: NfConntrackTuple, net: number): number;
export declare function __hashConntrack(net: number, tuple: NfConntrackTuple, size: number): number;
/** reciprocal_scale(). */
export declare function reciprocalScale(val: number, epRo: number): number;
/** nf_ct_offload_timeout(), gc_worker_can_early_drop(). */
export declare function nfCtOffloadTimeout(ct: NfConnRef): void;
export declare function gcWorkerCanEarlyDrop(ct: NfConnRef): boolean;
/** cond_resched(), time_after(jiffies, end). */
export declare function condResched(): void;
export declare function timeIsAfter(end: number): boolean;
/** net_warn_ratelimited(). */
export declare function netWarnRatelimited(message: string): void;
