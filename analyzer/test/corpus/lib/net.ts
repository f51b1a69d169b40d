/**
 * @fileoverview The socket-lookup structures of the kernel corpus (include/net/sock.h,
 * include/net/inet_hashtables.h, include/net/inet_sock.h), declared with the runtime's struct
 * API.
 *
 * TCP sockets (and their time-wait minisockets, which share the established hash) come from
 * caches created with `.slab_flags = SLAB_TYPESAFE_BY_RCU` (tcp_prot): a lockless lookup may
 * find a socket that was freed and reused for another connection, and even moved to another
 * hash chain, which is why the chains are hlist_nulls lists ending in the bucket's number.
 *
 * The hash tables themselves are arrays of hlist_nulls heads: an array of words in the heap
 * (`ehash`, a heap root in the kernel's place of a vmalloc'ed array), one word per bucket.
 * The per-bucket locks are an array of small lock objects, as `ehash_locks` is an array of
 * spinlock_t.
 */

import { addressOf, defineStruct, offsetOf, type Heap, type StructRef } from '@rcukit/runtime';
import { hlistNullsEntry } from './kernel.js';

/** struct sock (with the inet_sock fields the lookups compare), reduced. */
export const Sock = defineStruct(
  'sock',
  {
    skRefcnt: 'refcount',
    skHash: 'u32',
    skState: 'i32',
    /** sk_nulls_node: the socket's link in an established or listening chain. */
    skNullsNode: 'hlistNulls',
    /** sock_net(sk): the network namespace, by number. */
    skNet: 'i32',
    skBoundDevIf: 'i32',
    skReuseport: 'u8',
    skFamily: 'u16',
    ipv6Only: 'u8',
    /** inet_sock: remote address/port, bound local address, local port. */
    inetDaddr: 'u32',
    inetRcvSaddr: 'u32',
    inetDport: 'u16',
    inetNum: 'u16',
    inetSport: 'u16',
    /** sk_reuse (SO_REUSEADDR). */
    skReuse: 'u8',
    /** sk_err, and inet_sock's recverr / pmtudisc (the ICMP error path). */
    skErr: 'i32',
    inetRecverr: 'u8',
    inetPmtudisc: 'u8',
    /** udp_sock: udp_port_hash (the local port), udp_portaddr_hash, udp_portaddr_node (hash2 link). */
    udpPortHash: 'u16',
    udpPortaddrHash: 'u32',
    udpPortaddrNode: 'hlistNulls',
  },
  { typesafeByRcu: true },
);
export type SockRef = StructRef<typeof Sock>;

/** spinlock_t of ehash_locks[]. */
export const EhashLock = defineStruct('inet_ehash_lock', { lock: 'spinlock' });
export type EhashLockRef = StructRef<typeof EhashLock>;

/** struct inet_listen_hashbucket. */
export const ListenBucket = defineStruct('inet_listen_hashbucket', { lock: 'spinlock', head: 'i32' });
export type ListenBucketRef = StructRef<typeof ListenBucket>;

/** struct inet_hashinfo: where the tables are (a worker's view of shared state). */
export interface InetHashinfo {
  /** Byte address of ehash[0]'s chain head; bucket i's head is 4 * i further. */
  readonly ehash: number;
  readonly ehashMask: number;
  readonly ehashLocks: readonly EhashLockRef[];
  readonly ehashLocksMask: number;
  /** listening_hash[INET_LHTABLE_SIZE]. */
  readonly listeningHash: readonly ListenBucketRef[];
}

/** struct inet_timewait_death_row, reduced. */
export interface InetTimewaitDeathRow {
  readonly hashinfo: InetHashinfo;
}

export const TCP_ESTABLISHED = 1;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;
export const TCP_NEW_SYN_RECV = 12;
export const PF_INET = 2;
/** LISTENING_NULLS_BASE: listening chains end in markers 1 << 29 + bucket, apart from ehash's. */
export const LISTENING_NULLS_BASE = 1 << 29;
export const INET_LHTABLE_SIZE = 32;

/** The heap the tables and sockets live in. */
export declare const netHeap: Heap;

/** sk_nulls_for_each_rcu's entry: the socket whose sk_nulls_node is at `node`. */
export function skNullsEntry(node: number): SockRef {
  return hlistNullsEntry(Sock, netHeap, node, 'skNullsNode');
}

/** &hashinfo->ehash[slot].chain. */
export function inetEhashBucket(hashinfo: InetHashinfo, hash: number): number {
  return hashinfo.ehash + 4 * (hash & hashinfo.ehashMask);
}

/** inet_ehash_lockp(). */
export function inetEhashLockp(hashinfo: InetHashinfo, hash: number): EhashLockRef {
  return hashinfo.ehashLocks[hash & hashinfo.ehashLocksMask]!;
}

/** struct udp_hslot: a UDP hash slot, its hlist_nulls head, socket count and lock. */
export const UdpHslot = defineStruct('udp_hslot', { head: 'i32', count: 'i32', lock: 'spinlock' });
export type UdpHslotRef = StructRef<typeof UdpHslot>;

/** struct udp_table: the primary (port) and secondary (address, port) hashes. */
export interface UdpTable {
  readonly hash: readonly UdpHslotRef[];
  readonly hash2: readonly UdpHslotRef[];
  readonly mask: number;
  readonly log: number;
}

/** &hslot->head: the chain head word inside a UDP hash slot. */
export function udpHslotHead(hslot: UdpHslotRef): number {
  return addressOf(hslot) + offsetOf(UdpHslot, 'head');
}

/** udp_portaddr_for_each_entry_rcu's entry: the socket whose udp_portaddr_node is at `node`. */
export function udpPortaddrEntry(node: number): SockRef {
  return hlistNullsEntry(Sock, netHeap, node, 'udpPortaddrNode');
}

/** &ilb->head: the chain head word inside a listening bucket. */
export function listenHead(ilb: ListenBucketRef): number {
  return addressOf(ilb) + offsetOf(ListenBucket, 'head');
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** inet_ehashfn(): the established-hash of a 4-tuple in a namespace. */
export declare function inetEhashfn(net: number, laddr: number, lport: number, faddr: number, fport: number): number;
/** inet_lhashfn(). */
export declare function inetLhashfn(net: number, hnum: number): number;
/** sk->sk_prot->h.hashinfo. */
export declare function skHashinfo(sk: SockRef): InetHashinfo;
/** sk_ehashfn(). */
export declare function skEhashfn(sk: SockRef): number;
/** sk_free() / inet_twsk_free() / reqsk_free(): free a socket whose last reference is gone. */
export declare function skFree(sk: SockRef): void;
export declare function inetTwskFree(tw: SockRef): void;
export declare function reqskFree(req: SockRef): void;
/** twsk_unique(): may the time-wait socket be recycled for `sk` (tcp_twsk_unique)? */
export declare function twskUnique(sk: SockRef, sktw: SockRef, twp: { value: SockRef | null } | null): boolean;
/** inet_twsk_unhash(): unhash a time-wait socket under the bucket lock; 1 if the caller now owns the table's reference. */
export declare function inetTwskUnhash(tw: SockRef): number;
/** inet_twsk_put() / inet_twsk_deschedule(). */
export declare function inetTwskPut(tw: SockRef): void;
export declare function inetTwskDeschedule(tw: SockRef): void;
/** sock_prot_inuse_add(). */
export declare function sockProtInuseAdd(net: number, val: number): void;
/** reciprocal_scale() / next_pseudo_random32(). */
export declare function reciprocalScale(val: number, epRo: number): number;
export declare function nextPseudoRandom32(seed: number): number;
/** udp_hashfn(): the primary UDP hash of a port in a namespace. */
export declare function udpHashfn(net: number, num: number, mask: number): number;
/** jhash_1word(addr, net_hash_mix(net)). */
export declare function jhashNetAddr(net: number, addr: number): number;
/** inet_get_local_port_range(), net_random(), inet_is_reserved_local_port(). */
export declare function inetGetLocalPortRange(): { low: number; high: number };
export declare function netRandom(): number;
export declare function inetIsReservedLocalPort(port: number): boolean;
/** udp_lib_lport_inuse(): is the port used in the primary chain (chain lock held)? Fills `bitmap` when given. */
export declare function udpLibLportInuse(
  net: number,
  num: number,
  hslot: UdpHslotRef,
  bitmap: Uint32Array | null,
  sk: SockRef,
  saddrComp: (sk1: SockRef, sk2: SockRef) => boolean,
  log: number,
): boolean;
/** sock_i_uid(). */
export declare function sockIUid(sk: SockRef): number;
/** The socket's protocol's UDP table (sk->sk_prot->h.udp_table). */
export declare function skUdpTable(sk: SockRef): UdpTable;
/** ipv4_sk_update_pmtu(), ipv4_sk_redirect(), ip_icmp_error(), sk->sk_error_report(): the ICMP error plumbing. */
export declare function ipv4SkUpdatePmtu(sk: SockRef, info: number): void;
export declare function ipv4SkRedirect(sk: SockRef): void;
export declare function ipIcmpError(sk: SockRef, err: number, port: number, info: number): void;
export declare function skErrorReport(sk: SockRef): void;
/** icmp_err_convert[code]: the errno of an ICMP unreachable code, and whether it is fatal. */
export declare function icmpErrConvert(code: number): { errno: number; fatal: number };
/** ICMP_INC_STATS_BH(net, ICMP_MIB_INERRORS). */
export declare function icmpIncInerrors(net: number): void;
/** htons(). */
export declare function htons(port: number): number;
