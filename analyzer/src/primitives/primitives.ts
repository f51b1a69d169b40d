/**
 * @fileoverview Recognizing the runtime's primitives BY SYMBOL. A call is `spinLock` only if
 * its callee resolves — through aliased imports, re-exports and namespace imports — to the
 * declaration exported by @rcukit/runtime. A user function that happens to be named
 * `rcuReadLock` is not a primitive, and a call whose symbol cannot be resolved (a missing
 * export, a type error) is not one either: the engine stays quiet rather than guess.
 *
 * Type-stable references are found the same way: by the TypeStable brand (a unique symbol
 * declared in the runtime's type-stable module) among the properties of an expression's type.
 * So are the host's APIs that defer a callback or post a message (host-apis.ts), by their
 * declarations in Node's and TypeScript's typings.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import { type CollectionMethod, collectionMethod, isCollectionType, isLibMember } from './collection-methods.js';
import { hostCallKind, type HostCallKind } from './host-apis.js';
import { isRuntimeFile } from './runtime-package.js';
import { SlabModel } from './slab-model.js';

/** The read-side, spinlock and refcount operations: a few atomic operations on the heap each. */
export const LOCK_AND_REFCOUNT_PRIMITIVES = [
  'rcuReadLock',
  'rcuReadUnlock',
  'rcuReadLockHeld',
  'spinLock',
  'spinUnlock',
  'spinTrylock',
  'refcountIncNotZero',
  'refcountInc',
  'refcountDecAndTest',
  'refcountSet',
] as const;

/** The runtime functions the rules give meaning to. */
export const PRIMITIVE_NAMES = [
  ...LOCK_AND_REFCOUNT_PRIMITIVES,
  'rcuDereferenceProtected',
  'synchronizeRcu',
  'synchronizeRcuAsync',
  'callRcu',
  'rcuBarrier',
  'kmemCacheCreate',
  'kmemCacheAlloc',
  'kmemCacheFree',
  'kmemCacheDestroy',
  'kmemCacheDestroyAsync',
  'defineStruct',
  'spinLockInit',
  // lockdep_assert_held(): the caller's obligation, stated in code (summaries/asserted-locks.ts).
  'lockdepAssertHeld',
  'hlistNullsAddHeadRcu',
  'hlistNullsDelRcu',
  'hlistNullsDelInitRcu',
  'hlistNullsReplaceRcu',
  'hlistNullsFirstRcu',
  'hlistNullsNextRcu',
  'hlistNullsForEachRcu',
  'initHlistNullsNode',
  // An object's heap address is its identity: `addressOf(x) === word` compares pointers.
  'addressOf',
] as const;

/**
 * The RCU hash table's methods, as call kinds: `table.lookup(key)` returns a referenced and
 * re-checked object (stabilized until `table.put(obj)`), `insert`/`replace` publish a fresh
 * object, `delete` unlinks one.
 */
const TABLE_METHODS = {
  lookup: 'tableLookup',
  lookupLocked: 'tableLookupLocked',
  put: 'tablePut',
  insert: 'tableInsert',
  replace: 'tableReplace',
  delete: 'tableDelete',
} as const;

export type TableMethodKind = (typeof TABLE_METHODS)[keyof typeof TABLE_METHODS];

export type PrimitiveName = (typeof PRIMITIVE_NAMES)[number];

/**
 * Runtime functions that mean to the rules what another primitive means: the limited
 * increment takes a reference on success, as refcountIncNotZero does (its limit only makes it
 * fail more often, and every rule already reads a failure as "no reference").
 */
const PRIMITIVE_ALIASES: Readonly<Record<string, PrimitiveName>> = {
  refcountIncNotZeroLimited: 'refcountIncNotZero',
};

/** `Atomics.wait` is not a runtime primitive but blocks the thread, which the rules care about. */
export type CallKind = PrimitiveName | TableMethodKind | 'atomicsWait';

const primitiveSet: ReadonlySet<string> = new Set(PRIMITIVE_NAMES);

export class Primitives {
  private readonly callCache = new Map<ts.CallExpression, CallKind | null>();
  private readonly calleeCache = new Map<ts.CallExpression | ts.NewExpression, ts.Symbol | null>();
  private readonly hostCache = new Map<ts.CallExpression, HostCallKind | null>();
  private readonly stableCache = new Map<ts.Type, boolean>();

  /** The program's structs and slab caches (defineStruct / kmemCacheCreate calls). */
  readonly slab: SlabModel;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly program: ts.Program,
  ) {
    this.slab = new SlabModel(checker, program, this);
  }

  /** Follow import/export aliases to the symbol's original declaration. */
  resolveAlias(sym: ts.Symbol): ts.Symbol {
    let s = sym;
    for (let i = 0; i < 16 && (s.flags & ts.SymbolFlags.Alias) !== 0; i++) {
      const next = this.checker.getAliasedSymbol(s);
      if (next === s) break;
      s = next;
    }
    return s;
  }

  /** The symbol a callee expression names (`f`, `ns.f`, `(f)`), aliases resolved. */
  calleeSymbol(call: ts.CallExpression | ts.NewExpression): ts.Symbol | undefined {
    // Remembered: the checker's lookup walks every enclosing node, and rules, transfer functions
    // and summaries each ask about the same call (deeply nested generated code made it quadratic).
    const known = this.calleeCache.get(call);
    if (known !== undefined) return known ?? undefined;
    const callee = skipParens(call.expression);
    const nameNode = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
    const found = this.checker.getSymbolAtLocation(nameNode);
    const sym = found === undefined ? undefined : this.resolveAlias(found);
    this.calleeCache.set(call, sym ?? null);
    return sym;
  }

  /** Which primitive `call` invokes, or undefined for any other call. */
  callKind(call: ts.CallExpression): CallKind | undefined {
    const cached = this.callCache.get(call);
    if (cached !== undefined) return cached ?? undefined;
    const kind = this.computeCallKind(call);
    this.callCache.set(call, kind ?? null);
    return kind;
  }

  private computeCallKind(call: ts.CallExpression): CallKind | undefined {
    const sym = this.calleeSymbol(call);
    const decl = sym?.declarations?.[0];
    if (sym === undefined || decl === undefined) return undefined;
    const file = decl.getSourceFile();
    if (sym.name === 'wait' && this.program.isSourceFileDefaultLibrary(file)) {
      const callee = call.expression;
      if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'Atomics'
      )
        return 'atomicsWait';
    }
    if (!isRuntimeFile(file.fileName)) return undefined;
    // A method of the runtime's RcuHashTable class (`table.lookup(key)`), by its declaration.
    if (
      ts.isMethodDeclaration(decl) &&
      ts.isClassDeclaration(decl.parent) &&
      decl.parent.name?.text === 'RcuHashTable' &&
      Object.hasOwn(TABLE_METHODS, sym.name)
    ) {
      return TABLE_METHODS[sym.name as keyof typeof TABLE_METHODS];
    }
    if (Object.hasOwn(PRIMITIVE_ALIASES, sym.name)) return PRIMITIVE_ALIASES[sym.name];
    if (!primitiveSet.has(sym.name)) return undefined;
    return sym.name as PrimitiveName;
  }

  /** Which host API `call` invokes (host-apis.ts), or undefined for any other call. */
  hostCall(call: ts.CallExpression): HostCallKind | undefined {
    const cached = this.hostCache.get(call);
    if (cached !== undefined) return cached ?? undefined;
    const sym = this.calleeSymbol(call);
    const kind = sym === undefined ? undefined : hostCallKind(sym, this.program);
    this.hostCache.set(call, kind ?? null);
    return kind;
  }

  /**
   * Whether `call` runs a function passed to it later, after the current read-side section may
   * have ended: `callRcu`, or a host API that defers its callback (a timer, a microtask, a
   * promise reaction, an event listener).
   */
  defersCallbacks(call: ts.CallExpression): boolean {
    return this.callKind(call) === 'callRcu' || this.hostCall(call) === 'defersCallback';
  }

  /**
   * Whether `call` runs a function passed to it in place, on each element of its receiver: an
   * iteration method of TypeScript's lib (`forEach`, `map`, `filter`, `reduce`, …).
   */
  iteratesInPlace(call: ts.CallExpression): boolean {
    return this.hostCall(call) === 'iteratesNow';
  }

  /** What a lib collection's method does (`map.set(k, v)` stores, `map.get(k)` reads), by its symbol. */
  collectionMethod(member: ts.PropertyAccessExpression): CollectionMethod | undefined {
    const found = this.checker.getSymbolAtLocation(member.name);
    return found === undefined ? undefined : collectionMethod(this.resolveAlias(found), this.program);
  }

  /** Whether `e` is one of the lib's collections (`Map`, `Set`, an array). */
  isCollectionExpr(e: ts.Expression): boolean {
    return isCollectionType(this.checker.getTypeAtLocation(e), this.checker, this.program);
  }

  /** Whether a member (`next` of an iterator, `value` of its result) is declared in TypeScript's lib. */
  isLibMember(member: ts.PropertyAccessExpression): boolean {
    const found = this.checker.getSymbolAtLocation(member.name);
    return found !== undefined && isLibMember(this.resolveAlias(found), this.program);
  }

  /** Whether a value of this type is a reference into type-stable memory (`TypeStable<T>`, possibly `| null`). */
  isTypeStableType(type: ts.Type): boolean {
    const cached = this.stableCache.get(type);
    if (cached !== undefined) return cached;
    let result = false;
    if (type.isUnion()) {
      result = type.types.some((t) => this.isTypeStableType(t));
    } else if ((type.flags & ts.TypeFlags.Object) !== 0 || type.isIntersection()) {
      for (const prop of this.checker.getPropertiesOfType(type)) {
        if (!String(prop.escapedName).startsWith('__@typeStableBrand')) continue;
        const d = prop.declarations?.[0];
        if (d !== undefined && isRuntimeFile(d.getSourceFile().fileName)) {
          result = true;
          break;
        }
      }
    }
    this.stableCache.set(type, result);
    return result;
  }

  isTypeStableExpr(e: ts.Expression): boolean {
    // An arithmetic, comparison, `+` or template result is a primitive, never a reference: no
    // need for the checker to type it (over a generated 20,000-term chain that costs seconds).
    let x = skipParens(e);
    if (yieldsPrimitive(x)) return false;
    // `v` declared `const v = <such an expression>` with no type written: the same, without
    // asking the checker to type v (which types its whole initializer).
    if (ts.isIdentifier(x)) {
      const d = this.checker.getSymbolAtLocation(x)?.valueDeclaration;
      if (d !== undefined && ts.isVariableDeclaration(d) && d.type === undefined && d.initializer !== undefined) {
        if (yieldsPrimitive(skipParens(d.initializer))) return false;
      }
    }
    // `(a, b, …, z)` is z: generated code strings thousands of these together.
    while (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.CommaToken) x = skipParens(x.right);
    return this.isTypeStableType(this.checker.getTypeAtLocation(x));
  }

  /** Whether `e`'s type is the runtime's Spinlock class. */
  isSpinlockExpr(e: ts.Expression): boolean {
    const t = this.checker.getTypeAtLocation(e);
    const sym = t.getSymbol();
    const d = sym?.declarations?.[0];
    return sym?.name === 'Spinlock' && d !== undefined && isRuntimeFile(d.getSourceFile().fileName);
  }
}

/** Expressions whose value is a primitive whatever their operands: binary operators other than `&&`, `||`, `??`, `,` and assignments, prefix operators, templates. */
function yieldsPrimitive(x: ts.Expression): boolean {
  if (ts.isPrefixUnaryExpression(x) || ts.isTemplateExpression(x) || ts.isTypeOfExpression(x)) return true;
  if (!ts.isBinaryExpression(x)) return false;
  const op = x.operatorToken.kind;
  return (
    op !== ts.SyntaxKind.AmpersandAmpersandToken &&
    op !== ts.SyntaxKind.BarBarToken &&
    op !== ts.SyntaxKind.QuestionQuestionToken &&
    op !== ts.SyntaxKind.CommaToken &&
    !(op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment)
  );
}
