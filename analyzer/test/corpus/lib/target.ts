/**
 * @fileoverview The ALUA structures of the kernel corpus (include/target/target_core_base.h),
 * declared with the runtime's struct API, and the kernel functions around them that
 * drivers/target/target_core_alua.c calls but the corpus does not translate: configfs names,
 * unit attentions, metadata files and the per-state CDB tables. Its list_head lists are only
 * ever touched under a lock (lib/list.ts).
 *
 * A target port group (struct t10_alua_tg_pt_gp) lives in t10_alua_tg_pt_gp_cache, a plain
 * cache: init_se_kmem_caches() (drivers/target/target_core_transport.c) creates it with
 * `kmem_cache_create("t10_alua_tg_pt_gp_cache", sizeof(...), __alignof__(...), 0, NULL)`, no
 * flags. Each LUN points to its group through the RCU pointer lun->lun_tg_pt_gp, which the
 * command path reads under rcu_read_lock() without taking a reference; the group is freed only
 * after every LUN has been pointed elsewhere and synchronize_rcu() has returned.
 */

import { defineStruct, type KmemCache, type StructDef, type StructRef } from '@rcukit/runtime';
import type { ListHead, ListNode } from './list.js';

type TgPtGpFields = {
  readonly tgPtGpLock: 'spinlock';
  /** tg_pt_gp_transition_mutex (a mutex). */
  readonly tgPtGpTransitionMutex: 'spinlock';
  /** tg_pt_gp_ref_cnt: an atomic_t that keeps configfs lookups (core_alua_get_tg_pt_gp_by_name) alive. */
  readonly tgPtGpRefCnt: 'i32';
  readonly tgPtGpMembers: 'i32';
  readonly tgPtGpId: 'u16';
  readonly tgPtGpValidId: 'i32';
  readonly tgPtGpAluaAccessState: 'i32';
  readonly tgPtGpAluaAccessStatus: 'i32';
  readonly tgPtGpAluaAccessType: 'i32';
  readonly tgPtGpAluaSupportedStates: 'i32';
  readonly tgPtGpNonopDelayMsecs: 'i32';
  readonly tgPtGpTransDelayMsecs: 'i32';
  readonly tgPtGpImplicitTransSecs: 'i32';
  readonly tgPtGpPref: 'i32';
  /** tg_pt_gp_dev: the device the group belongs to, set at allocation. */
  readonly tgPtGpDev: { readonly rcu: () => SeDeviceDef };
};
type TgPtGpDef = StructDef<TgPtGpFields, false>;

type SeDeviceFields = {
  /** t10_alua.tg_pt_gps_lock: protects tg_pt_gps_list and the counters. */
  readonly tgPtGpsLock: 'spinlock';
  readonly aluaTgPtGpsCount: 'u32';
  readonly aluaTgPtGpsCounter: 'u16';
  /** t10_alua.default_tg_pt_gp, set when the device is configured. */
  readonly defaultTgPtGp: { readonly rcu: () => TgPtGpDef };
  readonly transportFlags: 'u32';
  /** dev->se_hba->hba_flags. */
  readonly hbaFlags: 'u32';
};
type SeDeviceDef = StructDef<SeDeviceFields, false>;

/** struct t10_alua_tg_pt_gp, reduced. */
export const TgPtGp: TgPtGpDef = defineStruct('t10_alua_tg_pt_gp', {
  tgPtGpLock: 'spinlock',
  tgPtGpTransitionMutex: 'spinlock',
  tgPtGpRefCnt: 'i32',
  tgPtGpMembers: 'i32',
  tgPtGpId: 'u16',
  tgPtGpValidId: 'i32',
  tgPtGpAluaAccessState: 'i32',
  tgPtGpAluaAccessStatus: 'i32',
  tgPtGpAluaAccessType: 'i32',
  tgPtGpAluaSupportedStates: 'i32',
  tgPtGpNonopDelayMsecs: 'i32',
  tgPtGpTransDelayMsecs: 'i32',
  tgPtGpImplicitTransSecs: 'i32',
  tgPtGpPref: 'i32',
  tgPtGpDev: { rcu: (): SeDeviceDef => SeDevice },
});
export type TgPtGpRef = StructRef<typeof TgPtGp>;

/** struct se_device, reduced to its t10_alua part and the flags the ALUA code tests. */
export const SeDevice: SeDeviceDef = defineStruct('se_device', {
  tgPtGpsLock: 'spinlock',
  aluaTgPtGpsCount: 'u32',
  aluaTgPtGpsCounter: 'u16',
  defaultTgPtGp: { rcu: (): TgPtGpDef => TgPtGp },
  transportFlags: 'u32',
  hbaFlags: 'u32',
});
export type SeDeviceRef = StructRef<typeof SeDevice>;

/** struct se_lun, reduced. */
export const SeLun = defineStruct('se_lun', {
  /** lun_tg_pt_gp_lock: serializes the writers of lun_tg_pt_gp. */
  lunTgPtGpLock: 'spinlock',
  /** RCU-protected: the LUN's target port group. */
  lunTgPtGp: { rcu: () => TgPtGp },
  lunTgPtSecondaryOffline: 'i32',
  lunTgPtSecondaryStat: 'i32',
  lunTgPtSecondaryWriteMd: 'i32',
  lunDeveLock: 'spinlock',
  /** RCU-protected: the LUN's device. */
  lunSeDev: { rcu: () => SeDevice },
});
export type SeLunRef = StructRef<typeof SeLun>;

/** struct se_cmd, reduced to what target_alua_state_check() reads. */
export interface SeCmd {
  readonly seDev: SeDeviceRef;
  readonly seLun: SeLunRef;
  readonly tTaskCdb: Uint8Array;
}

/** struct se_node_acl (an initiator's ACL): only its identity matters here. */
export interface SeNodeAcl {
  readonly initiatorname: string;
}
/** struct se_lun_acl: a mapped LUN's ACL, which names its initiator's node ACL. */
export interface SeLunAcl {
  readonly seLunNacl: SeNodeAcl;
}
/** struct se_dev_entry (an I_T nexus's view of a LUN). */
export interface SeDevEntry {
  readonly mappedLun: number;
  /** se_lun_acl: set when the entry is created, NULL without explicit Node+MappedLUN ACLs. */
  readonly seLunAcl: SeLunAcl | null;
}

/** ALUA access states, status codes, types and supported-state bits (target_core_alua.h). */
export const ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED = 0x0;
export const ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED = 0x1;
export const ALUA_ACCESS_STATE_STANDBY = 0x2;
export const ALUA_ACCESS_STATE_UNAVAILABLE = 0x3;
export const ALUA_ACCESS_STATE_LBA_DEPENDENT = 0x4;
export const ALUA_ACCESS_STATE_OFFLINE = 0xe;
export const ALUA_ACCESS_STATE_TRANSITION = 0xf;
export const ALUA_STATUS_ALTERED_BY_EXPLICIT_STPG = 0x01;
export const ALUA_STATUS_ALTERED_BY_IMPLICIT_ALUA = 0x02;
export const TPGS_IMPLICIT_ALUA = 0x10;
export const TPGS_EXPLICIT_ALUA = 0x20;
export const ALUA_T_SUP = 0x80;
export const ALUA_O_SUP = 0x40;
export const ALUA_LBD_SUP = 0x10;
export const ALUA_U_SUP = 0x08;
export const ALUA_S_SUP = 0x04;
export const ALUA_AN_SUP = 0x02;
export const ALUA_AO_SUP = 0x01;
export const ALUA_DEFAULT_NONOP_DELAY_MSECS = 100;
export const ALUA_DEFAULT_TRANS_DELAY_MSECS = 0;
export const ALUA_DEFAULT_IMPLICIT_TRANS_SECS = 0;
export const HBA_FLAGS_INTERNAL_USE = 0x01;
export const TRANSPORT_FLAG_PASSTHROUGH_ALUA = 0x2;
export const TG_PT_GROUP_NAME_BUF = 256;
/** sense_reason_t values the ALUA code returns. */
export const TCM_NO_SENSE = 0;
export const TCM_INVALID_CDB_FIELD = 0x6;
export const TCM_ALUA_OFFLINE = 0x1a;
/** ASCQ_3FH_INQUIRY_DATA_HAS_CHANGED. */
export const ASCQ_3FH_INQUIRY_DATA_HAS_CHANGED = 0x03;
/** ASCQ_2AH_ASYMMETRIC_ACCESS_STATE_CHANGED. */
export const ASCQ_2AH_ASYMMETRIC_ACCESS_STATE_CHANGED = 0x06;

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** t10_alua_tg_pt_gp_cache (drivers/target/target_core_transport.c; created with flags 0). */
export declare const t10AluaTgPtGpCache: KmemCache<typeof TgPtGp>;

/** &dev->t10_alua.tg_pt_gps_list, &tg_pt_gp->tg_pt_gp_list. */
export declare function tgPtGpsList(dev: SeDeviceRef): ListHead<TgPtGpRef>;
export declare function tgPtGpList(tgPtGp: TgPtGpRef): ListNode<TgPtGpRef>;
/** &tg_pt_gp->tg_pt_gp_lun_list, &lun->lun_tg_pt_gp_link. */
export declare function tgPtGpLunList(tgPtGp: TgPtGpRef): ListHead<SeLunRef>;
export declare function lunTgPtGpLink(lun: SeLunRef): ListNode<SeLunRef>;
/** &lun->lun_deve_list. */
export declare function lunDeveList(lun: SeLunRef): ListHead<SeDevEntry>;

/**
 * tg_pt_gp->tg_pt_gp_alua_lun / tg_pt_gp->tg_pt_gp_alua_nacl: the LUN and initiator of the SET
 * TARGET PORT GROUPS command that changed the state, set by core_alua_do_port_transition().
 */
export declare function tgPtGpAluaLun(tgPtGp: TgPtGpRef): SeLunRef | null;
export declare function tgPtGpAluaNacl(tgPtGp: TgPtGpRef): SeNodeAcl | null;
/** percpu_ref_tryget_live(&lun->lun_ref) / percpu_ref_put(&lun->lun_ref): keep the LUN from being shut down. */
export declare function lunRefTrygetLive(lun: SeLunRef): boolean;
export declare function lunRefPut(lun: SeLunRef): void;
/** config_item_name(&tg_pt_gp->tg_pt_gp_group.cg_item) / config_item_name(&lun->lun_group.cg_item). */
export declare function tgPtGpName(tgPtGp: TgPtGpRef): string;
/** core_scsi3_ua_allocate(). */
export declare function coreScsi3UaAllocate(deve: SeDevEntry, asc: number, ascq: number): void;
/** core_alua_dump_state() / core_alua_dump_status() (target_core_alua.c: string tables). */
export declare function coreAluaDumpState(state: number): string;
export declare function coreAluaDumpStatus(status: number): string;
/** core_alua_state_nonoptimized/_standby/_unavailable/_transition/_lba_dependent (target_core_alua.c: CDB tables). */
export declare function coreAluaStateNonoptimized(cmd: SeCmd, cdb: Uint8Array, nonopDelayMsecs: number): void;
export declare function coreAluaStateStandby(cmd: SeCmd, cdb: Uint8Array): number;
export declare function coreAluaStateUnavailable(cmd: SeCmd, cdb: Uint8Array): number;
export declare function coreAluaStateTransition(cmd: SeCmd, cdb: Uint8Array): number;
export declare function coreAluaStateLbaDependent(cmd: SeCmd, tgPtGpId: number): number;
/** core_alua_update_tpg_primary_metadata() (target_core_alua.c: writes a file; transition mutex held). */
export declare function coreAluaUpdateTpgPrimaryMetadata(tgPtGp: TgPtGpRef): number;
/** tg_pt_gp->tg_pt_gp_write_metadata: whether state changes are saved to a file. */
export declare function tgPtGpWriteMetadata(tgPtGp: TgPtGpRef): boolean;
/** core_alua_update_tpg_secondary_metadata() (target_core_alua.c: writes a file). */
export declare function coreAluaUpdateTpgSecondaryMetadata(lun: SeLunRef): number;
/** msleep_interruptible(), cpu_relax(). */
export declare function msleepInterruptible(msecs: number): void;
export declare function cpuRelax(): void;
/** kstrtoul(): parse `s` into res.value; 0 or a negative errno. */
export declare function kstrtoul(s: string, base: number, res: { value: number }): number;
/** pr_err(), pr_debug(). */
export declare function prErr(message: string): void;
export declare function prDebug(message: string): void;
