/**
 * @fileoverview Translation of the UDP socket lookups of Linux net/ipv4/udp.c from the time UDP
 * sockets came from a SLAB_DESTROY_BY_RCU cache (udp_prot's .slab_flags) without SOCK_RCU_FREE:
 * a lockless walk of an hlist_nulls chain scores every socket, takes a reference on the best
 * one, scores it again (a freed and reused socket scores lower) and restarts when the chain's
 * end marker names another slot; and the writer that hashes a socket into both chains under
 * the slot locks.
 *
 * Source read: net/ipv4/udp.c at AndreiLux/ref-3.10 commit
 * 147ee33213f0521a83d546a8f18172ab06171381 (Linux 3.10).
 * Functions: udp_lib_lport_inuse2, udp_lib_get_port, ipv4_rcv_saddr_equal, udp4_portaddr_hash,
 * udp_v4_get_port, compute_score, compute_score2, udp4_lib_lookup2, __udp4_lib_lookup,
 * udp4_lib_lookup, __udp4_lib_err; with sock_put, sk_unhashed and sk_nulls_add_node_rcu
 * (include/net/sock.h), udp_hashslot / udp_hashslot2 (include/net/udp.h).
 *
 * atomic_inc_not_zero_hint(&sk->sk_refcnt, 2) is refcountIncNotZero() (the hint only seeds the
 * compare-and-swap). `(u64)hash * matches >> 32` is reciprocalScale(). spin_lock_bh is
 * spinLock(). The DECLARE_BITMAP of the automatic port search is a Uint32Array.
 */

import {
  getNullsValue,
  hlistNullsAddHeadRcu,
  hlistNullsFirstRcu,
  hlistNullsNextRcu,
  hlistNullsUnhashed,
  isANulls,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountInc,
  refcountIncNotZero,
  spinLock,
  spinUnlock,
} from '@rcukit/runtime';
import {
  PF_INET,
  TCP_ESTABLISHED,
  htons,
  icmpErrConvert,
  icmpIncInerrors,
  inetEhashfn,
  inetGetLocalPortRange,
  inetIsReservedLocalPort,
  ipIcmpError,
  ipv4SkRedirect,
  ipv4SkUpdatePmtu,
  jhashNetAddr,
  netHeap,
  netRandom,
  nextPseudoRandom32,
  reciprocalScale,
  skErrorReport,
  skFree,
  skNullsEntry,
  skUdpTable,
  sockIUid,
  sockProtInuseAdd,
  udpHashfn,
  udpHslotHead,
  udpLibLportInuse,
  udpPortaddrEntry,
  type SockRef,
  type UdpHslotRef,
  type UdpTable,
} from '../lib/net.js';

/** PORTS_PER_CHAIN (MAX_UDP_PORTS / UDP_HTABLE_SIZE_MIN), INADDR_ANY. */
const PORTS_PER_CHAIN = 65536 / 256;
const INADDR_ANY = 0;
/** The ICMP types and codes __udp4_lib_err() handles. */
const ICMP_DEST_UNREACH = 3;
const ICMP_SOURCE_QUENCH = 4;
const ICMP_REDIRECT = 5;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_PARAMETERPROB = 12;
const ICMP_FRAG_NEEDED = 4;
const NR_ICMP_UNREACH = 15;
const IP_PMTUDISC_DONT = 0;
const EHOSTUNREACH = 113;
const EPROTO = 71;
const EMSGSIZE = 90;

/** sock_put (include/net/sock.h). */
function sockPut(sk: SockRef): void {
  if (refcountDecAndTest(sk.skRefcnt)) skFree(sk);
}

/** sk_unhashed (include/net/sock.h). */
function skUnhashed(sk: SockRef): boolean {
  return hlistNullsUnhashed(netHeap, sk.skNullsNode);
}

/** sock_hold (include/net/sock.h): a reference on a socket the caller already references. */
function sockHold(sk: SockRef): void {
  refcountInc(sk.skRefcnt);
}

/** sk_nulls_add_node_rcu (include/net/sock.h): the chain's reference, then publish at its head. */
function skNullsAddNodeRcu(sk: SockRef, list: number): void {
  sockHold(sk);
  hlistNullsAddHeadRcu(netHeap, sk.skNullsNode, list);
}

/** udp_hashslot (include/net/udp.h). */
function udpHashslot(table: UdpTable, net: number, num: number): UdpHslotRef {
  return table.hash[udpHashfn(net, num, table.mask)]!;
}

/** udp_hashslot2 (include/net/udp.h). */
function udpHashslot2(table: UdpTable, hash: number): UdpHslotRef {
  return table.hash2[hash & table.mask]!;
}

/**
 * udp_lib_lport_inuse2 (net/ipv4/udp.c): is the port used in a secondary chain? "we still hold
 * spinlock of primary hash chain, so no other writer can insert/delete a socket with
 * local_port == num".
 */
function udpLibLportInuse2(
  net: number,
  num: number,
  hslot2: UdpHslotRef,
  sk: SockRef,
  saddrComp: (sk1: SockRef, sk2: SockRef) => boolean,
): boolean {
  const uid = sockIUid(sk);
  let res = false;

  spinLock(hslot2.lock);
  // udp_portaddr_for_each_entry
  for (let node = hlistNullsFirstRcu(netHeap, udpHslotHead(hslot2)); !isANulls(node); node = hlistNullsNextRcu(netHeap, node)) {
    const sk2 = udpPortaddrEntry(node);
    if (
      sk2.skNet === net &&
      sk2 !== sk &&
      sk2.udpPortHash === num &&
      (!sk2.skReuse || !sk.skReuse) &&
      (!sk2.skBoundDevIf || !sk.skBoundDevIf || sk2.skBoundDevIf === sk.skBoundDevIf) &&
      (!sk2.skReuseport || !sk.skReuseport || uid !== sockIUid(sk2)) &&
      saddrComp(sk, sk2)
    ) {
      res = true;
      break;
    }
  }
  spinUnlock(hslot2.lock);
  return res;
}

/**
 * udp_lib_get_port (net/ipv4/udp.c): bind `sk` to port `snum` (or a free one when 0), and hash
 * it into both chains. 0 on success, 1 if the port is in use.
 */
export function udpLibGetPort(
  sk: SockRef,
  snum: number,
  saddrComp: (sk1: SockRef, sk2: SockRef) => boolean,
  hash2Nulladdr: number,
): number {
  let hslot: UdpHslotRef;
  let hslot2: UdpHslotRef;
  const udptable = skUdpTable(sk);
  let error = 1;
  const net = sk.skNet;

  fail: {
    failUnlock: {
      found: {
        if (!snum) {
          const bitmap = new Uint32Array(PORTS_PER_CHAIN / 32);

          const { low, high } = inetGetLocalPortRange();
          const remaining = high - low + 1;

          let rand = netRandom();
          let first = (reciprocalScale(rand, remaining) + low) & 0xffff;
          // force rand to be an odd multiple of UDP_HTABLE_SIZE
          rand = (rand | 1) * (udptable.mask + 1);
          const last = (first + udptable.mask + 1) & 0xffff;
          do {
            hslot = udpHashslot(udptable, net, first);
            bitmap.fill(0);
            spinLock(hslot.lock);
            udpLibLportInuse(net, snum, hslot, bitmap, sk, saddrComp, udptable.log);

            snum = first;
            // Iterate on all possible values of snum for this hash. Steps of an odd multiple of
            // UDP_HTABLE_SIZE give us randomization and full range coverage.
            do {
              const bit = snum >> udptable.log;
              if (low <= snum && snum <= high && !(bitmap[bit >> 5]! & (1 << (bit & 31))) && !inetIsReservedLocalPort(snum))
                break found;
              snum = (snum + rand) & 0xffff;
            } while (snum !== first);
            spinUnlock(hslot.lock);
          } while ((first = (first + 1) & 0xffff) !== last);
          break fail;
        } else {
          hslot = udpHashslot(udptable, net, snum);
          spinLock(hslot.lock);
          scanPrimaryHash: {
            if (hslot.count > 10) {
              let slot2 = sk.udpPortaddrHash ^ snum;

              slot2 &= udptable.mask;
              hash2Nulladdr &= udptable.mask;

              hslot2 = udpHashslot2(udptable, slot2);
              if (hslot.count < hslot2.count) break scanPrimaryHash;

              let exist = udpLibLportInuse2(net, snum, hslot2, sk, saddrComp);
              if (!exist && hash2Nulladdr !== slot2) {
                hslot2 = udpHashslot2(udptable, hash2Nulladdr);
                exist = udpLibLportInuse2(net, snum, hslot2, sk, saddrComp);
              }
              if (exist) break failUnlock;
              else break found;
            }
          }
          if (udpLibLportInuse(net, snum, hslot, null, sk, saddrComp, 0)) break failUnlock;
        }
      }
      // found:
      sk.inetNum = snum;
      sk.udpPortHash = snum;
      sk.udpPortaddrHash ^= snum;
      if (skUnhashed(sk)) {
        skNullsAddNodeRcu(sk, udpHslotHead(hslot));
        hslot.count++;
        sockProtInuseAdd(sk.skNet, 1);

        hslot2 = udpHashslot2(udptable, sk.udpPortaddrHash);
        spinLock(hslot2.lock);
        hlistNullsAddHeadRcu(netHeap, sk.udpPortaddrNode, udpHslotHead(hslot2));
        hslot2.count++;
        spinUnlock(hslot2.lock);
      }
      error = 0;
    }
    spinUnlock(hslot.lock);
  }
  return error;
}

/** ipv4_rcv_saddr_equal (net/ipv4/udp.c): do two sockets' bound local addresses clash? */
function ipv4RcvSaddrEqual(sk1: SockRef, sk2: SockRef): boolean {
  return !sk2.ipv6Only && (!sk1.inetRcvSaddr || !sk2.inetRcvSaddr || sk1.inetRcvSaddr === sk2.inetRcvSaddr);
}

/** udp4_portaddr_hash (net/ipv4/udp.c). */
function udp4PortaddrHash(net: number, saddr: number, port: number): number {
  return (jhashNetAddr(net, saddr) ^ port) >>> 0;
}

/** udp_v4_get_port (net/ipv4/udp.c). */
export function udpV4GetPort(sk: SockRef, snum: number): number {
  const hash2Nulladdr = udp4PortaddrHash(sk.skNet, INADDR_ANY, snum);
  const hash2Partial = udp4PortaddrHash(sk.skNet, sk.inetRcvSaddr, 0);

  // precompute partial secondary hash
  sk.udpPortaddrHash = hash2Partial;
  return udpLibGetPort(sk, snum, ipv4RcvSaddrEqual, hash2Nulladdr);
}

/** compute_score (net/ipv4/udp.c): how well a socket of the primary chain matches; -1 for not at all. */
function computeScore(sk: SockRef, net: number, saddr: number, hnum: number, sport: number, daddr: number, dif: number): number {
  let score = -1;

  if (sk.skNet === net && sk.udpPortHash === hnum && !sk.ipv6Only) {
    score = sk.skFamily === PF_INET ? 2 : 1;
    if (sk.inetRcvSaddr) {
      if (sk.inetRcvSaddr !== daddr) return -1;
      score += 4;
    }
    if (sk.inetDaddr) {
      if (sk.inetDaddr !== saddr) return -1;
      score += 4;
    }
    if (sk.inetDport) {
      if (sk.inetDport !== sport) return -1;
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
 * compute_score2 (net/ipv4/udp.c): "In this second variant, we check (daddr, dport) matches
 * (inet_rcv_sadd, inet_num)".
 */
function computeScore2(sk: SockRef, net: number, saddr: number, sport: number, daddr: number, hnum: number, dif: number): number {
  let score = -1;

  if (sk.skNet === net && !sk.ipv6Only) {
    if (sk.inetRcvSaddr !== daddr) return -1;
    if (sk.inetNum !== hnum) return -1;

    score = sk.skFamily === PF_INET ? 2 : 1;
    if (sk.inetDaddr) {
      if (sk.inetDaddr !== saddr) return -1;
      score += 4;
    }
    if (sk.inetDport) {
      if (sk.inetDport !== sport) return -1;
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
 * udp4_lib_lookup2 (net/ipv4/udp.c): the best socket of a secondary chain, referenced. "called
 * with read_rcu_lock()".
 * @rcuReadLockHeld
 */
function udp4LibLookup2(
  net: number,
  saddr: number,
  sport: number,
  daddr: number,
  hnum: number,
  dif: number,
  hslot2: UdpHslotRef,
  slot2: number,
): SockRef | null {
  let result: SockRef | null;
  let score: number;
  let badness: number;
  let matches = 0;
  let reuseport = 0;
  let hash = 0;

  begin: for (;;) {
    result = null;
    badness = 0;
    let node: number;
    // udp_portaddr_for_each_entry_rcu
    for (node = hlistNullsFirstRcu(netHeap, udpHslotHead(hslot2)); !isANulls(node); node = hlistNullsNextRcu(netHeap, node)) {
      const sk = udpPortaddrEntry(node);
      score = computeScore2(sk, net, saddr, sport, daddr, hnum, dif);
      if (score > badness) {
        result = sk;
        badness = score;
        reuseport = sk.skReuseport;
        if (reuseport) {
          hash = inetEhashfn(net, daddr, hnum, saddr, htons(sport));
          matches = 1;
        }
      } else if (score === badness && reuseport) {
        matches++;
        if (reciprocalScale(hash, matches) === 0) result = sk;
        hash = nextPseudoRandom32(hash);
      }
    }
    // if the nulls value we got at the end of this lookup is not the expected one, we must
    // restart lookup. We probably met an item that was moved to another chain.
    if (getNullsValue(node) !== slot2) continue begin;
    if (result) {
      if (!refcountIncNotZero(result.skRefcnt)) result = null;
      else if (computeScore2(result, net, saddr, sport, daddr, hnum, dif) < badness) {
        sockPut(result);
        continue begin;
      }
    }
    return result;
  }
}

/**
 * __udp4_lib_lookup (net/ipv4/udp.c): the socket a datagram for (daddr, dport) from (saddr,
 * sport) goes to, referenced. "UDP is nearly always wildcards out the wazoo, it makes no sense
 * to try harder than this. -DaveM"
 */
export function __udp4LibLookup(
  net: number,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
  dif: number,
  udptable: UdpTable,
): SockRef | null {
  let result: SockRef | null;
  const hnum = htons(dport); // ntohs
  const slot = udpHashfn(net, hnum, udptable.mask);
  const hslot = udptable.hash[slot]!;
  let score: number;
  let badness: number;
  let matches = 0;
  let reuseport = 0;
  let hash = 0;

  rcuReadLock();
  begin: {
    if (hslot.count > 10) {
      let hash2 = udp4PortaddrHash(net, daddr, hnum);
      let slot2 = hash2 & udptable.mask;
      let hslot2 = udptable.hash2[slot2]!;
      if (hslot.count < hslot2.count) break begin;

      result = udp4LibLookup2(net, saddr, sport, daddr, hnum, dif, hslot2, slot2);
      if (!result) {
        hash2 = udp4PortaddrHash(net, INADDR_ANY, hnum);
        slot2 = hash2 & udptable.mask;
        hslot2 = udptable.hash2[slot2]!;
        if (hslot.count < hslot2.count) break begin;

        result = udp4LibLookup2(net, saddr, sport, INADDR_ANY, hnum, dif, hslot2, slot2);
      }
      rcuReadUnlock();
      return result;
    }
  }
  begin: for (;;) {
    result = null;
    badness = 0;
    let node: number;
    // sk_nulls_for_each_rcu
    for (node = hlistNullsFirstRcu(netHeap, udpHslotHead(hslot)); !isANulls(node); node = hlistNullsNextRcu(netHeap, node)) {
      const sk = skNullsEntry(node);
      score = computeScore(sk, net, saddr, hnum, sport, daddr, dif);
      if (score > badness) {
        result = sk;
        badness = score;
        reuseport = sk.skReuseport;
        if (reuseport) {
          hash = inetEhashfn(net, daddr, hnum, saddr, htons(sport));
          matches = 1;
        }
      } else if (score === badness && reuseport) {
        matches++;
        if (reciprocalScale(hash, matches) === 0) result = sk;
        hash = nextPseudoRandom32(hash);
      }
    }
    // if the nulls value we got at the end of this lookup is not the expected one, we must
    // restart lookup. We probably met an item that was moved to another chain.
    if (getNullsValue(node) !== slot) continue begin;

    if (result) {
      if (!refcountIncNotZero(result.skRefcnt)) result = null;
      else if (computeScore(result, net, saddr, hnum, sport, daddr, dif) < badness) {
        sockPut(result);
        continue begin;
      }
    }
    break;
  }
  rcuReadUnlock();
  return result;
}

/** udp4_lib_lookup (net/ipv4/udp.c): __udp4_lib_lookup() in the main UDP table. */
export function udp4LibLookup(
  net: number,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
  dif: number,
  udpTable: UdpTable,
): SockRef | null {
  return __udp4LibLookup(net, saddr, sport, daddr, dport, dif, udpTable);
}

/**
 * __udp4_lib_err (net/ipv4/udp.c): report an ICMP error to the socket it concerns. `type` and
 * `code` are the ICMP header's; the offending datagram's addresses and ports are given.
 */
export function __udp4LibErr(
  net: number,
  iphDaddr: number,
  uhDest: number,
  iphSaddr: number,
  uhSource: number,
  ifindex: number,
  type: number,
  code: number,
  info: number,
  udptable: UdpTable,
): void {
  const sk = __udp4LibLookup(net, iphDaddr, uhDest, iphSaddr, uhSource, ifindex, udptable);
  if (sk === null) {
    icmpIncInerrors(net);
    return; // No socket for error
  }

  let err = 0;
  let harderr = 0;

  out: {
    switch (type) {
      default:
      case ICMP_TIME_EXCEEDED:
        err = EHOSTUNREACH;
        break;
      case ICMP_SOURCE_QUENCH:
        break out;
      case ICMP_PARAMETERPROB:
        err = EPROTO;
        harderr = 1;
        break;
      case ICMP_DEST_UNREACH:
        if (code === ICMP_FRAG_NEEDED) {
          // Path MTU discovery
          ipv4SkUpdatePmtu(sk, info);
          if (sk.inetPmtudisc !== IP_PMTUDISC_DONT) {
            err = EMSGSIZE;
            harderr = 1;
            break;
          }
          break out;
        }
        err = EHOSTUNREACH;
        if (code <= NR_ICMP_UNREACH) {
          const conv = icmpErrConvert(code);
          harderr = conv.fatal;
          err = conv.errno;
        }
        break;
      case ICMP_REDIRECT:
        ipv4SkRedirect(sk);
        break;
    }

    // RFC1122: OK. Passes ICMP errors back to application, as per 4.1.3.3.
    if (!sk.inetRecverr) {
      if (!harderr || sk.skState !== TCP_ESTABLISHED) break out;
    } else ipIcmpError(sk, err, uhDest, info);

    sk.skErr = err;
    skErrorReport(sk);
  }
  sockPut(sk);
}
