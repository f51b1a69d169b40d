/**
 * @fileoverview Locks that keep an object allocated without being its own: a lock reached
 * through the object (`anonVma.root.rwsem`) that every free of the object's struct in the
 * project takes before kmemCacheFree(). The kernel's anon_vma_free() does so ("Synchronize
 * against folio_lock_anon_vma_read() such that we can safely hold the lock without the anon_vma
 * getting freed"), taking and dropping the root's rwsem when it is locked: a reader that holds
 * it then keeps the anon_vma from being freed as a reference would, and once it has re-checked
 * that the anon_vma is still the one it looked up (folio_mapped()), the object is stable.
 *
 * Inferred from the project's frees, never assumed: a struct whose frees the project does not
 * show gets nothing, and so does every struct when some free's object is typed so that it
 * might be any of them (`any`, `unknown`, a type parameter).
 */

import { ts } from 'ts-morph';
import { isFunctionLike, skipParens, walkTree } from '../ast.js';
import { reachedThrough } from '../dataflow/lock-paths.js';
import type { Primitives } from '../primitives/primitives.js';
import type { StructDecl } from '../primitives/slab-model.js';

const NONE: ReadonlySet<string> = new Set();

export class FreePathLocks {
  /** Struct (its defineStruct call) → lock paths every free of it takes first; undefined: not scanned yet. */
  private byStruct: Map<ts.CallExpression, ReadonlySet<string>> | undefined;
  /** Some free's object is typed opaquely: it might be of any struct, so nothing is inferred. */
  private unknownFree = false;

  constructor(
    private readonly program: ts.Program,
    private readonly checker: ts.TypeChecker,
    private readonly primitives: Primitives,
  ) {}

  /** The paths from an object of `struct` to locks that keep it allocated while held (`root.rwsem`). */
  pathsFor(struct: StructDecl): ReadonlySet<string> {
    const map = this.scan();
    return this.unknownFree ? NONE : (map.get(struct.call) ?? NONE);
  }

  private scan(): Map<ts.CallExpression, ReadonlySet<string>> {
    if (this.byStruct !== undefined) return this.byStruct;
    const map = new Map<ts.CallExpression, ReadonlySet<string>>();
    this.byStruct = map;
    for (const sf of this.program.getSourceFiles()) {
      if (sf.isDeclarationFile || !sf.text.includes('kmemCacheFree')) continue;
      walkTree(sf, (n) => {
        if (!ts.isCallExpression(n) || this.primitives.callKind(n) !== 'kmemCacheFree') return undefined;
        const freed = n.arguments[1];
        const struct = freed === undefined ? undefined : this.primitives.slab.structOfExpr(freed);
        if (struct === undefined) {
          // An object of another type is no object of these structs; one typed `any`, `unknown`
          // or by a type parameter might be any of them.
          const t = freed === undefined ? undefined : this.checker.getTypeAtLocation(freed);
          const opaque = ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter;
          if (t === undefined || (t.flags & opaque) !== 0) this.unknownFree = true;
          return undefined;
        }
        const paths = this.lockedBefore(n, freed!);
        const seen = map.get(struct.call);
        map.set(struct.call, seen === undefined ? paths : new Set([...seen].filter((p) => paths.has(p))));
        return undefined;
      });
    }
    return map;
  }

  /**
   * The paths from the freed object to locks its function takes before the free: `spinLock()`
   * calls earlier in the same function on a lock reached through the freed variable (or a
   * const copy of one of its pointer fields). Taken only when someone holds it (`if
   * (root.rwsem.locked)`) is enough: a holder is waited for all the same.
   */
  private lockedBefore(free: ts.CallExpression, freed: ts.Expression): ReadonlySet<string> {
    const x = skipParens(freed);
    const sym = ts.isIdentifier(x) ? this.checker.getSymbolAtLocation(x) : undefined;
    // The function the free is in (or the file, for a free at the top level).
    let fn: ts.Node = free.parent;
    while (!isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
    if (sym === undefined) return NONE;
    const out = new Set<string>();
    walkTree(fn, (n) => {
      if (n.pos >= free.pos) return 'skip';
      if (ts.isCallExpression(n) && this.primitives.callKind(n) === 'spinLock') {
        const via = reachedThrough(n, (id) => this.checker.getSymbolAtLocation(id));
        if (via?.sym === sym) out.add(via.path);
      }
      return undefined;
    });
    return out;
  }
}
