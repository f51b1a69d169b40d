/**
 * @fileoverview Translation of Linux kernel/pid.c: allocating a struct pid and publishing it in
 * every namespace's IDR, finding it again under rcu_read_lock(), and freeing it: idr_remove()
 * under pidmap_lock, then the last put from an RCU callback.
 *
 * Source read: kernel/pid.c at ColinIanKing/linux-next commit
 * 0367a5dd4b09a77cdc080bb5164b95cbe491f0ee (linux-next); get_pid() from include/linux/pid.h
 * (the same in every tree read).
 * Functions: put_pid, delayed_put_pid, free_pid, free_pids, alloc_pid,
 * disable_pid_allocation, find_pid_ns, find_vpid, find_get_pid, pid_nr_ns, and get_pid
 * (include/linux/pid.h).
 *
 * ns->pid_cachep is a plain cache. free_pid() unpublishes the pid from the IDRs under
 * pidmap_lock and leaves the IDRs' reference to call_rcu(&pid->rcu, delayed_put_pid): a reader
 * that loaded the pid from an IDR slot just before idr_remove() may still take a reference with
 * get_pid() until the grace period ends, and only then can the count reach zero and
 * put_pid() free the pid. alloc_pid() fills the pid in before idr_replace() makes it visible
 * ("Store a null pointer so find_pid_ns does not find a partially initialized PID").
 */

import {
  kmemCacheAlloc,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountInc,
  refcountSet,
  callRcu,
  spinLock,
  spinLockInit,
  spinUnlock,
} from '@rcukit/runtime';
import { EAGAIN, EEXIST, EINVAL, ENOMEM, EPERM, ErrPtr, warnOn } from '../lib/kernel.js';
import {
  MAX_PID_NS_LEVEL,
  PIDNS_ADDING,
  PIDTYPE_MAX,
  RESERVED_PIDS,
  checkpointRestoreNsCapable,
  getPidNs,
  idrAlloc,
  idrAllocCyclic,
  idrFind,
  idrGetCursor,
  idrPreload,
  idrPreloadEnd,
  idrRemove,
  idrReplace,
  idrSetCursor,
  lockdepAssertNotHeld,
  nsRefActiveGet,
  nsRefActivePut,
  pidNsByInum,
  pidfsAddPid,
  pidfsFreePid,
  pidfsRemovePid,
  pidmapLock,
  putPidNs,
  taskActivePidNs,
  wakeUpProcess,
  type PidNamespace,
  type PidRef,
} from '../lib/pid.js';
import { current, tasklistLock } from '../lib/sched.js';

/** ENOSPC. */
const ENOSPC = 28;

/** put_pid (kernel/pid.c): drop a reference; the last one frees the pid into its namespace's cache. */
export function putPid(pid: PidRef | null): void {
  if (!pid) return;

  const ns = pidNsByInum(pid.numbersNs[pid.level]!); // pid->numbers[pid->level].ns
  if (refcountDecAndTest(pid.count)) {
    pidfsFreePid(pid);
    kmemCacheFree(ns.pidCachep, pid);
    putPidNs(ns);
  }
}

/** delayed_put_pid (kernel/pid.c): the RCU callback that drops the IDRs' reference. */
function delayedPutPid(pid: PidRef): void {
  putPid(pid);
}

/** free_pid (kernel/pid.c): remove the pid from every namespace's IDR, put it after a grace period. */
export function freePid(pid: PidRef): void {
  lockdepAssertNotHeld(tasklistLock.lock);

  const activeNs = pidNsByInum(pid.numbersNs[pid.level]!);
  nsRefActivePut(activeNs);

  spinLock(pidmapLock.lock);
  for (let i = 0; i <= pid.level; i++) {
    const upidNr = pid.numbersNr[i]!; // struct upid *upid = pid->numbers + i;
    const ns = pidNsByInum(pid.numbersNs[i]!);
    switch (--ns.pidAllocated) {
      case 2:
      case 1:
        /* When all that is left in the pid namespace
         * is the reaper wake up the reaper.  The reaper
         * may be sleeping in zap_pid_ns_processes().
         */
        wakeUpProcess(ns.childReaper);
        break;
      case PIDNS_ADDING:
        /* Handle a fork failure of the first process */
        warnOn(ns.childReaper !== null);
        ns.pidAllocated = 0;
        break;
    }

    idrRemove(ns.idr, upidNr);
  }
  pidfsRemovePid(pid);
  spinUnlock(pidmapLock.lock);

  callRcu(() => delayedPutPid(pid)); // call_rcu(&pid->rcu, delayed_put_pid)
}

/** free_pids (kernel/pid.c): free_pid() of each pid a detaching task left. */
export function freePids(pids: Array<PidRef | null>): void {
  /*
   * This can batch pidmap_lock.
   */
  for (let tmp = PIDTYPE_MAX; --tmp >= 0; ) if (pids[tmp]) freePid(pids[tmp]!);
}

/**
 * alloc_pid (kernel/pid.c): allocate a pid with a number in every namespace from `ns` up, fill
 * it in, and only then publish it in each IDR.
 */
export function allocPid(ns: PidNamespace, argSetTid: readonly number[], argSetTidSize: number): PidRef | ErrPtr {
  const setTid: number[] = new Array<number>(MAX_PID_NS_LEVEL + 1).fill(0);
  const pidMax: number[] = new Array<number>(MAX_PID_NS_LEVEL + 1).fill(0);
  let i: number;
  let nr: number;
  let tmp: PidNamespace | null;
  let retval = -ENOMEM;
  let retriedPreload: boolean;

  /*
   * arg_set_tid_size contains the size of the arg_set_tid array. Starting at
   * the most nested currently active PID namespace it tells alloc_pid()
   * which PID to set for a process in that most nested PID namespace
   * up to arg_set_tid_size PID namespaces.
   */
  if (argSetTidSize > ns.level + 1) return new ErrPtr(-EINVAL);

  /*
   * Prep before we take locks:
   *
   * 1. allocate and fill in pid struct
   */
  // kmem_cache_alloc() cannot return NULL here: the runtime throws when the heap is full.
  const pid = kmemCacheAlloc(ns.pidCachep);

  getPidNs(ns);
  pid.level = ns.level;
  refcountSet(pid.count, 1);
  spinLockInit(pid.lock);
  for (let type = 0; type < PIDTYPE_MAX; ++type) pid.tasks[type] = 0; // INIT_HLIST_HEAD(&pid->tasks[type])
  spinLockInit(pid.waitPidfd); // init_waitqueue_head(&pid->wait_pidfd)
  pid.inodes = 0; // INIT_HLIST_HEAD(&pid->inodes)

  outAbort: {
    /*
     * 2. perm check checkpoint_restore_ns_capable()
     *
     * This stores found pid_max to make sure the used value is the same should
     * later code need it.
     */
    for (tmp = ns, i = ns.level; i >= 0; ) {
      pidMax[ns.level - i] = tmp!.pidMax; // READ_ONCE(tmp->pid_max)

      if (argSetTidSize) {
        const tid = (setTid[ns.level - i] = argSetTid[ns.level - i]!);

        retval = -EINVAL;
        if (tid < 1 || tid >= pidMax[ns.level - i]!) break outAbort;
        /*
         * Also fail if a PID != 1 is requested and
         * no PID 1 exists.
         */
        if (tid !== 1 && !tmp!.childReaper) break outAbort;
        retval = -EPERM;
        if (!checkpointRestoreNsCapable(tmp!.userNs)) break outAbort;
        argSetTidSize--;
      }

      tmp = tmp!.parent;
      i--;
    }

    /*
     * Prep is done, id allocation goes here:
     */
    retriedPreload = false;
    idrPreload();
    spinLock(pidmapLock.lock);
    outFree: {
      for (tmp = ns, i = ns.level; i >= 0; ) {
        const tid = setTid[ns.level - i]!;

        if (tid) {
          nr = idrAlloc(tmp!.idr, null, tid, tid + 1);
          /*
           * If ENOSPC is returned it means that the PID is
           * already in use. Return EEXIST in that case.
           */
          if (nr === -ENOSPC) nr = -EEXIST;
        } else {
          let pidMin = 1;
          /*
           * init really needs pid 1, but after reaching the
           * maximum wrap back to RESERVED_PIDS
           */
          if (idrGetCursor(tmp!.idr) > RESERVED_PIDS) pidMin = RESERVED_PIDS;

          /*
           * Store a null pointer so find_pid_ns does not find
           * a partially initialized PID (see below).
           */
          nr = idrAllocCyclic(tmp!.idr, null, pidMin, pidMax[ns.level - i]!);
          if (nr === -ENOSPC) nr = -EAGAIN;
        }

        if (nr < 0) {
          /*
           * Preload more memory if idr_alloc{,cyclic} failed with -ENOMEM.
           * The pidmap lock can be safely dropped and picked up as historically pid allocation
           * for different namespaces was *not* atomic.
           */
          if (nr === -ENOMEM && !retriedPreload) {
            spinUnlock(pidmapLock.lock);
            idrPreloadEnd();
            retriedPreload = true;
            idrPreload();
            spinLock(pidmapLock.lock);
            continue;
          }
          retval = nr;
          break outFree;
        }

        pid.numbersNr[i] = nr;
        pid.numbersNs[i] = tmp!.inum;
        tmp = tmp!.parent;
        i--;
        retriedPreload = false;
      }

      /*
       * ENOMEM is not the most obvious choice especially for the case
       * where the child subreaper has already exited and the pid
       * namespace denies the creation of any new processes.
       */
      retval = -ENOMEM;
      if (!(ns.pidAllocated & PIDNS_ADDING)) break outFree;
      pidfsAddPid(pid);
      for (let upid = ns.level; upid >= 0; --upid) {
        const upidNs = pidNsByInum(pid.numbersNs[upid]!);
        /* Make the PID visible to find_pid_ns. */
        idrReplace(upidNs.idr, pid, pid.numbersNr[upid]!);
        upidNs.pidAllocated++;
      }
      spinUnlock(pidmapLock.lock);
      idrPreloadEnd();
      nsRefActiveGet(ns);

      return pid;
    }
    // out_free:
    while (++i <= ns.level) {
      idrRemove(pidNsByInum(pid.numbersNs[i]!).idr, pid.numbersNr[i]!);
    }

    /* On failure to allocate the first pid, reset the state */
    if (ns.pidAllocated === PIDNS_ADDING) idrSetCursor(ns.idr, 0);

    spinUnlock(pidmapLock.lock);
    idrPreloadEnd();
  }
  // out_abort:
  putPidNs(ns);
  kmemCacheFree(ns.pidCachep, pid);
  return new ErrPtr(retval);
}

/** disable_pid_allocation (kernel/pid.c). */
export function disablePidAllocation(ns: PidNamespace): void {
  spinLock(pidmapLock.lock);
  ns.pidAllocated &= ~PIDNS_ADDING;
  spinUnlock(pidmapLock.lock);
}

/**
 * find_pid_ns (kernel/pid.c): "look up a PID in the hash table. Must be called with the
 * tasklist_lock or rcu_read_lock() held." (include/linux/pid.h)
 */
export function findPidNs(nr: number, ns: PidNamespace): PidRef | null {
  return idrFind(ns.idr, nr);
}

/** find_vpid (kernel/pid.c): the pid of number `nr` in the current task's namespace. */
export function findVpid(nr: number): PidRef | null {
  return findPidNs(nr, taskActivePidNs(current())!);
}

/** find_get_pid (kernel/pid.c): the pid of number `nr`, with a reference. */
export function findGetPid(nr: number): PidRef | null {
  rcuReadLock();
  const pid = getPid(findVpid(nr));
  rcuReadUnlock();

  return pid;
}

/** pid_nr_ns (kernel/pid.c): the number `pid` has in `ns`, or 0. */
export function pidNrNs(pid: PidRef | null, ns: PidNamespace | null): number {
  let nr = 0;

  if (pid && ns && ns.level <= pid.level) {
    // upid = &pid->numbers[ns->level];
    if (pid.numbersNs[ns.level] === ns.inum) nr = pid.numbersNr[ns.level]!;
  }
  return nr;
}

/** get_pid (include/linux/pid.h): take a reference (NULL passes through). */
function getPid(pid: PidRef | null): PidRef | null {
  if (pid) refcountInc(pid.count);
  return pid;
}
