/**
 * @fileoverview JSDoc annotations for API boundaries and for what inference cannot see, in the
 * spirit of Clang's REQUIRES / ACQUIRE / RELEASE and sparse's __must_hold / __acquires /
 * __releases:
 *
 *   @rcuReadLockHeld          the caller must hold rcuReadLock()
 *   @acquires <lock>          returns holding <lock> (`rcu` names the read lock)
 *   @releases <lock>          is called holding <lock> and returns without it
 *   @releases rcu on failure  called in a read-side section, leaves it when returning anything
 *                             but a type-stable object (null, an ERR_PTR sentinel), stays in
 *                             it when returning one (vma_start_read(): "upon error IT IS
 *                             RELEASED"); `@acquires rcu on success` is the dual
 *   @mustHold <lock>          the caller must hold <lock>, and still holds it on return
 *   @owned <param>            the caller holds a reference on <param>: it is stable here (every
 *                             type-stable parameter is, by the parameter contract; @owned says
 *                             it in words, and what a put helper consumes)
 *   @revalidates <param>      a true result proves that what was loaded from <param> is still
 *                             current (a source-liveness re-check: the kernel's folio_mapped())
 *   @current                  returns the calling thread's own object (the kernel's `current`)
 *   @current <param>          <param> is the calling thread's own object (the caller passes
 *                             `current`): with `@ownerWrites` fields, see dataflow/owner-loads.ts
 *
 * A <lock> is written as the caller would spell it in terms of the parameters
 * (`sighand.siglock`, `this.lock`), or `rcu`.
 *
 * Where every caller is in sight, some of this is inferred instead (entry-context.ts): a private
 * helper is entered as its callers call it (in a section, under a container lock, holding the
 * last reference of an argument), and a wrapper that the project calls only with the read lock
 * held inherits its callee's @rcuReadLockHeld (inherited-read-lock.ts). An exported function no
 * project code calls gets nothing inferred: its annotations are its contract.
 */

import { ts } from 'ts-morph';

export interface Annotations {
  readonly rcuReadLockHeld: boolean;
  readonly acquires: readonly string[];
  readonly releases: readonly string[];
  readonly mustHold: readonly string[];
  readonly owned: readonly string[];
  readonly revalidates: readonly string[];
  /** `@releases rcu on failure` / `@acquires rcu on success`: the read-lock change per kind of result. */
  readonly readByResult: { readonly onObject: number; readonly onOther: number } | undefined;
  /** `@current` alone: the function returns the calling thread's own object. */
  readonly returnsCurrent: boolean;
  /** `@current <param>`: parameters that are the calling thread's own object. */
  readonly currentParams: readonly string[];
}

export const NO_ANNOTATIONS: Annotations = {
  rcuReadLockHeld: false,
  acquires: [],
  releases: [],
  mustHold: [],
  owned: [],
  revalidates: [],
  readByResult: undefined,
  returnsCurrent: false,
  currentParams: [],
};

/** The lock name used for the RCU read lock in @acquires/@releases/@mustHold. */
export const RCU_LOCK_NAME = 'rcu';

/** Normalize a lock expression's text the way lock keys are built: no whitespace, no `!`. */
export function normalizeLockText(text: string): string {
  return text.replace(/\s+/g, '').replace(/!/g, '');
}

export function readAnnotations(fn: ts.Node): Annotations {
  const tags = ts.getJSDocTags(fn);
  if (tags.length === 0) return NO_ANNOTATIONS;
  let rcuReadLockHeld = false;
  const acquires: string[] = [];
  const releases: string[] = [];
  const mustHold: string[] = [];
  const owned: string[] = [];
  const revalidates: string[] = [];
  let readByResult: Annotations['readByResult'];
  let returnsCurrent = false;
  const currentParams: string[] = [];
  for (const tag of tags) {
    const name = tag.tagName.text;
    // @owned may parse as a @param-like tag in some TS versions; take the first word of the text either way.
    const text = (ts.getTextOfJSDocComment(tag.comment) ?? '').trim();
    const arg = normalizeLockText(text.split(/\s+/)[0] ?? '');
    // `@releases rcu on failure`, `@acquires rcu on success`: not a plain release or acquire.
    const byResult = /^rcu\s+on\s+(failure|success)\b/.exec(text)?.[1];
    if (name === 'releases' && byResult === 'failure') {
      // Released on failure, so held on entry: the caller's section.
      readByResult = { onObject: 0, onOther: -1 };
      rcuReadLockHeld = true;
      continue;
    }
    if (name === 'acquires' && byResult === 'success') {
      readByResult = { onObject: 1, onOther: 0 };
      continue;
    }
    switch (name) {
      case 'rcuReadLockHeld':
        rcuReadLockHeld = true;
        break;
      case 'acquires':
        if (arg !== '') acquires.push(arg);
        break;
      case 'releases':
        if (arg !== '') releases.push(arg);
        break;
      case 'mustHold':
        if (arg === RCU_LOCK_NAME) rcuReadLockHeld = true;
        else if (arg !== '') mustHold.push(arg);
        break;
      case 'owned':
        if (arg !== '') owned.push(arg);
        break;
      case 'revalidates':
        if (arg !== '') revalidates.push(arg);
        break;
      case 'current':
        if (arg === '') returnsCurrent = true;
        else currentParams.push(arg);
        break;
    }
  }
  return {
    rcuReadLockHeld,
    acquires,
    releases,
    mustHold,
    owned,
    revalidates,
    readByResult,
    returnsCurrent,
    currentParams,
  };
}
