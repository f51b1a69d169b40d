/**
 * @fileoverview The file-table structures of the kernel corpus (include/linux/fs.h,
 * include/linux/fdtable.h), declared with the runtime's struct API, and the kernel functions
 * around them that fs/file.c calls but the corpus does not translate.
 *
 * struct file lives in a SLAB_TYPESAFE_BY_RCU cache since Linux 6.7 (filp_cachep): a reader
 * that loads a file pointer from an fd table under rcu_read_lock() may find the file closed
 * and its memory reused for another open file, so it takes a reference with
 * file_ref_get() (refcountIncNotZero here) and re-reads the slot.
 *
 * The fd array: `struct file __rcu **fd` is an array of RCU pointers. The runtime's fields
 * hold one RCU pointer each, so the array is an array of heap addresses (`fd`) and the two
 * helpers below are the acquire load (rcu_dereference_raw(fdt->fd[fd])) and the release store
 * (rcu_assign_pointer(fdt->fd[fd], file)) of one slot, as the runtime's `{ rcu }` fields do.
 */

import { addressOf, defineStruct, objectAt, type Heap, type StructRef } from '@rcukit/runtime';

/** NR_OPEN_DEFAULT: the size of the fd array embedded in files_struct (fdtab). */
export const NR_OPEN_DEFAULT = 64;

/** struct file, reduced. */
export const File = defineStruct(
  'file',
  {
    /** f_ref (file_ref_t, an atomic count; zero once the file is being freed). */
    fRef: 'refcount',
    fMode: 'u32',
    fFlags: 'u32',
    /** f_pos_lock and friends are not needed; a lock word the constructor sets up. */
    fLock: 'spinlock',
  },
  { typesafeByRcu: true },
);
export type FileRef = StructRef<typeof File>;

/** struct fdtable: max_fds and the fd array (addresses of files, 0 for none). */
export const Fdtable = defineStruct('fdtable', {
  maxFds: 'i32',
  fd: { array: 'i32', length: NR_OPEN_DEFAULT },
  openFds: { array: 'u32', length: NR_OPEN_DEFAULT / 32 },
  closeOnExec: { array: 'u32', length: NR_OPEN_DEFAULT / 32 },
});
export type FdtableRef = StructRef<typeof Fdtable>;

/** struct files_struct. */
export const FilesStruct = defineStruct('files_struct', {
  count: 'i32',
  resizeInProgress: 'u8',
  /** RCU-protected: expand_fdtable() replaces it under file_lock. */
  fdt: { rcu: () => Fdtable },
  fileLock: 'spinlock',
  nextFd: 'i32',
});
export type FilesStructRef = StructRef<typeof FilesStruct>;

/** The heap the fd tables live in (one per worker, set once at start-up). */
export declare const fsHeap: Heap;

/**
 * rcu_dereference_raw(fdt->fd[fd]): an acquire load of one slot of the fd array, resolved to
 * this worker's file object (null for an empty slot).
 */
export function fdtFdLoad(fdt: FdtableRef, fd: number): FileRef | null {
  const address = Atomics.load(fdt.fd, fd);
  return address === 0 ? null : objectAt(File, fsHeap, address);
}

/** rcu_assign_pointer(fdt->fd[fd], file): a release store of one slot of the fd array. */
export function fdtFdStore(fdt: FdtableRef, fd: number, file: FileRef | null): void {
  Atomics.store(fdt.fd, fd, file === null ? 0 : addressOf(file));
}

/** `struct file __rcu **f`: a place holding an RCU pointer to a file (`&mm->exe_file`), read through. */
export type FileSlot = () => FileRef | null;

/** FMODE_PATH, FMODE_BACKING. */
export const FMODE_PATH = 0x4000;
export const FMODE_BACKING = 0x2000000;
/** O_CLOEXEC. */
export const O_CLOEXEC = 0o2000000;

// ---------------------------------------------------------------------------------------------
// The rest of the kernel: called by the translations, not translated.
// ---------------------------------------------------------------------------------------------

/** The current task's files_struct. */
export declare function currentFiles(): FilesStructRef;
/** fput(): drop a reference the caller holds; the last one frees the file into filp_cachep. */
export declare function fput(file: FileRef): void;
/** filp_close(): close a file whose table slot the caller has cleared (consumes its reference). */
export declare function filpClose(file: FileRef, files: FilesStructRef): number;
/** __put_unused_fd() / __set_open_fd(): bitmap bookkeeping under file_lock. */
export declare function putUnusedFdLocked(files: FilesStructRef, fd: number): void;
export declare function setOpenFdLocked(fd: number, fdt: FdtableRef, cloexec: boolean): void;
/** fd_is_open(). */
export declare function fdIsOpen(fd: number, fdt: FdtableRef): boolean;
/** get_file(): take another reference on a file the caller already holds. */
export declare function getFile(file: FileRef): FileRef;
/** array_index_mask_nospec(): ~0 for an index below size, else 0 (speculation barrier). */
export declare function arrayIndexMaskNospec(index: number, size: number): number;
/** cond_resched(). */
export declare function condResched(): void;
