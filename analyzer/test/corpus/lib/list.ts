/**
 * @fileoverview The kernel's non-RCU lists (include/linux/list.h: list_head and hlist) as the
 * translations use them: lists that are only ever read and written under a lock, never walked by
 * lockless readers. They are the rest of the kernel here, declared: a head and an entry's member
 * are opaque handles of this worker, and the operations keep the kernel's names and meaning.
 * (The lists that lockless readers walk are the hlistNulls* lists of @rcukit/runtime, used
 * directly by the translations; nothing declared here may be read outside its lock.)
 */

/** A list_head (or hlist_head) of entries of type T. */
export interface ListHead<T> {
  readonly first: T | null;
}
/** An entry's list_head (or hlist_node) member. */
export interface ListNode<T> {
  readonly entry: T;
}

/** INIT_LIST_HEAD() / INIT_HLIST_HEAD(), and INIT_LIST_HEAD() / INIT_HLIST_NODE() of a member. */
export declare function initListHead<T>(head: ListHead<T>): void;
export declare function initListNode<T>(node: ListNode<T>): void;
/** list_add() / list_add_tail() / hlist_add_head(). */
export declare function listAdd<T>(node: ListNode<T>, head: ListHead<T>): void;
export declare function listAddTail<T>(node: ListNode<T>, head: ListHead<T>): void;
export declare function hlistAddHead<T>(node: ListNode<T>, head: ListHead<T>): void;
/** list_del() / list_del_init() / hlist_del_init(). */
export declare function listDel<T>(node: ListNode<T>): void;
export declare function listDelInit<T>(node: ListNode<T>): void;
export declare function hlistDelInit<T>(node: ListNode<T>): void;
/** list_empty() / hlist_empty(). */
export declare function listEmpty<T>(head: ListHead<T>): boolean;
/** list_first_entry() / hlist_entry(head->first, ...): the first entry of a list that is not empty. */
export declare function listFirstEntry<T>(head: ListHead<T>): T;
/** list_for_each_entry() / hlist_for_each_entry(): the entries, each read when the walk reaches it. */
export declare function listForEachEntry<T>(head: ListHead<T>): Iterable<T>;
/** list_for_each_entry_safe(): the same, the next entry read before the body runs. */
export declare function listForEachEntrySafe<T>(head: ListHead<T>): Iterable<T>;
