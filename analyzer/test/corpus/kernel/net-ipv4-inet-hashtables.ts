/**
 * @fileoverview Translation of Linux net/ipv4/inet_hashtables.c: the lockless socket lookups
 * over hlist_nulls chains of SLAB_TYPESAFE_BY_RCU sockets (take a reference, match again,
 * restart when the chain's end marker names another bucket), and the writers that publish and
 * unlink sockets under the bucket locks.
 *
 * Source read: net/ipv4/inet_hashtables.c at torvalds/linux commit
 * 6e64e22449023dc89dfb92c6f19d4c5b03f46889 (Linux 4.0 era; later kernels keep the same lookup
 * with more parameters).
 * Functions: compute_score, __inet_lookup_listener, sock_gen_put, __inet_lookup_established,
 * __inet_check_established, __inet_hash_nolisten, inet_unhash; with the include/net/sock.h
 * helpers they use (sock_put, sk_unhashed, __sk_nulls_add_node_rcu,
 * __sk_nulls_del_node_init_rcu) and the INET_MATCH macro (include/net/inet_hashtables.h, its
 * 32-bit form without the address-pair cookie).
 */

import {
  getNullsValue,
  hlistNullsAddHeadRcu,
  hlistNullsDelInitRcu,
  hlistNullsFirstRcu,
  hlistNullsNextRcu,
  hlistNullsUnhashed,
  isANulls,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountIncNotZero,
  spinLock,
  spinUnlock,
} from '@rcukit/runtime';
import { EADDRNOTAVAIL, warnOn } from '../lib/kernel.js';
import {
  LISTENING_NULLS_BASE,
  PF_INET,
  TCP_LISTEN,
  TCP_NEW_SYN_RECV,
  TCP_TIME_WAIT,
  htons,
  inetEhashBucket,
  inetEhashLockp,
  inetEhashfn,
  inetLhashfn,
  inetTwskDeschedule,
  inetTwskFree,
  inetTwskPut,
  inetTwskUnhash,
  listenHead,
  netHeap,
  nextPseudoRandom32,
  reciprocalScale,
  reqskFree,
  skEhashfn,
  skFree,
  skHashinfo,
  skNullsEntry,
  sockProtInuseAdd,
  twskUnique,
  type InetHashinfo,
  type InetTimewaitDeathRow,
  type SockRef,
} from '../lib/net.js';

/** INET_COMBINED_PORTS(sport, hnum): the (remote, local) port pair as one word. */
function inetCombinedPorts(sport: number, hnum: number): number {
  return ((hnum << 16) | sport) >>> 0;
}

/** INET_MATCH (include/net/inet_hashtables.h, 32-bit form): does `sk` carry this 4-tuple? */
function inetMatch(sk: SockRef, net: number, saddr: number, daddr: number, ports: number, dif: number): boolean {
  return (
    inetCombinedPorts(sk.inetDport, sk.inetNum) === ports &&
    sk.inetDaddr === saddr &&
    sk.inetRcvSaddr === daddr &&
    (!sk.skBoundDevIf || sk.skBoundDevIf === dif) &&
    sk.skNet === net
  );
}

/** sock_put (include/net/sock.h): drop a reference; the last one frees the socket. */
function sockPut(sk: SockRef): void {
  if (refcountDecAndTest(sk.skRefcnt)) skFree(sk);
}

/** sk_unhashed (include/net/sock.h). */
function skUnhashed(sk: SockRef): boolean {
  return hlistNullsUnhashed(netHeap, sk.skNullsNode);
}

/** __sk_nulls_add_node_rcu (include/net/sock.h): publish at the head of a chain (chain lock held). */
function __skNullsAddNodeRcu(sk: SockRef, list: number): void {
  hlistNullsAddHeadRcu(netHeap, sk.skNullsNode, list);
}

/** __sk_nulls_del_node_init_rcu (include/net/sock.h): unlink if hashed (chain lock held). */
function __skNullsDelNodeInitRcu(sk: SockRef): boolean {
  if (!skUnhashed(sk)) {
    hlistNullsDelInitRcu(netHeap, sk.skNullsNode);
    return true;
  }
  return false;
}

/** compute_score (net/ipv4/inet_hashtables.c): how well a listener matches; -1 for not at all. */
function computeScore(sk: SockRef, net: number, hnum: number, daddr: number, dif: number): number {
  let score = -1;

  if (sk.skNet === net && sk.inetNum === hnum && !sk.ipv6Only) {
    const rcvSaddr = sk.inetRcvSaddr;
    score = sk.skFamily === PF_INET ? 2 : 1;
    if (rcvSaddr) {
      if (rcvSaddr !== daddr) return -1;
      score += 4;
    }
    if (sk.skBoundDevIf) {
      if (sk.skBoundDevIf !== dif) return -1;
      score += 4;
    }
  }
  return score;
}

/**
 * __inet_lookup_listener (net/ipv4/inet_hashtables.c): the best-scoring listener, referenced.
 * After the reference it scores the candidate again: a reused socket scores lower.
 */
export function __inetLookupListener(
  net: number,
  hashinfo: InetHashinfo,
  saddr: number,
  sport: number,
  daddr: number,
  hnum: number,
  dif: number,
): SockRef | null {
  let result: SockRef | null;
  const hash = inetLhashfn(net, hnum);
  const ilb = hashinfo.listeningHash[hash]!;
  let score: number;
  let hiscore: number;
  let matches = 0;
  let reuseport = 0;
  let phash = 0;

  rcuReadLock();
  begin: for (;;) {
    result = null;
    hiscore = 0;
    let node: number;
    for (node = hlistNullsFirstRcu(netHeap, listenHead(ilb)); !isANulls(node); node = hlistNullsNextRcu(netHeap, node)) {
      const sk = skNullsEntry(node);
      score = computeScore(sk, net, hnum, daddr, dif);
      if (score > hiscore) {
        result = sk;
        hiscore = score;
        reuseport = sk.skReuseport;
        if (reuseport) {
          phash = inetEhashfn(net, daddr, hnum, saddr, sport);
          matches = 1;
        }
      } else if (score === hiscore && reuseport) {
        matches++;
        if (reciprocalScale(phash, matches) === 0) result = sk;
        phash = nextPseudoRandom32(phash);
      }
    }
    // If the nulls value we got at the end of this lookup is not the expected one, we must
    // restart lookup: we probably met an item that was moved to another chain.
    if (getNullsValue(node) !== hash + LISTENING_NULLS_BASE) continue begin;
    if (result) {
      if (!refcountIncNotZero(result.skRefcnt)) result = null;
      else if (computeScore(result, net, hnum, daddr, dif) < hiscore) {
        sockPut(result);
        continue begin;
      }
    }
    break;
  }
  rcuReadUnlock();
  return result;
}

/** sock_gen_put (net/ipv4/inet_hashtables.c): all sockets share a refcount, not a destructor. */
export function sockGenPut(sk: SockRef): void {
  if (!refcountDecAndTest(sk.skRefcnt)) return;

  if (sk.skState === TCP_TIME_WAIT) inetTwskFree(sk);
  else if (sk.skState === TCP_NEW_SYN_RECV) reqskFree(sk);
  else skFree(sk);
}

/** __inet_lookup_established (net/ipv4/inet_hashtables.c): the socket of a 4-tuple, referenced. */
export function __inetLookupEstablished(
  net: number,
  hashinfo: InetHashinfo,
  saddr: number,
  sport: number,
  daddr: number,
  hnum: number,
  dif: number,
): SockRef | null {
  const ports = inetCombinedPorts(sport, hnum);
  let sk: SockRef | null;
  // Optimize here for direct hit, only listening connections can have wildcards anyways.
  const hash = inetEhashfn(net, daddr, hnum, saddr, sport);
  const slot = hash & hashinfo.ehashMask;
  const head = inetEhashBucket(hashinfo, slot);

  rcuReadLock();
  found: {
    out: {
      begin: for (;;) {
        let node: number;
        for (node = hlistNullsFirstRcu(netHeap, head); !isANulls(node); node = hlistNullsNextRcu(netHeap, node)) {
          sk = skNullsEntry(node);
          if (sk.skHash !== hash) continue;
          if (inetMatch(sk, net, saddr, daddr, ports, dif)) {
            if (!refcountIncNotZero(sk.skRefcnt)) break out;
            if (!inetMatch(sk, net, saddr, daddr, ports, dif)) {
              sockGenPut(sk);
              continue begin;
            }
            break found;
          }
        }
        // If the nulls value we got at the end of this lookup is not the expected one, we must
        // restart lookup: we probably met an item that was moved to another chain.
        if (getNullsValue(node) !== slot) continue begin;
        break out;
      }
    }
    // out:
    sk = null;
  }
  // found:
  rcuReadUnlock();
  return sk;
}

/**
 * __inet_check_established (net/ipv4/inet_hashtables.c): under the bucket lock, make sure the
 * 4-tuple is unique (recycling a time-wait socket if allowed), then hash `sk`.
 * "called with local bh disabled"
 */
function __inetCheckEstablished(deathRow: InetTimewaitDeathRow, sk: SockRef, lport: number, twp: { value: SockRef | null } | null): number {
  const hinfo = deathRow.hashinfo;
  const daddr = sk.inetRcvSaddr;
  const saddr = sk.inetDaddr;
  const dif = sk.skBoundDevIf;
  const ports = inetCombinedPorts(sk.inetDport, lport);
  const net = sk.skNet;
  const hash = inetEhashfn(net, daddr, lport, saddr, sk.inetDport);
  const head = inetEhashBucket(hinfo, hash);
  const lock = inetEhashLockp(hinfo, hash).lock;
  let tw: SockRef | null = null;
  let twrefcnt = 0;

  spinLock(lock);

  notUnique: {
    for (let node = hlistNullsFirstRcu(netHeap, head); !isANulls(node); node = hlistNullsNextRcu(netHeap, node)) {
      const sk2 = skNullsEntry(node); // sk_nulls_for_each: the chain lock is held
      if (sk2.skHash !== hash) continue;

      if (inetMatch(sk2, net, saddr, daddr, ports, dif)) {
        if (sk2.skState === TCP_TIME_WAIT) {
          tw = sk2; // inet_twsk(sk2)
          if (twskUnique(sk, sk2, twp)) break;
        }
        break notUnique;
      }
    }

    // Must record num and sport now. Otherwise we will see in hash table socket with a funny
    // identity.
    sk.inetNum = lport;
    sk.inetSport = htons(lport);
    sk.skHash = hash;
    warnOn(!skUnhashed(sk));
    __skNullsAddNodeRcu(sk, head);
    if (tw) twrefcnt = inetTwskUnhash(tw);
    spinUnlock(lock);
    if (twrefcnt) inetTwskPut(tw!);
    sockProtInuseAdd(sk.skNet, 1);

    if (twp) {
      twp.value = tw;
    } else if (tw) {
      // Silly. Should hash-dance instead...
      inetTwskDeschedule(tw);

      inetTwskPut(tw);
    }
    return 0;
  }
  // not_unique:
  spinUnlock(lock);
  return -EADDRNOTAVAIL;
}

/** __inet_hash_nolisten (net/ipv4/inet_hashtables.c): hash a non-listening socket, taking over a time-wait one. */
export function __inetHashNolisten(sk: SockRef, tw: SockRef | null): number {
  const hashinfo = skHashinfo(sk);
  let twrefcnt = 0;

  warnOn(!skUnhashed(sk));

  sk.skHash = skEhashfn(sk);
  const list = inetEhashBucket(hashinfo, sk.skHash);
  const lock = inetEhashLockp(hashinfo, sk.skHash).lock;

  spinLock(lock);
  __skNullsAddNodeRcu(sk, list);
  if (tw) {
    warnOn(sk.skHash !== tw.skHash);
    twrefcnt = inetTwskUnhash(tw);
  }
  spinUnlock(lock);
  sockProtInuseAdd(sk.skNet, 1);
  return twrefcnt;
}

/** inet_unhash (net/ipv4/inet_hashtables.c): unlink a socket under its chain's lock. */
export function inetUnhash(sk: SockRef): void {
  const hashinfo = skHashinfo(sk);

  if (skUnhashed(sk)) return;

  const lock = sk.skState === TCP_LISTEN ? hashinfo.listeningHash[inetLhashfn(sk.skNet, sk.inetNum)]!.lock : inetEhashLockp(hashinfo, sk.skHash).lock;

  spinLock(lock); // spin_lock_bh
  const done = __skNullsDelNodeInitRcu(sk);
  if (done) sockProtInuseAdd(sk.skNet, -1);
  spinUnlock(lock);
}
