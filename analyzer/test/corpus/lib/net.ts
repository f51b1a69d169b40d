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
/** htons(). */
export declare function htons(port: number): number;
