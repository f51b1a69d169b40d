/**
 * @fileoverview A directory of customer accounts as a TypeScript service writes it: a class
 * with private fields and getters, helpers that return an account locked or referenced (and
 * re-checked), callers that use it under try/finally, array callbacks inside a read-side
 * section, and a writer that replaces a customer's account under the directory lock.
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
  spinUnlock,
} from '@rcukit/runtime';
import type { AccountRef, Bank, DirectoryRef, SlotRef } from './model.js';

/** What a statement line shows. */
export interface Statement {
  readonly id: number;
  readonly balance: number;
  readonly version: number;
}

export class AccountDirectory {
  readonly #bank: Bank;
  readonly #dir: DirectoryRef;
  #replacements = 0;

  constructor(bank: Bank, dir: DirectoryRef) {
    this.#bank = bank;
    this.#dir = dir;
  }

  /** How many accounts this directory replaced since it was opened. */
  get replacements(): number {
    return this.#replacements;
  }

  /** The slot's current account, locked and re-checked; null when the slot is empty. */
  #lockAccount(slot: SlotRef): AccountRef | null {
    while (true) {
      using _ = rcuReadLock();
      const account = slot.account;
      if (account === null) return null;
      spinLock(account.lock);
      if (account === slot.account) return account;
      spinUnlock(account.lock);
    }
  }

  /** The slot's current account with a reference taken and re-checked; null when there is none. */
  #getAccount(slot: SlotRef): AccountRef | null {
    for (;;) {
      rcuReadLock();
      const account = slot.account;
      if (account === null || !refcountIncNotZero(account.refcnt)) {
        rcuReadUnlock();
        return null;
      }
      if (account === slot.account) {
        rcuReadUnlock();
        return account;
      }
      rcuReadUnlock();
      this.#put(account);
    }
  }

  /** Drop a reference taken by #getAccount(); the last one frees the account at once. */
  #put(account: AccountRef): void {
    if (refcountDecAndTest(account.refcnt)) kmemCacheFree(this.#bank.accounts, account);
  }

  /** Credit `amount` to the slot's account; false when the slot is empty. */
  deposit(slot: SlotRef, amount: number): boolean {
    const account = this.#lockAccount(slot);
    if (account === null) return false;
    try {
      account.balance += amount;
      account.version++;
      return true;
    } finally {
      spinUnlock(account.lock);
    }
  }

  /** Debit `amount` if the balance allows it, unlocking before each return. */
  withdraw(slot: SlotRef, amount: number): 'ok' | 'empty' | 'insufficient' {
    const account = this.#lockAccount(slot);
    if (account === null) return 'empty';
    if (account.balance < amount) {
      spinUnlock(account.lock);
      return 'insufficient';
    }
    account.balance -= amount;
    account.version++;
    spinUnlock(account.lock);
    return 'ok';
  }

  /** A consistent statement line: balance and version read together under the lock. */
  statement(slot: SlotRef): Statement | null {
    const account = this.#getAccount(slot);
    if (account === null) return null;
    try {
      spinLock(account.lock);
      const line = { id: account.id, balance: account.balance, version: account.version };
      spinUnlock(account.lock);
      return line;
    } finally {
      this.#put(account);
    }
  }

  /** The id of the first slot whose account belongs to `ownerId`, or -1 (ids only leave the section). */
  findSlotOf(slots: readonly SlotRef[], ownerId: number): number {
    using _ = rcuReadLock();
    const slot = slots.find((s) => s.account?.ownerId === ownerId);
    return slot === undefined ? -1 : slot.id;
  }

  /** Approximate total of the slots' balances, for a dashboard: plain reads inside one section. */
  approximateTotal(slots: readonly SlotRef[]): number {
    let total = 0;
    {
      using _ = rcuReadLock();
      slots.forEach((slot) => {
        const account = slot.account;
        if (account !== null) total += account.balance;
      });
    }
    return total;
  }

  /** Balances by id through the table's reference-free reads: no section, no reference. */
  balances(ids: readonly number[]): number[] {
    return ids.map((id) => this.#bank.byId.read(id, 'balance') ?? 0);
  }

  /**
   * Give the slot a fresh account with `balance`, published under the directory lock; the
   * directory's reference on the old account is dropped, which frees it at once if no reader
   * holds one (its cache is type-stable: no grace period).
   */
  reopen(slot: SlotRef, ownerId: number, balance: number): void {
    const fresh = kmemCacheAlloc(this.#bank.accounts);
    fresh.id = slot.id;
    fresh.ownerId = ownerId;
    fresh.balance = balance;
    fresh.version = 0;
    refcountSet(fresh.refcnt, 1);

    spinLock(this.#dir.lock);
    const old = slot.account;
    // A reader that locked `old` and saw it still in the slot keeps the slot unchanged until it
    // unlocks: the swap is made under the old account's lock, as exec swaps task->sighand.
    if (old !== null) spinLock(old.lock);
    slot.account = fresh;
    if (old !== null) spinUnlock(old.lock);
    this.#dir.generation++;
    spinUnlock(this.#dir.lock);

    this.#replacements++;
    if (old !== null) this.#put(old);
  }
}
