/**
 * @fileoverview Translation of Linux drivers/target/target_core_alua.c: the target port groups
 * of SCSI ALUA. Each LUN points to its group through the RCU pointer lun->lun_tg_pt_gp; the
 * command path reads the group's state under rcu_read_lock() without a reference, configfs
 * moves LUNs between groups under lun->lun_tg_pt_gp_lock, and removing a group repoints every
 * LUN at the default group, waits for a grace period and frees it.
 *
 * Source read: drivers/target/target_core_alua.c at brauner/linux commit
 * 6cd8e48c5ca7452df27e4b8414f06638330c96a4; core_alua_queue_state_change_ua and
 * core_alua_do_transition_tg_pt from an earlier tree with the patch "se_lun and se_lun_acl are
 * immutable pointers of struct se_dev_entry" applied (se_deve->se_lun_acl read plainly).
 * Functions: target_alua_state_check, core_alua_queue_state_change_ua,
 * core_alua_do_transition_tg_pt, core_alua_set_tg_pt_secondary_state,
 * core_alua_allocate_tg_pt_gp, core_alua_free_tg_pt_gp, core_alua_get_tg_pt_gp_by_name,
 * core_alua_put_tg_pt_gp_from_name, __target_attach_tg_pt_gp, target_attach_tg_pt_gp,
 * __target_detach_tg_pt_gp, target_detach_tg_pt_gp, target_swap_tg_pt_gp,
 * core_alua_show_tg_pt_gp_info, core_alua_store_tg_pt_gp_info, core_alua_store_offline_bit.
 *
 * t10_alua_tg_pt_gp_cache is a plain cache. core_alua_free_tg_pt_gp() unlinks the group from
 * every LUN (rcu_assign_pointer of the default group, or of NULL when the group being freed is
 * the default one) and then does `synchronize_rcu(); kmem_cache_free(...)`. The writers of
 * lun_tg_pt_gp also end with synchronize_rcu() (target_attach_tg_pt_gp,
 * target_detach_tg_pt_gp, core_alua_store_tg_pt_gp_info).
 */

import {
  kmemCacheAlloc,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  spinLock,
  spinLockInit,
  spinUnlock,
  synchronizeRcu,
} from '@rcukit/runtime';
import { atomicDec, atomicInc, atomicRead, atomicSet } from '../lib/bitops.js';
import { EAGAIN, EINVAL, lockdepAssertHeld } from '../lib/kernel.js';
import {
  initListHead,
  initListNode,
  listAddTail,
  listDel,
  listDelInit,
  listForEachEntry,
  listForEachEntrySafe,
} from '../lib/list.js';
import {
  ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED,
  ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED,
  ALUA_ACCESS_STATE_LBA_DEPENDENT,
  ALUA_ACCESS_STATE_STANDBY,
  ALUA_ACCESS_STATE_TRANSITION,
  ALUA_ACCESS_STATE_UNAVAILABLE,
  ALUA_AN_SUP,
  ALUA_AO_SUP,
  ALUA_DEFAULT_IMPLICIT_TRANS_SECS,
  ALUA_DEFAULT_NONOP_DELAY_MSECS,
  ALUA_DEFAULT_TRANS_DELAY_MSECS,
  ALUA_O_SUP,
  ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG,
  ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA,
  ALUA_S_SUP,
  ALUA_T_SUP,
  ALUA_U_SUP,
  ASCQ_2AH_ASYMMETRIC_ACCESS_STATE_CHANGED,
  ASCQ_3FH_INQUIRY_DATA_HAS_CHANGED,
  HBA_FLAGS_INTERNAL_USE,
  TCM_ALUA_OFFLINE,
  TCM_INVALID_CDB_FIELD,
  TCM_NO_SENSE,
  TG_PT_GROUP_NAME_BUF,
  TPGS_EXPLICIT_ALUA,
  TPGS_IMPLICIT_ALUA,
  TRANSPORT_FLAG_PASSTHROUGH_ALUA,
  coreAluaDumpState,
  coreAluaDumpStatus,
  coreAluaStateLbaDependent,
  coreAluaStateNonoptimized,
  coreAluaStateStandby,
  coreAluaStateTransition,
  coreAluaStateUnavailable,
  coreAluaUpdateTpgPrimaryMetadata,
  coreAluaUpdateTpgSecondaryMetadata,
  coreScsi3UaAllocate,
  cpuRelax,
  kstrtoul,
  lunDeveList,
  lunRefPut,
  lunRefTrygetLive,
  lunTgPtGpLink,
  msleepInterruptible,
  prDebug,
  prErr,
  t10AluaTgPtGpCache,
  tgPtGpAluaLun,
  tgPtGpAluaNacl,
  tgPtGpList,
  tgPtGpLunList,
  tgPtGpName,
  tgPtGpWriteMetadata,
  tgPtGpsList,
  type SeCmd,
  type SeDeviceRef,
  type SeLunRef,
  type TgPtGpRef,
} from '../lib/target.js';

/** ENODEV. */
const ENODEV = 19;

/**
 * target_alua_state_check (target_core_alua.c): may this command run on the LUN's port group in
 * its current access state? TCM_NO_SENSE if so, else the sense to return.
 */
export function targetAluaStateCheck(cmd: SeCmd): number {
  const dev = cmd.seDev;
  const cdb = cmd.tTaskCdb;
  const lun = cmd.seLun;
  let rc = TCM_NO_SENSE;

  if (dev.hbaFlags & HBA_FLAGS_INTERNAL_USE) return 0;
  if (dev.transportFlags & TRANSPORT_FLAG_PASSTHROUGH_ALUA) return 0;

  /*
   * First, check for a struct se_port specific secondary ALUA target port
   * access state: OFFLINE
   */
  if (atomicRead(lun, 'lunTgPtSecondaryOffline')) {
    // pr_debug("ALUA: Got secondary offline status for local target port\n");
    return TCM_ALUA_OFFLINE;
  }
  rcuReadLock();
  const tgPtGp = lun.lunTgPtGp; // rcu_dereference(lun->lun_tg_pt_gp)
  if (!tgPtGp) {
    rcuReadUnlock();
    return 0;
  }

  const outAluaState = tgPtGp.tgPtGpAluaAccessState;
  const nonopDelayMsecs = tgPtGp.tgPtGpNonopDelayMsecs;
  const tgPtGpId = tgPtGp.tgPtGpId;
  rcuReadUnlock();
  /*
   * Process ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED in a separate conditional
   * statement so the compiler knows explicitly to check this case first.
   */
  if (outAluaState === ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED) return 0;

  switch (outAluaState) {
    case ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED:
      coreAluaStateNonoptimized(cmd, cdb, nonopDelayMsecs);
      break;
    case ALUA_ACCESS_STATE_STANDBY:
      rc = coreAluaStateStandby(cmd, cdb);
      break;
    case ALUA_ACCESS_STATE_UNAVAILABLE:
      rc = coreAluaStateUnavailable(cmd, cdb);
      break;
    case ALUA_ACCESS_STATE_TRANSITION:
      rc = coreAluaStateTransition(cmd, cdb);
      break;
    case ALUA_ACCESS_STATE_LBA_DEPENDENT:
      rc = coreAluaStateLbaDependent(cmd, tgPtGpId);
      break;
    /*
     * OFFLINE is a secondary ALUA target port group access state, that is
     * handled above with struct se_lun->lun_tg_pt_secondary_offline=1
     */
    default:
      prErr(`Unknown ALUA access state: 0x${outAluaState.toString(16)}`);
      rc = TCM_INVALID_CDB_FIELD;
  }

  if (rc && rc !== TCM_INVALID_CDB_FIELD) {
    // pr_debug("[%s]: ALUA TG Port not available, SenseKey: NOT_READY, ASC/rc: 0x04/%d\n", ...);
  }

  return rc;
}

/**
 * core_alua_queue_state_change_ua (target_core_alua.c): after the group's access state changed,
 * establish a unit attention (ASYMMETRIC ACCESS STATE CHANGED) on every I_T nexus of every LUN
 * in the group, except, after an explicit change, the nexus that sent SET TARGET PORT GROUPS.
 * Each LUN is kept live by its percpu ref while the group lock is dropped; its nexus list is
 * walked under lun_deve_lock. se_deve->se_lun_acl is set once when the entry is created.
 */
function coreAluaQueueStateChangeUa(tgPtGp: TgPtGpRef): void {
  spinLock(tgPtGp.tgPtGpLock);
  for (const lun of listForEachEntry(tgPtGpLunList(tgPtGp))) {
    if (!lunRefTrygetLive(lun)) continue;
    spinUnlock(tgPtGp.tgPtGpLock);

    spinLock(lun.lunDeveLock);
    for (const seDeve of listForEachEntry(lunDeveList(lun))) {
      const lacl = seDeve.seLunAcl;

      // spc4r37 p.242: after an explicit state change, every I_T nexus other than the one
      // that sent SET TARGET PORT GROUPS gets the unit attention.
      if (
        tgPtGp.tgPtGpAluaAccessStatus === ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG &&
        tgPtGpAluaLun(tgPtGp) !== null &&
        tgPtGpAluaLun(tgPtGp) === lun
      )
        continue;

      // se_lun_acl may be NULL for an entry created without explicit Node+MappedLUN ACLs.
      if (lacl && tgPtGpAluaNacl(tgPtGp) !== null && tgPtGpAluaNacl(tgPtGp) === lacl.seLunNacl) continue;

      coreScsi3UaAllocate(seDeve, 0x2a, ASCQ_2AH_ASYMMETRIC_ACCESS_STATE_CHANGED);
    }
    spinUnlock(lun.lunDeveLock);

    spinLock(tgPtGp.tgPtGpLock);
    lunRefPut(lun);
  }
  spinUnlock(tgPtGp.tgPtGpLock);
}

/**
 * core_alua_do_transition_tg_pt (target_core_alua.c): move the group to `newState` by way of
 * TRANSITION, under its transition mutex, raising the unit attentions at each step.
 */
function coreAluaDoTransitionTgPt(tgPtGp: TgPtGpRef, newState: number, explicit: number): number {
  spinLock(tgPtGp.tgPtGpTransitionMutex); // mutex_lock(&tg_pt_gp->tg_pt_gp_transition_mutex)
  // Nothing to be done here
  if (tgPtGp.tgPtGpAluaAccessState === newState) {
    spinUnlock(tgPtGp.tgPtGpTransitionMutex);
    return 0;
  }

  if (explicit && newState === ALUA_ACCESS_STATE_TRANSITION) {
    spinUnlock(tgPtGp.tgPtGpTransitionMutex);
    return -EAGAIN;
  }

  // Save the old primary ALUA access state, and set the current state to TRANSITION.
  const prevState = tgPtGp.tgPtGpAluaAccessState;
  tgPtGp.tgPtGpAluaAccessState = ALUA_ACCESS_STATE_TRANSITION;
  tgPtGp.tgPtGpAluaAccessStatus = explicit ? ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG : ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA;

  coreAluaQueueStateChangeUa(tgPtGp);

  if (newState === ALUA_ACCESS_STATE_TRANSITION) {
    spinUnlock(tgPtGp.tgPtGpTransitionMutex);
    return 0;
  }

  // Check for the optional ALUA primary state transition delay
  if (tgPtGp.tgPtGpTransDelayMsecs !== 0) msleepInterruptible(tgPtGp.tgPtGpTransDelayMsecs);

  // Set the current primary ALUA access state to the requested new state
  tgPtGp.tgPtGpAluaAccessState = newState;

  // Update the ALUA metadata file; failing to write it does not affect the transition.
  if (tgPtGpWriteMetadata(tgPtGp)) coreAluaUpdateTpgPrimaryMetadata(tgPtGp);

  prDebug(
    `Successful ${explicit ? 'explicit' : 'implicit'} ALUA transition TG PT Group: ${tgPtGpName(tgPtGp)} ID: ${tgPtGp.tgPtGpId}` +
      ` from primary access state ${coreAluaDumpState(prevState)} to ${coreAluaDumpState(newState)}`,
  );

  coreAluaQueueStateChangeUa(tgPtGp);

  spinUnlock(tgPtGp.tgPtGpTransitionMutex); // mutex_unlock
  return 0;
}

/**
 * core_alua_set_tg_pt_secondary_state (target_core_alua.c): set or clear the LUN's secondary
 * OFFLINE state, then wait the group's transition delay.
 */
function coreAluaSetTgPtSecondaryState(lun: SeLunRef, explicit: number, offline: number): number {
  rcuReadLock();
  const tgPtGp = lun.lunTgPtGp; // rcu_dereference(lun->lun_tg_pt_gp)
  if (!tgPtGp) {
    rcuReadUnlock();
    prErr('Unable to complete secondary state transition');
    return -EINVAL;
  }
  const transDelayMsecs = tgPtGp.tgPtGpTransDelayMsecs;
  /*
   * Set the secondary ALUA target port access state to OFFLINE
   * or release the previously secondary state for struct se_lun
   */
  if (offline) atomicSet(lun, 'lunTgPtSecondaryOffline', 1);
  else atomicSet(lun, 'lunTgPtSecondaryOffline', 0);

  lun.lunTgPtSecondaryStat = explicit ? ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG : ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA;

  // pr_debug("Successful %s ALUA transition TG PT Group: %s ID: %hu to secondary access state: %s\n",
  //          ..., config_item_name(&tg_pt_gp->tg_pt_gp_group.cg_item), tg_pt_gp->tg_pt_gp_id, ...);

  rcuReadUnlock();
  /*
   * Do the optional transition delay after we set the secondary
   * ALUA access state.
   */
  if (transDelayMsecs !== 0) msleepInterruptible(transDelayMsecs);
  /*
   * See if we need to update the ALUA fabric port metadata for
   * secondary state and status
   */
  if (lun.lunTgPtSecondaryWriteMd) coreAluaUpdateTpgSecondaryMetadata(lun);

  return 0;
}

/** core_alua_allocate_tg_pt_gp (target_core_alua.c): a new port group, listed on the device if it is the default one. */
export function coreAluaAllocateTgPtGp(dev: SeDeviceRef, name: string, defGroup: number): TgPtGpRef | null {
  // kmem_cache_zalloc() cannot return NULL here: the runtime throws when the heap is full.
  const tgPtGp = kmemCacheAlloc(t10AluaTgPtGpCache);

  initListNode(tgPtGpList(tgPtGp)); // INIT_LIST_HEAD(&tg_pt_gp->tg_pt_gp_list)
  initListHead(tgPtGpLunList(tgPtGp)); // INIT_LIST_HEAD(&tg_pt_gp->tg_pt_gp_lun_list)
  spinLockInit(tgPtGp.tgPtGpTransitionMutex); // mutex_init(&tg_pt_gp->tg_pt_gp_transition_mutex)
  spinLockInit(tgPtGp.tgPtGpLock);
  atomicSet(tgPtGp, 'tgPtGpRefCnt', 0);
  tgPtGp.tgPtGpDev = dev;
  tgPtGp.tgPtGpAluaAccessState = ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED;
  /*
   * Enable both explicit and implicit ALUA support by default
   */
  tgPtGp.tgPtGpAluaAccessType = TPGS_EXPLICIT_ALUA | TPGS_IMPLICIT_ALUA;
  /*
   * Set the default Active/NonOptimized Delay in milliseconds
   */
  tgPtGp.tgPtGpNonopDelayMsecs = ALUA_DEFAULT_NONOP_DELAY_MSECS;
  tgPtGp.tgPtGpTransDelayMsecs = ALUA_DEFAULT_TRANS_DELAY_MSECS;
  tgPtGp.tgPtGpImplicitTransSecs = ALUA_DEFAULT_IMPLICIT_TRANS_SECS;

  /*
   * Enable all supported states
   */
  tgPtGp.tgPtGpAluaSupportedStates = ALUA_T_SUP | ALUA_O_SUP | ALUA_U_SUP | ALUA_S_SUP | ALUA_AN_SUP | ALUA_AO_SUP;

  if (defGroup) {
    spinLock(dev.tgPtGpsLock);
    tgPtGp.tgPtGpId = dev.aluaTgPtGpsCounter++;
    tgPtGp.tgPtGpValidId = 1;
    dev.aluaTgPtGpsCount++;
    listAddTail(tgPtGpList(tgPtGp), tgPtGpsList(dev));
    spinUnlock(dev.tgPtGpsLock);
  }

  return tgPtGp;
}

/**
 * core_alua_free_tg_pt_gp (target_core_alua.c): take a port group off its device, point every
 * LUN of it at the default group (or at nothing), wait for a grace period, free it.
 */
export function coreAluaFreeTgPtGp(tgPtGp: TgPtGpRef): void {
  const dev = tgPtGp.tgPtGpDev!;

  /*
   * Once we have reached this point, config_item_put() has already
   * been called from target_core_alua_drop_tg_pt_gp().
   *
   * Here we remove *tg_pt_gp from the global list so that
   * no associations *OR* explicit ALUA via SET_TARGET_PORT_GROUPS
   * can be made while we are releasing struct t10_alua_tg_pt_gp.
   */
  spinLock(dev.tgPtGpsLock);
  if (tgPtGp.tgPtGpValidId) {
    listDel(tgPtGpList(tgPtGp));
    dev.aluaTgPtGpsCount--;
  }
  spinUnlock(dev.tgPtGpsLock);

  /*
   * Allow a struct t10_alua_tg_pt_gp_member * referenced by
   * core_alua_get_tg_pt_gp_by_name() in
   * target_core_configfs.c:target_core_store_alua_tg_pt_gp()
   * to be released with core_alua_put_tg_pt_gp_from_name().
   */
  while (atomicRead(tgPtGp, 'tgPtGpRefCnt')) cpuRelax();

  /*
   * Release reference to struct t10_alua_tg_pt_gp from all associated
   * struct se_port.
   */
  spinLock(tgPtGp.tgPtGpLock);
  for (const lun of listForEachEntrySafe(tgPtGpLunList(tgPtGp))) {
    listDelInit(lunTgPtGpLink(lun));
    tgPtGp.tgPtGpMembers--;

    spinUnlock(tgPtGp.tgPtGpLock);
    /*
     * If the passed tg_pt_gp does NOT match the default_tg_pt_gp,
     * assume we want to re-associate a given tg_pt_gp_mem with
     * default_tg_pt_gp.
     */
    spinLock(lun.lunTgPtGpLock);
    if (tgPtGp !== dev.defaultTgPtGp) {
      __targetAttachTgPtGp(lun, dev.defaultTgPtGp!);
    } else lun.lunTgPtGp = null; // rcu_assign_pointer(lun->lun_tg_pt_gp, NULL)
    spinUnlock(lun.lunTgPtGpLock);

    spinLock(tgPtGp.tgPtGpLock);
  }
  spinUnlock(tgPtGp.tgPtGpLock);

  synchronizeRcu();
  kmemCacheFree(t10AluaTgPtGpCache, tgPtGp);
}

/**
 * core_alua_get_tg_pt_gp_by_name (target_core_alua.c): the device's port group of that
 * configfs name, kept alive by tg_pt_gp_ref_cnt until core_alua_put_tg_pt_gp_from_name().
 */
function coreAluaGetTgPtGpByName(dev: SeDeviceRef, name: string): TgPtGpRef | null {
  spinLock(dev.tgPtGpsLock);
  for (const tgPtGp of listForEachEntry(tgPtGpsList(dev))) {
    if (!tgPtGp.tgPtGpValidId) continue;
    if (tgPtGpName(tgPtGp) === name) {
      // !strcmp(config_item_name(ci), name)
      atomicInc(tgPtGp, 'tgPtGpRefCnt');
      spinUnlock(dev.tgPtGpsLock);
      return tgPtGp;
    }
  }
  spinUnlock(dev.tgPtGpsLock);

  return null;
}

/** core_alua_put_tg_pt_gp_from_name (target_core_alua.c). */
function coreAluaPutTgPtGpFromName(tgPtGp: TgPtGpRef): void {
  const dev = tgPtGp.tgPtGpDev!;

  spinLock(dev.tgPtGpsLock);
  atomicDec(tgPtGp, 'tgPtGpRefCnt');
  spinUnlock(dev.tgPtGpsLock);
}

/**
 * __target_attach_tg_pt_gp (target_core_alua.c): point the LUN at `tgPtGp` and list it there.
 * assert_spin_locked(&lun->lun_tg_pt_gp_lock).
 * @mustHold lun.lunTgPtGpLock
 */
function __targetAttachTgPtGp(lun: SeLunRef, tgPtGp: TgPtGpRef): void {
  lockdepAssertHeld(lun.lunTgPtGpLock); // assert_spin_locked(&lun->lun_tg_pt_gp_lock)

  spinLock(tgPtGp.tgPtGpLock);
  lun.lunTgPtGp = tgPtGp; // rcu_assign_pointer(lun->lun_tg_pt_gp, tg_pt_gp)
  listAddTail(lunTgPtGpLink(lun), tgPtGpLunList(tgPtGp));
  tgPtGp.tgPtGpMembers++;
  spinLock(lun.lunDeveLock);
  for (const seDeve of listForEachEntry(lunDeveList(lun)))
    coreScsi3UaAllocate(seDeve, 0x3f, ASCQ_3FH_INQUIRY_DATA_HAS_CHANGED);
  spinUnlock(lun.lunDeveLock);
  spinUnlock(tgPtGp.tgPtGpLock);
}

/** target_attach_tg_pt_gp (target_core_alua.c). */
export function targetAttachTgPtGp(lun: SeLunRef, tgPtGp: TgPtGpRef): void {
  spinLock(lun.lunTgPtGpLock);
  __targetAttachTgPtGp(lun, tgPtGp);
  spinUnlock(lun.lunTgPtGpLock);
  synchronizeRcu();
}

/**
 * __target_detach_tg_pt_gp (target_core_alua.c): take the LUN off the group's list.
 * assert_spin_locked(&lun->lun_tg_pt_gp_lock).
 * @mustHold lun.lunTgPtGpLock
 */
function __targetDetachTgPtGp(lun: SeLunRef, tgPtGp: TgPtGpRef): void {
  lockdepAssertHeld(lun.lunTgPtGpLock); // assert_spin_locked(&lun->lun_tg_pt_gp_lock)

  spinLock(tgPtGp.tgPtGpLock);
  listDelInit(lunTgPtGpLink(lun));
  tgPtGp.tgPtGpMembers--;
  spinUnlock(tgPtGp.tgPtGpLock);
}

/** target_detach_tg_pt_gp (target_core_alua.c): the LUN leaves its group. */
export function targetDetachTgPtGp(lun: SeLunRef): void {
  spinLock(lun.lunTgPtGpLock);
  // rcu_dereference_check(lun->lun_tg_pt_gp, lockdep_is_held(&lun->lun_tg_pt_gp_lock))
  const tgPtGp = lun.lunTgPtGp;
  if (tgPtGp) {
    __targetDetachTgPtGp(lun, tgPtGp);
    lun.lunTgPtGp = null; // rcu_assign_pointer(lun->lun_tg_pt_gp, NULL)
  }
  spinUnlock(lun.lunTgPtGpLock);
  synchronizeRcu();
}

/**
 * target_swap_tg_pt_gp (target_core_alua.c): move the LUN from one group to another.
 * assert_spin_locked(&lun->lun_tg_pt_gp_lock).
 * @mustHold lun.lunTgPtGpLock
 */
function targetSwapTgPtGp(lun: SeLunRef, oldTgPtGp: TgPtGpRef | null, newTgPtGp: TgPtGpRef): void {
  lockdepAssertHeld(lun.lunTgPtGpLock); // assert_spin_locked(&lun->lun_tg_pt_gp_lock)

  if (oldTgPtGp) __targetDetachTgPtGp(lun, oldTgPtGp);
  __targetAttachTgPtGp(lun, newTgPtGp);
}

/** core_alua_show_tg_pt_gp_info (target_core_alua.c): the configfs text of the LUN's port group. */
export function coreAluaShowTgPtGpInfo(lun: SeLunRef, page: { text: string }): number {
  let len = 0;

  rcuReadLock();
  const tgPtGp = lun.lunTgPtGp; // rcu_dereference(lun->lun_tg_pt_gp)
  if (tgPtGp) {
    page.text =
      `TG Port Alias: ${tgPtGpName(tgPtGp)}\nTG Port Group ID: ${tgPtGp.tgPtGpId}\n` +
      `TG Port Primary Access State: ${coreAluaDumpState(tgPtGp.tgPtGpAluaAccessState)}\n` +
      `TG Port Primary Access Status: ${coreAluaDumpStatus(tgPtGp.tgPtGpAluaAccessStatus)}\n` +
      `TG Port Secondary Access State: ${atomicRead(lun, 'lunTgPtSecondaryOffline') ? 'Offline' : 'None'}\n` +
      `TG Port Secondary Access Status: ${coreAluaDumpStatus(lun.lunTgPtSecondaryStat)}\n`;
    len += page.text.length;
  }
  rcuReadUnlock();

  return len;
}

/**
 * core_alua_store_tg_pt_gp_info (target_core_alua.c): move the LUN to the port group named in
 * `page`, or back to the default group for "NULL".
 */
export function coreAluaStoreTgPtGpInfo(lun: SeLunRef, page: string, count: number): number {
  /*
   * rcu_dereference_raw protected by se_lun->lun_group symlink
   * reference to se_device->dev_group.
   */
  const dev = lun.lunSeDev!;
  let tgPtGp: TgPtGpRef | null = null;
  let tgPtGpNew: TgPtGpRef | null = null;
  let move = 0;

  if (dev.transportFlags & TRANSPORT_FLAG_PASSTHROUGH_ALUA || dev.hbaFlags & HBA_FLAGS_INTERNAL_USE) return -ENODEV;

  if (count > TG_PT_GROUP_NAME_BUF) {
    prErr('ALUA Target Port Group alias too large!');
    return -EINVAL;
  }
  const buf = page.slice(0, count); // memset(buf, 0, ...); memcpy(buf, page, count)
  /*
   * Any ALUA target port group alias besides "NULL" means we will be
   * making a new group association.
   */
  syncRcu: {
    if (buf.trim() !== 'NULL') {
      /*
       * core_alua_get_tg_pt_gp_by_name() will increment reference to
       * struct t10_alua_tg_pt_gp.  This reference is released with
       * core_alua_put_tg_pt_gp_from_name() below.
       */
      tgPtGpNew = coreAluaGetTgPtGpByName(dev, buf.trim());
      if (!tgPtGpNew) return -ENODEV;
    }

    spinLock(lun.lunTgPtGpLock);
    // rcu_dereference_check(lun->lun_tg_pt_gp, lockdep_is_held(&lun->lun_tg_pt_gp_lock))
    tgPtGp = lun.lunTgPtGp;
    if (tgPtGp) {
      /*
       * Clearing an existing tg_pt_gp association, and replacing
       * with the default_tg_pt_gp.
       */
      if (!tgPtGpNew) {
        // pr_debug("Target_Core_ConfigFS: Moving %s/tpgt_%hu/%s from ALUA Target Port Group:
        //          alua/%s, ID: %hu back to default_tg_pt_gp\n", ...);
        targetSwapTgPtGp(lun, tgPtGp, dev.defaultTgPtGp!);
        spinUnlock(lun.lunTgPtGpLock);

        break syncRcu;
      }
      move = 1;
    }

    targetSwapTgPtGp(lun, tgPtGp, tgPtGpNew!);
    spinUnlock(lun.lunTgPtGpLock);
    // pr_debug("Target_Core_ConfigFS: %s %s/tpgt_%hu/%s to ALUA Target Port Group: alua/%s, ID: %hu\n",
    //          move ? "Moving" : "Adding", ..., config_item_name(&tg_pt_gp_new->tg_pt_gp_group.cg_item),
    //          tg_pt_gp_new->tg_pt_gp_id);

    coreAluaPutTgPtGpFromName(tgPtGpNew!);
  }
  // sync_rcu:
  synchronizeRcu();
  return count;
}

/** core_alua_store_offline_bit (target_core_alua.c): the configfs store of alua_tg_pt_offline. */
export function coreAluaStoreOfflineBit(lun: SeLunRef, page: string, count: number): number {
  /*
   * rcu_dereference_raw protected by se_lun->lun_group symlink
   * reference to se_device->dev_group.
   */
  const dev = lun.lunSeDev!;
  const tmp = { value: 0 };

  if (dev.transportFlags & TRANSPORT_FLAG_PASSTHROUGH_ALUA || dev.hbaFlags & HBA_FLAGS_INTERNAL_USE) return -ENODEV;

  let ret = kstrtoul(page, 0, tmp);
  if (ret < 0) {
    prErr('Unable to extract alua_tg_pt_offline value');
    return ret;
  }
  if (tmp.value !== 0 && tmp.value !== 1) {
    prErr(`Illegal value for alua_tg_pt_offline: ${tmp.value}`);
    return -EINVAL;
  }

  ret = coreAluaSetTgPtSecondaryState(lun, 0, tmp.value);
  if (ret < 0) return -EINVAL;

  return count;
}
