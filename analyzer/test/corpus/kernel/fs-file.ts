/**
 * @fileoverview Translation of Linux fs/file.c: taking a reference on a file found through
 * an fd table or another RCU pointer (struct file is SLAB_TYPESAFE_BY_RCU since 6.7), and the
 * writers that publish files into fd tables and unpublish them under files->file_lock.
 *
 * Source read: fs/file.c at ColinIanKing/linux-next commit
 * 06bf6ef32a8385883d93d2774188056fcaede66e (linux-next, 6.18 cycle).
 * Functions: __get_file_rcu, get_file_rcu, get_file_active, __fget_files_rcu, __fget_files,
 * fget, fget_task, fget_task_next, fd_install, file_close_fd_locked, close_fd, do_dup2,
 * and SYSCALL_DEFINE2(dup2)'s oldfd == newfd case (ksys_dup2_same here).
 *
 * `struct file __rcu **f` (a place holding an RCU pointer, such as &mm->exe_file) is a
 * FileSlot: a function that reads the place. The fd array's slots are read and written with
 * fdtFdLoad() / fdtFdStore() (lib/fs.ts), the rcu_dereference_raw / rcu_assign_pointer of
 * one array element.
 */

import { rcuReadLock, rcuReadUnlock, refcountIncNotZero, spinLock, spinUnlock } from '@rcukit/runtime';
import {
  FMODE_BACKING,
  FMODE_PATH,
  O_CLOEXEC,
  arrayIndexMaskNospec,
  currentFiles,
  fdIsOpen,
  fdtFdLoad,
  fdtFdStore,
  filpClose,
  fput,
  getFile,
  putUnusedFdLocked,
  setOpenFdLocked,
  type FileRef,
  type FileSlot,
  type FilesStructRef,
} from '../lib/fs.js';
import { EAGAIN, EBADF, EBUSY, ErrPtr, isErr, lockdepAssertHeld, warnOn } from '../lib/kernel.js';
import type { TaskRef } from '../lib/sched.js';

/** __get_file_rcu (fs/file.c): one attempt at a reference on the file `*f` points to. */
function __getFileRcu(f: FileSlot): FileRef | ErrPtr | null {
  const file = f(); // rcu_dereference_raw(*f)
  if (!file) return null;

  if (!refcountIncNotZero(file.fRef)) return new ErrPtr(-EAGAIN);

  const fileReloaded = f(); // rcu_dereference_raw(*f)

  // OPTIMIZER_HIDE_VAR(file_reloaded_cmp): every access depends on the reload above.
  const fileReloadedCmp = fileReloaded;

  // The refcount increment was a full barrier; if the pointer still matches, the reference is
  // on the right file. If not, the file was reallocated (SLAB_TYPESAFE_BY_RCU).
  if (file === fileReloadedCmp) return fileReloaded;

  fput(file);
  return new ErrPtr(-EAGAIN);
}

/**
 * get_file_rcu (fs/file.c): "try go get a reference to a file under rcu", verifying that `*f`
 * still points to it. Returns the referenced file or null.
 * @rcuReadLockHeld
 */
export function getFileRcu(f: FileSlot): FileRef | null {
  for (;;) {
    const file = __getFileRcu(f);
    if (!isErr(file)) return file;
  }
}

/** get_file_active (fs/file.c): one attempt, in its own read-side section; null on a race. */
export function getFileActive(f: FileSlot): FileRef | null {
  rcuReadLock();
  let file = __getFileRcu(f);
  rcuReadUnlock();
  if (isErr(file)) file = null;
  return file;
}

/** __fget_files_rcu (fs/file.c): look up `fd` and take a reference, re-checking the slot and the table. */
function __fgetFilesRcu(files: FilesStructRef, fd: number, mask: number): FileRef | null {
  for (;;) {
    const fdt = files.fdt!; // rcu_dereference_raw(files->fdt)

    // Mask is a 0 for invalid fd's, ~0 for valid ones
    const nospecMask = arrayIndexMaskNospec(fd, fdt.maxFds);

    // fdentry points to the 'fd' offset, or fdt->fd[0] (always there) for an invalid fd.
    const fdentry = fd & nospecMask;

    // Do the load, then mask any invalid result
    let file = fdtFdLoad(fdt, fdentry);
    if (nospecMask === 0) file = null;
    if (!file) return null;

    // A pointer that was valid at some point: confirm it by taking a reference, then look
    // the slot up again.
    if (!refcountIncNotZero(file.fRef)) continue;

    // (a) the file was freed and maybe reused, or (b) the table entry changed under us.
    if (file !== fdtFdLoad(fdt, fdentry) || files.fdt !== fdt) {
      fput(file);
      continue;
    }

    // This isn't the file we're looking for or we're not allowed to get a reference to it.
    if (file.fMode & mask) {
      fput(file);
      return null;
    }

    // Ok, we have a ref to the file, and checked that it still exists.
    return file;
  }
}

/** __fget_files (fs/file.c). */
function __fgetFiles(files: FilesStructRef, fd: number, mask: number): FileRef | null {
  rcuReadLock();
  const file = __fgetFilesRcu(files, fd, mask);
  rcuReadUnlock();

  return file;
}

/** fget (fs/file.c), with __fget inlined. */
export function fget(fd: number): FileRef | null {
  return __fgetFiles(currentFiles(), fd, FMODE_PATH);
}

/** fget_task (fs/file.c): another task's file, under its task_lock(). */
export function fgetTask(task: TaskRef, fd: number): FileRef | null {
  let file: FileRef | null = null;

  spinLock(task.allocLock);
  const files = task.files;
  if (files) file = __fgetFiles(files, fd, 0);
  spinUnlock(task.allocLock);

  return file;
}

/** fget_task_next (fs/file.c): the first open file at or after `*retFd`, referenced. */
export function fgetTaskNext(task: TaskRef, retFd: { value: number }): FileRef | null {
  // (The kernel's comment says "Must be called with rcu_read_lock held"; the body takes it.)
  let fd = retFd.value;
  let file: FileRef | null = null;

  spinLock(task.allocLock);
  const files = task.files;
  if (files) {
    rcuReadLock();
    for (; fd < files.fdt!.maxFds; fd++) {
      file = __fgetFilesRcu(files, fd, 0);
      if (file) break;
    }
    rcuReadUnlock();
  }
  spinUnlock(task.allocLock);
  retFd.value = fd;
  return file;
}

/**
 * fd_install (fs/file.c): publish `file` in the current fd table at a reserved `fd`.
 * "This consumes the "file" refcount, so callers should treat it as if they had called
 * fput(file)."
 * @owned file
 */
export function fdInstall(fd: number, file: FileRef): void {
  const files = currentFiles();

  if (warnOn((file.fMode & FMODE_BACKING) !== 0)) return;

  rcuReadLock(); // rcu_read_lock_sched

  if (files.resizeInProgress) {
    rcuReadUnlock();
    spinLock(files.fileLock);
    const fdt = files.fdt!; // files_fdtable(files)
    warnOn(fdtFdLoad(fdt, fd) !== null); // VFS_BUG_ON(rcu_access_pointer(fdt->fd[fd]) != NULL)
    fdtFdStore(fdt, fd, file);
    spinUnlock(files.fileLock);
    return;
  }
  // coupled with smp_wmb() in expand_fdtable()
  const fdt = files.fdt!; // rcu_dereference_sched(files->fdt)
  warnOn(fdtFdLoad(fdt, fd) !== null);
  fdtFdStore(fdt, fd, file);
  rcuReadUnlock();
}

/**
 * file_close_fd_locked (fs/file.c): unpublish `fd` and hand the table's reference on its file
 * to the caller. "Context: files_lock must be held."
 * @mustHold files.fileLock
 */
export function fileCloseFdLocked(files: FilesStructRef, fd: number): FileRef | null {
  const fdt = files.fdt!; // files_fdtable(files)

  lockdepAssertHeld(files.fileLock);

  if (fd >= fdt.maxFds) return null;

  fd = arrayIndexNospec(fd, fdt.maxFds);
  const file = fdtFdLoad(fdt, fd); // rcu_dereference_raw(fdt->fd[fd])
  if (file) {
    fdtFdStore(fdt, fd, null);
    putUnusedFdLocked(files, fd);
  }
  return file;
}

/** close_fd (fs/file.c). */
export function closeFd(fd: number): number {
  const files = currentFiles();

  spinLock(files.fileLock);
  const file = fileCloseFdLocked(files, fd);
  spinUnlock(files.fileLock);
  if (!file) return -EBADF;

  return filpClose(file, files);
}

/**
 * do_dup2 (fs/file.c): install `file` at `fd`, closing what was there; called with
 * files->file_lock held, returns without it.
 * @releases files.fileLock
 */
export function doDup2(files: FilesStructRef, file: FileRef, fd: number, flags: number): number {
  ebusy: {
    // An fd that is allocated but not yet installed: dup2() over it is refused (-EBUSY).
    const fdt = files.fdt!; // files_fdtable(files)
    fd = arrayIndexNospec(fd, fdt.maxFds);
    const tofree = fdtFdLoad(fdt, fd); // rcu_dereference_raw(fdt->fd[fd])
    if (!tofree && fdIsOpen(fd, fdt)) break ebusy;
    getFile(file);
    fdtFdStore(fdt, fd, file);
    setOpenFdLocked(fd, fdt, (flags & O_CLOEXEC) !== 0);
    spinUnlock(files.fileLock);

    if (tofree) filpClose(tofree, files);

    return fd;
  }
  // Ebusy:
  spinUnlock(files.fileLock);
  return -EBUSY;
}

/** SYSCALL_DEFINE2(dup2) (fs/file.c), the oldfd == newfd corner case: is oldfd open? */
export function ksysDup2Same(oldfd: number): number {
  const files = currentFiles();
  let retval = oldfd;

  rcuReadLock();
  const f = __fgetFilesRcu(files, oldfd, 0);
  if (!f) retval = -EBADF;
  rcuReadUnlock();
  if (f) fput(f);
  return retval;
}

/** array_index_nospec(): the index, or 0 when it is out of bounds. */
function arrayIndexNospec(index: number, size: number): number {
  return index & arrayIndexMaskNospec(index, size);
}
