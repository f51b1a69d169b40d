/**
 * @fileoverview A small LRU cache of referenced accounts in front of the RCU hash table: every
 * cached entry holds one reference from table.lookup(), dropped with table.put() when the entry
 * is evicted or invalidated. Callers get numbers out, never the object.
 */

import { spinLock, spinUnlock, type RcuHashTable } from '@rcukit/runtime';
import type { Account, AccountRef } from './model.js';

export class AccountLru {
  readonly #table: RcuHashTable<typeof Account>;
  readonly #capacity: number;
  /** id -> referenced account, least recently used first (Map keeps insertion order). */
  readonly #entries = new Map<number, AccountRef>();
  #hits = 0;
  #misses = 0;

  constructor(table: RcuHashTable<typeof Account>, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#table = table;
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get hitRate(): number {
    const total = this.#hits + this.#misses;
    return total === 0 ? 0 : this.#hits / total;
  }

  /** The account's balance under its lock, from the cache or a fresh lookup; undefined if absent. */
  balance(id: number): number | undefined {
    let account = this.#entries.get(id);
    if (account !== undefined) {
      this.#hits++;
      this.#entries.delete(id); // move to the most recently used end
      this.#entries.set(id, account);
    } else {
      this.#misses++;
      const found = this.#table.lookup(id);
      if (found === null) return undefined;
      if (this.#entries.size >= this.#capacity) this.#evictOldest();
      this.#entries.set(id, found);
      account = found;
    }
    spinLock(account.lock);
    const cents = account.balance;
    spinUnlock(account.lock);
    return cents;
  }

  /** Drop the least recently used entry and its reference. */
  #evictOldest(): void {
    const oldest = this.#entries.entries().next();
    if (oldest.done === true) return;
    const [id, account] = oldest.value;
    this.#entries.delete(id);
    this.#table.put(account);
  }

  /** Forget one id (its account was closed or changed elsewhere). */
  invalidate(id: number): boolean {
    const account = this.#entries.get(id);
    if (account === undefined) return false;
    this.#entries.delete(id);
    this.#table.put(account);
    return true;
  }

  /** Drop every entry and reference. */
  clear(): void {
    this.#entries.forEach((account) => this.#table.put(account));
    this.#entries.clear();
  }
}
