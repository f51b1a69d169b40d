/**
 * @fileoverview Generators and async code over the account directory: a generator that hands
 * out referenced accounts one at a time (no read-side section is open across a `yield`), and
 * async jobs whose read-side sections sit between awaits, never across one.
 */

import { kmemCacheFree, rcuReadLock, rcuReadUnlock, refcountDecAndTest, refcountIncNotZero, spinLock, spinUnlock, type KmemCache } from '@rcukit/runtime';
import type { Account, AccountRef, SlotRef } from './model.js';

/** Where audit lines go (a file, a socket). */
export interface AuditSink {
  write(id: number, cents: number): Promise<void>;
  flush(): Promise<void>;
}

/** Take a reference on the slot's current account and check it is still the slot's; null if none. */
function pin(slot: SlotRef, accounts: KmemCache<typeof Account>): AccountRef | null {
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
    if (refcountDecAndTest(account.refcnt)) kmemCacheFree(accounts, account);
  }
}

/** Each slot's account in turn, referenced while the consumer has it; dropped when it asks for the next. */
export function* referencedAccounts(slots: readonly SlotRef[], accounts: KmemCache<typeof Account>): Generator<AccountRef, void, undefined> {
  for (const slot of slots) {
    const account = pin(slot, accounts);
    if (account === null) continue;
    try {
      yield account;
    } finally {
      if (refcountDecAndTest(account.refcnt)) kmemCacheFree(accounts, account);
    }
  }
}

/** Sum of the balances of the slots' accounts, each read under its lock while referenced. */
export function exactTotal(slots: readonly SlotRef[], accounts: KmemCache<typeof Account>): number {
  let total = 0;
  for (const account of referencedAccounts(slots, accounts)) {
    spinLock(account.lock);
    total += account.balance;
    spinUnlock(account.lock);
  }
  return total;
}

/** Write one audit line per slot: copy the numbers inside a section, await outside it. */
export async function auditSlots(slots: readonly SlotRef[], sink: AuditSink): Promise<number> {
  let written = 0;
  for (const slot of slots) {
    let id: number;
    let cents: number;
    {
      using _ = rcuReadLock();
      const account = slot.account;
      if (account === null) continue;
      spinLock(account.lock);
      if (account !== slot.account) {
        spinUnlock(account.lock);
        continue;
      }
      id = account.id;
      cents = account.balance;
      spinUnlock(account.lock);
    }
    await sink.write(id, cents);
    written++;
  }
  await sink.flush();
  return written;
}

/** Credit interest to one slot after an async rate lookup: the lookup happens before any section. */
export async function creditInterest(slot: SlotRef, rateOf: (ownerId: number) => Promise<number>): Promise<boolean> {
  let ownerId: number;
  rcuReadLock();
  const first = slot.account;
  if (first === null) {
    rcuReadUnlock();
    return false;
  }
  ownerId = first.ownerId;
  rcuReadUnlock();

  const rate = await rateOf(ownerId);

  rcuReadLock();
  try {
    const account = slot.account;
    if (account === null) return false;
    spinLock(account.lock);
    // The slot may hold another account by now (reopened while we awaited), or the same memory
    // reused for another customer: credit only the account we priced.
    if (account !== slot.account || account.ownerId !== ownerId) {
      spinUnlock(account.lock);
      return false;
    }
    account.balance += Math.round(account.balance * rate);
    account.version++;
    spinUnlock(account.lock);
    return true;
  } finally {
    rcuReadUnlock();
  }
}

/** The primary slot's account, else the backup slot's, referenced; null when neither has one. */
export function pinPrimaryOrBackup(primary: SlotRef, backup: SlotRef, accounts: KmemCache<typeof Account>): AccountRef | null {
  return pin(primary, accounts) ?? pin(backup, accounts);
}

/** The owner of the slot's account, or -1; the pin and the identity check are kept in variables. */
export function ownerOf(slot: SlotRef, accounts: KmemCache<typeof Account>): number {
  rcuReadLock();
  const account = slot.account;
  if (account === null) {
    rcuReadUnlock();
    return -1;
  }
  const pinned = refcountIncNotZero(account.refcnt);
  const current = pinned && account === slot.account;
  rcuReadUnlock();
  if (!current) {
    if (pinned && refcountDecAndTest(account.refcnt)) kmemCacheFree(accounts, account);
    return -1;
  }
  const owner = account.ownerId;
  if (refcountDecAndTest(account.refcnt)) kmemCacheFree(accounts, account);
  return owner;
}
