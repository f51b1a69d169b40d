/**
 * @fileoverview The I/O context structures of the kernel corpus (include/linux/iocontext.h,
 * the parts of include/linux/blkdev.h and block/elevator.h that block/blk-ioc.c touches),
 * declared with the runtime's struct API, and the kernel functions around them that blk-ioc.c
 * calls but the corpus does not translate: the radix tree (lib/radix-tree.c), the elevator's
 * hooks, the workqueue.
 *
 * An io_cq (icq) links a task's io_context with a request_queue. It lives in the elevator's
 * icq_cache, a plain cache: elv_register() (block/elevator.c) creates it with
 * `kmem_cache_create(e->icq_cache_name, e->icq_size, e->icq_align, 0, NULL)`. The issue path
 * finds it without locks (ioc_lookup_icq: the RCU hint pointer ioc->icq_hint, then the radix tree
 * ioc->icq_tree, both RCU-protected); ioc_destroy_icq() unlinks it from both under ioc->lock and
 * q->queue_lock and frees it with kfree_rcu(). The io_context's icq_list and the queue's icq_list
 * are plain lists, read and written only under those locks (lib/list.ts).
 *
 * The elevator type is not in the heap: it holds this worker's handle on the icq cache.
 */

import { defineStruct, type KmemCache, type StructDef, type StructRef } from '@rcukit/runtime';
import type { ListHead, ListNode } from './list.js';

// io_cq and io_context point at each other, so one of the two declarations needs a written type:
// io_cq's. (The checker follows a written StructDef type back to its defineStruct() call, so the
// fields stay visible either way.)
type IoCqFields = {
  /** icq->q: the queue, valid while the icq is linked (queue_lock) or the caller holds it. */
  readonly q: { readonly rcu: () => typeof RequestQueue };
  /** icq->ioc. */
  readonly ioc: { readonly rcu: () => typeof IoContext };
  /** ICQ_EXITED, ICQ_DESTROYED. */
  readonly flags: 'u32';
};
type IoCqDef = StructDef<IoCqFields, false>;

/** struct request_queue, reduced to what blk-ioc.c touches. */
export const RequestQueue = defineStruct('request_queue', {
  /** queue_lock: protects the queue's icq_list; icq links and unlinks take it. */
  queueLock: 'spinlock',
  id: 'i32',
  node: 'i32',
});
export type RequestQueueRef = StructRef<typeof RequestQueue>;

/** struct io_cq, reduced. */
export const IoCq: IoCqDef = defineStruct('io_cq', {
  q: { rcu: () => RequestQueue },
  ioc: { rcu: () => IoContext },
  flags: 'u32',
});
export type IoCqRef = StructRef<typeof IoCq>;

/** struct io_context, reduced. */
export const IoContext = defineStruct('io_context', {
  /** refcount: atomic_long_t, BUG_ON() below one on get and put. */
  refcount: 'refcount',
  /** active_ref: atomic_t, the tasks using this context. */
  activeRef: 'i32',
  ioprio: 'u16',
  /** lock: protects icq_tree and icq_list writers. */
  lock: 'spinlock',
  /** RCU-protected: the last icq found, a hint for ioc_lookup_icq(). */
  icqHint: { rcu: () => IoCq },
});
export type IoContextRef = StructRef<typeof IoContext>;

/**
 * The io_context pointer of struct task_struct, under task_lock() (alloc_lock). lib/sched.ts
 * declares the fields of task_struct the signal and exec translations touch: the same
 * task_struct, declared again.
 */
export const IoTask = defineStruct('task_struct', {
  allocLock: 'spinlock',
  flags: 'u32',
  /** Protected by task_lock(), not by RCU; a pointer field all the same. */
  ioContext: { rcu: () => IoContext },
});
export type IoTaskRef = StructRef<typeof IoTask>;

/** ICQ_EXITED, ICQ_DESTROYED (include/linux/iocontext.h); PF_EXITING; IOPRIO_DEFAULT. */
export const ICQ_EXITED = 1 << 2;
export const ICQ_DESTROYED = 1 << 3;
export const PF_EXITING = 0x00000004;
export const IOPRIO_DEFAULT = 4 << 13;

/** struct elevator_type: the icq cache and the hooks blk-ioc.c calls. */
export interface ElevatorType {
  readonly icqCache: KmemCache<typeof IoCq>;
  readonly ops: {
    readonly initIcq?: (icq: IoCqRef) => void;
    readonly exitIcq?: (icq: IoCqRef) => void;
  };
}

/** struct radix_tree_root: this worker's handle on an io_context's icq_tree. */
export interface RadixTreeRoot {
  readonly rnode: number;
}

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** `current`, seen through its io_context pointer. */
export declare function current(): IoTaskRef;
/** q->elevator->type. */
export declare function elevatorTypeOf(q: RequestQueueRef): ElevatorType;
/** &ioc->icq_tree. */
export declare function icqTree(ioc: IoContextRef): RadixTreeRoot;
/** &ioc->icq_list (an hlist) and &icq->ioc_node. */
export declare function iocIcqList(ioc: IoContextRef): ListHead<IoCqRef>;
export declare function icqIocNode(icq: IoCqRef): ListNode<IoCqRef>;
/** &q->icq_list and &icq->q_node. */
export declare function queueIcqList(q: RequestQueueRef): ListHead<IoCqRef>;
export declare function icqQNode(icq: IoCqRef): ListNode<IoCqRef>;

/** radix_tree_lookup(): "can be called under rcu_read_lock()"; the item at `index`, or null. */
export declare function radixTreeLookup(root: RadixTreeRoot, index: number): IoCqRef | null;
/** radix_tree_insert(): store `item` at `index` (readers see it from here on); 0 or a negative errno. */
export declare function radixTreeInsert(root: RadixTreeRoot, index: number, item: IoCqRef): number;
/** radix_tree_delete(): clear the slot; a reader that already loaded the item may still hold it. */
export declare function radixTreeDelete(root: RadixTreeRoot, index: number): IoCqRef | null;
/** radix_tree_maybe_preload(GFP_ATOMIC) / radix_tree_preload_end() / INIT_RADIX_TREE(). */
export declare function radixTreeMaybePreload(): number;
export declare function radixTreePreloadEnd(): void;
export declare function initRadixTree(root: RadixTreeRoot): void;
/** queue_work(system_power_efficient_wq, &ioc->release_work) / INIT_WORK(&ioc->release_work, ioc_release_fn). */
export declare function queueReleaseWork(ioc: IoContextRef): void;
export declare function initReleaseWork(ioc: IoContextRef, fn: (ioc: IoContextRef) => void): void;
/** printk(KERN_ERR ...). */
export declare function printkErr(message: string): void;
