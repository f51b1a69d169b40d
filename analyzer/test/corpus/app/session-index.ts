/**
 * @fileoverview A hand-written session index: buckets of `hnext` chains of type-stable
 * sessions. Readers walk a chain under rcuReadLock(), take a reference and check the session
 * id again, with a bounded number of retries; writers insert at the head and unlink
 * (`prev.hnext = next`) under the bucket lock, and free a session when its last reference goes.
 */

import {
  kmemCacheAlloc,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountIncNotZero,
  refcountSet,
  spinLock,
  spinTrylock,
  spinUnlock,
  type KmemCache,
} from '@rcukit/runtime';
import type { AccountRef, Session, SessionBucketRef, SessionRef, SlotRef } from './model.js';

/** A session store over a fixed array of buckets. */
export class SessionIndex {
  readonly #buckets: readonly SessionBucketRef[];
  readonly #cache: KmemCache<typeof Session>;
  readonly #maxRetries: number;

  constructor(buckets: readonly SessionBucketRef[], cache: KmemCache<typeof Session>, maxRetries = 4) {
    this.#buckets = buckets;
    this.#cache = cache;
    this.#maxRetries = maxRetries;
  }

  #bucketOf(sid: number): SessionBucketRef {
    return this.#buckets[Math.abs(sid) % this.#buckets.length]!;
  }

  /** The session `sid`, referenced (release it with release()); null when absent or after too many races. */
  find(sid: number): SessionRef | null {
    const bucket = this.#bucketOf(sid);
    retry: for (let attempt = 0; attempt < this.#maxRetries; attempt++) {
      rcuReadLock();
      let next: SessionRef | null;
      for (let s = bucket.first; s !== null; s = next) {
        // Read the link before the id, as rculist_nulls.rst's lockless_lookup() does: a session
        // freed and reused under us may be moved to another chain.
        next = s.hnext;
        if (s.sid !== sid) continue;
        if (!refcountIncNotZero(s.refcnt)) {
          rcuReadUnlock();
          continue retry; // being freed: look again
        }
        if (s.sid !== sid) {
          // freed and reused for another session between the match and the increment
          rcuReadUnlock();
          this.release(s);
          continue retry;
        }
        rcuReadUnlock();
        return s;
      }
      rcuReadUnlock();
      return null;
    }
    return null;
  }

  /** Drop a reference from find(); the last one frees the session at once (type-stable cache). */
  release(session: SessionRef): void {
    if (refcountDecAndTest(session.refcnt)) kmemCacheFree(this.#cache, session);
  }

  /** Record activity on a session, if it still exists. */
  touch(sid: number, now: number): boolean {
    const session = this.find(sid);
    if (session === null) return false;
    try {
      spinLock(session.lock);
      session.lastSeen = now;
      spinUnlock(session.lock);
      return true;
    } finally {
      this.release(session);
    }
  }

  /** Open a session: initialize every field, then publish at the head of its chain. */
  open(sid: number, userId: number, now: number): void {
    const session = kmemCacheAlloc(this.#cache);
    session.sid = sid;
    session.userId = userId;
    session.lastSeen = now;
    refcountSet(session.refcnt, 1); // the index's reference
    const bucket = this.#bucketOf(sid);
    spinLock(bucket.lock);
    session.hnext = bucket.first;
    bucket.first = session;
    spinUnlock(bucket.lock);
  }

  /** Close a session: unlink it under the bucket lock, then drop the index's reference. */
  close(sid: number): boolean {
    const bucket = this.#bucketOf(sid);
    let victim: SessionRef | null = null;
    spinLock(bucket.lock);
    let prev: SessionRef | null = null;
    for (let cur = bucket.first; cur !== null; prev = cur, cur = cur.hnext) {
      if (cur.sid !== sid) continue;
      if (prev === null) bucket.first = cur.hnext;
      else prev.hnext = cur.hnext; // readers standing on `cur` still follow its hnext
      victim = cur;
      break;
    }
    spinUnlock(bucket.lock);
    if (victim === null) return false;
    this.release(victim);
    return true;
  }

  /** Expire sessions idle since before `cutoff`: unlink them all under the lock, free after. */
  expire(cutoff: number): number {
    const doomed: SessionRef[] = [];
    for (const bucket of this.#buckets) {
      spinLock(bucket.lock);
      let prev: SessionRef | null = null;
      let cur = bucket.first;
      while (cur !== null) {
        const next = cur.hnext;
        if (cur.lastSeen < cutoff) {
          if (prev === null) bucket.first = next;
          else prev.hnext = next;
          doomed.push(cur);
        } else {
          prev = cur;
        }
        cur = next;
      }
      spinUnlock(bucket.lock);
    }
    doomed.forEach((session) => this.release(session));
    return doomed.length;
  }
}

/**
 * Lock the slot's current account, giving up after `maxTries` busy or changed attempts (for a
 * caller that would rather report "busy" than spin).
 */
export function tryLockAccount(slot: SlotRef, maxTries = 3): AccountRef | null {
  for (let attempt = 0; attempt < maxTries; attempt++) {
    rcuReadLock();
    const account = slot.account;
    if (account === null) {
      rcuReadUnlock();
      return null;
    }
    if (!spinTrylock(account.lock)) {
      rcuReadUnlock();
      continue;
    }
    if (account !== slot.account) {
      spinUnlock(account.lock);
      rcuReadUnlock();
      continue;
    }
    rcuReadUnlock();
    return account;
  }
  return null;
}

/** Move `cents` between two slots' accounts if both can be locked without waiting. */
export function transferIfIdle(from: SlotRef, to: SlotRef, cents: number): boolean {
  if (from === to) return false; // one account: locking it twice would throw
  const a = tryLockAccount(from);
  if (a === null) return false;
  try {
    const b = tryLockAccount(to);
    if (b === null) return false;
    try {
      if (a.balance < cents) return false;
      a.balance -= cents;
      b.balance += cents;
      a.version++;
      b.version++;
      return true;
    } finally {
      spinUnlock(b.lock);
    }
  } finally {
    spinUnlock(a.lock);
  }
}
