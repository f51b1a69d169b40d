/**
 * @fileoverview Translation of Linux kernel/cred.c and the inline helpers of
 * include/linux/cred.h it is built on: a task's credentials, published through the RCU
 * pointers task->real_cred and task->cred, replaced by commit_creds() and freed from an RCU
 * callback once their last reference is gone.
 *
 * Sources read: kernel/cred.c at brauner/linux commit e13ef89a6d4aa9e6a01bca5546e8cf13df151be3;
 * include/linux/cred.h at brauner/linux commit 165b0954c21bdf0e1ba9cfb944879ebe151b6f82.
 * Functions (kernel/cred.c): put_cred_rcu, __put_cred, exit_creds, get_task_cred,
 * commit_creds, abort_creds, cred_init. (include/linux/cred.h): override_creds,
 * revert_creds_light, get_new_cred_many, get_new_cred, get_cred_many, get_cred, get_cred_rcu,
 * put_cred_many, put_cred, and the __task_cred() macro.
 *
 * cred_jar is a plain cache: the grace period between the last put and the reuse of the memory
 * is the call_rcu(&cred->rcu, put_cred_rcu) of __put_cred(). The credentials a caller marks
 * `non_rcu` (do_faccessat() does, for a cred it only ever installs in its own current->cred)
 * were never reachable by another task's RCU reader, and __put_cred() frees them at once.
 */

import {
  SLAB_HWCACHE_ALIGN,
  callRcu,
  kmemCacheCreate,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountIncNotZero,
  refcountRead,
  type Heap,
  type KmemCache,
} from '@rcukit/runtime';
import {
  Cred,
  PROC_EVENT_GID,
  PROC_EVENT_UID,
  UCOUNT_RLIMIT_NPROC,
  atomicLongAdd,
  atomicLongSubAndTest,
  bugOn,
  credCapIssubset,
  current,
  decRlimitUcounts,
  freeUid,
  incRlimitUcounts,
  keyFsgidChanged,
  keyFsuidChanged,
  keyPut,
  panic,
  procIdConnector,
  putGroupInfo,
  putUcounts,
  putUserNs,
  securityCredFree,
  setDumpable,
  suidDumpable,
  switchCredNamespaces,
  type CredRef,
  type CredTaskRef,
} from '../lib/cred.js';

/** cred_jar. */
let credJar: KmemCache<typeof Cred>;

/** put_cred_rcu (kernel/cred.c): the RCU callback that actually disposes of a set of credentials. */
function putCredRcu(cred: CredRef): void {
  if (refcountRead(cred.usage) !== 0)
    panic(`CRED: put_cred_rcu() sees a cred with usage ${refcountRead(cred.usage)}`);

  securityCredFree(cred);
  keyPut(cred.sessionKeyring);
  keyPut(cred.processKeyring);
  keyPut(cred.threadKeyring);
  keyPut(cred.requestKeyAuth);
  if (cred.groupInfo) putGroupInfo(cred.groupInfo);
  freeUid(cred.user);
  if (cred.ucounts) putUcounts(cred.ucounts);
  putUserNs(cred.userNs);
  kmemCacheFree(credJar, cred);
}

/**
 * __put_cred (kernel/cred.c): "Destroy a set of credentials on which no references remain."
 */
export function __putCred(cred: CredRef): void {
  bugOn(refcountRead(cred.usage) !== 0);
  bugOn(cred === current().cred);
  bugOn(cred === current().realCred);

  if (cred.nonRcu) putCredRcu(cred);
  else callRcu(() => putCredRcu(cred)); // call_rcu(&cred->rcu, put_cred_rcu)
}

/** exit_creds (kernel/cred.c): clean up a task's credentials when it exits. */
export function exitCreds(tsk: CredTaskRef): void {
  const realCred = tsk.realCred;
  tsk.realCred = null;

  const cred = tsk.cred;
  tsk.cred = null;

  if (realCred === cred) {
    putCredMany(cred, 2);
  } else {
    putCred(realCred);
    putCred(cred);
  }

  // CONFIG_KEYS_REQUEST_CACHE
  keyPut(tsk.cachedRequestedKey);
  tsk.cachedRequestedKey = 0;
}

/**
 * __task_cred (include/linux/cred.h): rcu_dereference((task)->real_cred). "The caller must
 * hold the RCU readlock."
 * @rcuReadLockHeld
 */
function __taskCred(task: CredTaskRef): CredRef | null {
  return task.realCred;
}

/**
 * get_task_cred (kernel/cred.c): another task's objective credentials, pinned. "The caller
 * must also make sure task doesn't get deleted."
 */
export function getTaskCred(task: CredTaskRef): CredRef {
  let cred: CredRef | null;

  rcuReadLock();

  do {
    cred = __taskCred(task);
    bugOn(!cred);
  } while (!getCredRcu(cred));

  rcuReadUnlock();
  return cred!;
}

/**
 * commit_creds (kernel/cred.c): install new credentials upon the current task, using RCU to
 * replace the old set. "This function eats the caller's reference to the new credentials."
 * @owned next
 */
export function commitCreds(next: CredRef): number {
  const task = current();
  const old = task.realCred!;

  bugOn(task.cred !== old);
  bugOn(refcountRead(next.usage) < 1);

  getCred(next); /* we will require a ref for the subj creds too */

  /* dumpability changes */
  if (
    old.euid !== next.euid || // !uid_eq(old->euid, new->euid)
    old.egid !== next.egid ||
    old.fsuid !== next.fsuid ||
    old.fsgid !== next.fsgid ||
    !credCapIssubset(old, next)
  ) {
    if (task.mm) setDumpable(task, suidDumpable());
    task.pdeathSignal = 0;
    // smp_wmb(): the dumpability change is visible before the credential change (pairs with
    // a read barrier in __ptrace_may_access()).
  }

  /* alter the thread keyring */
  if (next.fsuid !== old.fsuid) keyFsuidChanged(next);
  if (next.fsgid !== old.fsgid) keyFsgidChanged(next);

  /* do it
   * RLIMIT_NPROC limits on user->processes have already been checked
   * in set_user().
   */
  if (next.user !== old.user || next.userNs !== old.userNs) incRlimitUcounts(next.ucounts, UCOUNT_RLIMIT_NPROC, 1);

  task.realCred = next; // rcu_assign_pointer(task->real_cred, new)
  task.cred = next; // rcu_assign_pointer(task->cred, new)
  if (next.user !== old.user || next.userNs !== old.userNs) decRlimitUcounts(old.ucounts, UCOUNT_RLIMIT_NPROC, 1);
  if (next.userNs !== old.userNs) switchCredNamespaces(old, next);

  /* send notifications */
  if (next.uid !== old.uid || next.euid !== old.euid || next.suid !== old.suid || next.fsuid !== old.fsuid)
    procIdConnector(task, PROC_EVENT_UID);

  if (next.gid !== old.gid || next.egid !== old.egid || next.sgid !== old.sgid || next.fsgid !== old.fsgid)
    procIdConnector(task, PROC_EVENT_GID);

  /* release the old obj and subj refs both */
  putCredMany(old, 2);
  return 0;
}

/** abort_creds (kernel/cred.c): discard a set of credentials that were under construction. */
export function abortCreds(next: CredRef): void {
  bugOn(refcountRead(next.usage) < 1);
  putCred(next);
}

/** cred_init (kernel/cred.c): the cred_jar cache (KMEM_CACHE names it after the struct). */
export function credInit(heap: Heap): void {
  /* allocate a slab in which we can store credentials */
  credJar = kmemCacheCreate(heap, 'cred', Cred, { flags: SLAB_HWCACHE_ALIGN }); // | SLAB_PANIC | SLAB_ACCOUNT
}

/** override_creds (include/linux/cred.h): install temporary subjective credentials, return the old ones. */
export function overrideCreds(overrideCred: CredRef): CredRef | null {
  const old = current().cred;

  current().cred = overrideCred; // rcu_assign_pointer(current->cred, override_cred)
  return old;
}

/** revert_creds_light (include/linux/cred.h): put back the credentials override_creds() returned. */
export function revertCredsLight(revertCred: CredRef | null): CredRef | null {
  const overrideCred = current().cred;

  current().cred = revertCred; // rcu_assign_pointer(current->cred, revert_cred)
  return overrideCred;
}

/** get_new_cred_many (include/linux/cred.h): references on a new set of credentials. */
export function getNewCredMany(cred: CredRef, nr: number): CredRef {
  atomicLongAdd(nr, cred.usage);
  return cred;
}

/** get_new_cred (include/linux/cred.h). */
export function getNewCred(cred: CredRef): CredRef {
  return getNewCredMany(cred, 1);
}

/** get_cred_many (include/linux/cred.h): references on a committed set of credentials (NULL passes through). */
export function getCredMany(cred: CredRef | null, nr: number): CredRef | null {
  const nonconstCred = cred;
  if (!cred) return cred;
  nonconstCred!.nonRcu = 0;
  return getNewCredMany(nonconstCred!, nr);
}

/** get_cred (include/linux/cred.h). */
export function getCred(cred: CredRef | null): CredRef | null {
  return getCredMany(cred, 1);
}

/** get_cred_rcu (include/linux/cred.h): a reference on credentials found under rcu_read_lock(), unless they are dying. */
function getCredRcu(cred: CredRef | null): CredRef | null {
  const nonconstCred = cred;
  if (!cred) return null;
  if (!refcountIncNotZero(nonconstCred!.usage)) return null;
  nonconstCred!.nonRcu = 0;
  return cred;
}

/** put_cred_many (include/linux/cred.h): release references, deleting the credentials with the last one. */
export function putCredMany(_cred: CredRef | null, nr: number): void {
  const cred = _cred;

  if (cred) {
    if (atomicLongSubAndTest(nr, cred.usage)) __putCred(cred);
  }
}

/** put_cred (include/linux/cred.h). */
export function putCred(cred: CredRef | null): void {
  putCredMany(cred, 1);
}
