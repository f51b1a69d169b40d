/**
 * @fileoverview SlabModel: what the program declares about its structs and slab caches, found
 * by symbol like every primitive. A struct is a `defineStruct(name, { fields }, { typesafeByRcu })`
 * call; a field access `obj.siglock` leads back to it because the checker gives the property of
 * a struct object the declaration of its entry in the fields literal. A cache is a
 * `kmemCacheCreate(heap, name, Struct, { flags, ctor, dtor })` call anywhere in the program.
 *
 * A struct declared with a written type (`const TgPtGp: StructDef<TgPtGpFields, false> =
 * defineStruct(…)`, which two structs that point at each other need) gives its objects the
 * properties of that type's fields literal instead; an index from each such literal to its
 * defineStruct call leads those back too.
 *
 * Flags are folded as constants (`SLAB_TYPESAFE_BY_RCU | SLAB_HWCACHE_ALIGN`) through the
 * checker's literal types and const initializers; anything else folds to undefined, and the
 * rules that need the value then stay silent rather than guess.
 */

import { ts } from 'ts-morph';
import { isFunctionLike, skipParens, walkTree } from '../ast.js';
import type { Primitives } from './primitives.js';

/** The value of SLAB_TYPESAFE_BY_RCU (and its alias SLAB_DESTROY_BY_RCU) in the runtime. */
export const SLAB_TYPESAFE_BY_RCU_BIT = 0x00080000;
/** The value of SLAB_POISON in the runtime. */
export const SLAB_POISON_BIT = 0x00000800;

/** One `defineStruct(...)` call. */
export interface StructDecl {
  readonly call: ts.CallExpression;
  /** The const the struct is bound to (`Product`), when there is one. */
  readonly symbol: ts.Symbol | undefined;
  /** `typesafeByRcu: true` in its options; undefined when the options are not a literal. */
  readonly typesafeByRcu: boolean | undefined;
  /** Field name -> kind text (`spinlock`, `i32`, `rcu` for `{ rcu: () => S }`, `array`). */
  readonly fields: ReadonlyMap<string, string>;
  /** Field name -> the spinlock field its `@guardedBy <lock>` doc tag names. */
  readonly guardedBy: ReadonlyMap<string, string>;
  /**
   * RCU pointer fields declared `@ownerWrites`: stored only by the thread whose object holds
   * them, and keeping their target alive while they point to it (dataflow/owner-loads.ts).
   */
  readonly ownerWrites: ReadonlySet<string>;
  /**
   * The `key` option: the fields that identify an object (`key: 'tuple'`, `key: ['saddr',
   * 'daddr']`). When given, only a comparison of one of these (or of the object itself) is a
   * key re-check; undefined when the struct names none (any field comparison may be one).
   */
  readonly keyFields: ReadonlySet<string> | undefined;
}

/** One `kmemCacheCreate(...)` call. */
export interface CacheDecl {
  readonly call: ts.CallExpression;
  readonly struct: StructDecl | undefined;
  /** The flags expression (undefined: no flags given, which means 0). */
  readonly flagsExpr: ts.Expression | undefined;
  /** The folded flags; undefined when they cannot be computed. */
  readonly flags: number | undefined;
  /** The `ctor` / `dtor` property (for messages) and the function they name, when resolvable. */
  readonly ctorProp: ts.Node | undefined;
  readonly ctor: ts.FunctionLikeDeclaration | undefined;
  readonly dtorProp: ts.Node | undefined;
}

export class SlabModel {
  private cacheList: CacheDecl[] | undefined;
  private readonly structs = new Map<ts.CallExpression, StructDecl>();
  private annotated: Map<ts.Node, ts.CallExpression> | undefined;
  private readonly byType = new WeakMap<ts.Type, StructDecl | null>();
  private names: Set<string> | undefined;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly program: ts.Program,
    private readonly primitives: Primitives,
  ) {}

  /** Every kmemCacheCreate call of the program (files that never name it are skipped by text). */
  caches(): readonly CacheDecl[] {
    if (this.cacheList !== undefined) return this.cacheList;
    const out: CacheDecl[] = [];
    for (const sf of this.program.getSourceFiles()) {
      if (sf.isDeclarationFile || !sf.text.includes('kmemCacheCreate')) continue;
      walkTree(sf, (n) => {
        if (ts.isCallExpression(n) && this.primitives.callKind(n) === 'kmemCacheCreate') out.push(this.cacheOf(n));
        return undefined;
      });
    }
    this.cacheList = out;
    return out;
  }

  /** The caches created for `struct`. */
  cachesOf(struct: StructDecl): CacheDecl[] {
    return this.caches().filter((c) => c.struct?.call === struct.call);
  }

  /** Whether `fn` is the constructor or destructor of some cache: it owns its parameter. */
  isCacheCallback(fn: ts.Node): boolean {
    if (!isFunctionLike(fn)) return false;
    // Inline (`ctor: (p) => …`): decided from the syntax, no program scan.
    const p = fn.parent;
    if (
      ts.isPropertyAssignment(p) &&
      ts.isIdentifier(p.name) &&
      (p.name.text === 'ctor' || p.name.text === 'dtor') &&
      ts.isObjectLiteralExpression(p.parent) &&
      ts.isCallExpression(p.parent.parent)
    ) {
      return this.primitives.callKind(p.parent.parent) === 'kmemCacheCreate';
    }
    return this.caches().some((c) => c.ctor === fn);
  }

  /**
   * Every field name the program's defineStruct calls declare: a check by text that spares the
   * checker a question for each property access of code with no struct of that name (a
   * StructDef type literal repeats its call's names, so the calls are enough).
   */
  fieldNames(): ReadonlySet<string> {
    if (this.names !== undefined) return this.names;
    const out = new Set<string>();
    for (const sf of this.program.getSourceFiles()) {
      if (sf.isDeclarationFile || !sf.text.includes('defineStruct')) continue;
      walkTree(sf, (n) => {
        if (!ts.isCallExpression(n) || this.primitives.callKind(n) !== 'defineStruct') return undefined;
        const fields = n.arguments[1];
        if (fields !== undefined && ts.isObjectLiteralExpression(fields))
          for (const p of fields.properties)
            if (p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out.add(p.name.text);
        return undefined;
      });
    }
    this.names = out;
    return out;
  }

  /** The struct whose field a property access names (`sighand.siglock`), if declared by defineStruct. */
  structOfField(access: ts.PropertyAccessExpression): StructDecl | undefined {
    return this.structOfProperty(this.checker.getSymbolAtLocation(access.name));
  }

  /** The struct a property symbol of a struct object belongs to (`const { sighand } = task` reads one). */
  structOfProperty(prop: ts.Symbol | undefined): StructDecl | undefined {
    const decl = prop?.declarations?.[0];
    return decl === undefined ? undefined : this.structOfFieldDecl(decl);
  }

  /** The struct a type-stable/struct reference's type comes from, through any of its fields. */
  structOfExpr(e: ts.Expression): StructDecl | undefined {
    return this.structOfType(this.checker.getTypeAtLocation(e));
  }

  /** The struct whose objects have this type (`StructRef<typeof Task> | null`), through any of its fields. */
  structOfType(t: ts.Type): StructDecl | undefined {
    const known = this.byType.get(t);
    if (known !== undefined) return known ?? undefined;
    const type = this.checker.getNonNullableType(t);
    let found: StructDecl | undefined;
    for (const prop of this.checker.getPropertiesOfType(type)) {
      const d = prop.declarations?.[0];
      found = d === undefined ? undefined : this.structOfFieldDecl(d);
      if (found !== undefined) break;
    }
    this.byType.set(t, found ?? null);
    return found;
  }

  /**
   * The struct a field declaration belongs to: an entry of the fields literal of a defineStruct
   * call, or a member of the fields type literal of a `StructDef<F, TS>`-annotated one.
   */
  private structOfFieldDecl(decl: ts.Declaration): StructDecl | undefined {
    if (ts.isPropertySignature(decl) && ts.isTypeLiteralNode(decl.parent)) {
      const call = this.annotatedStructs().get(decl.parent);
      return call === undefined ? undefined : this.structOfCall(call);
    }
    if (!ts.isPropertyAssignment(decl) || !ts.isObjectLiteralExpression(decl.parent)) return undefined;
    const call = decl.parent.parent;
    if (!ts.isCallExpression(call) || call.arguments[1] !== decl.parent) return undefined;
    return this.structOfCall(call);
  }

  /**
   * `const X: StructDef<F, TS> = defineStruct(…)` anywhere in the program: the type literal that
   * declares F's members (through any alias) -> the defineStruct call. Objects of such a struct
   * have the literal's property signatures as their declarations, not the call's entries.
   */
  private annotatedStructs(): Map<ts.Node, ts.CallExpression> {
    if (this.annotated !== undefined) return this.annotated;
    const out = new Map<ts.Node, ts.CallExpression>();
    for (const sf of this.program.getSourceFiles()) {
      if (sf.isDeclarationFile || !sf.text.includes('defineStruct')) continue;
      walkTree(sf, (n) => {
        if (ts.isVariableDeclaration(n) && n.type !== undefined && n.initializer !== undefined) {
          const init = skipParens(n.initializer);
          if (ts.isCallExpression(init) && this.primitives.callKind(init) === 'defineStruct') {
            const fields = this.checker.getPropertyOfType(this.checker.getTypeFromTypeNode(n.type), 'fields');
            const literal = fields === undefined ? undefined : this.checker.getTypeOfSymbol(fields).getSymbol();
            for (const d of literal?.declarations ?? []) if (ts.isTypeLiteralNode(d) && !out.has(d)) out.set(d, init);
          }
        }
        return undefined;
      });
    }
    this.annotated = out;
    return out;
  }

  private structOfCall(call: ts.CallExpression): StructDecl | undefined {
    const known = this.structs.get(call);
    if (known !== undefined) return known;
    if (this.primitives.callKind(call) !== 'defineStruct') return undefined;
    const fieldsArg = call.arguments[1];
    const fields = new Map<string, string>();
    const guardedBy = new Map<string, string>();
    const ownerWrites = new Set<string>();
    if (fieldsArg !== undefined && ts.isObjectLiteralExpression(fieldsArg)) {
      for (const p of fieldsArg.properties) {
        if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
        const guard = guardedByTag(p);
        if (guard !== undefined) guardedBy.set(p.name.text, guard);
        if (ts.getJSDocTags(p).some((t) => t.tagName.text === 'ownerWrites')) ownerWrites.add(p.name.text);
        const v = skipParens(p.initializer);
        const kind = ts.isStringLiteralLike(v)
          ? v.text
          : ts.isObjectLiteralExpression(v)
            ? hasProp(v, 'rcu')
              ? 'rcu'
              : hasProp(v, 'array')
                ? 'array'
                : '?'
            : '?';
        fields.set(p.name.text, kind);
      }
    }
    const opts = call.arguments[2];
    let typesafeByRcu: boolean | undefined = opts === undefined ? false : undefined;
    if (opts !== undefined && ts.isObjectLiteralExpression(opts)) {
      const t = opts.properties.find(
        (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'typesafeByRcu',
      );
      typesafeByRcu =
        t === undefined
          ? false
          : t.initializer.kind === ts.SyntaxKind.TrueKeyword
            ? true
            : t.initializer.kind === ts.SyntaxKind.FalseKeyword
              ? false
              : undefined;
    }
    const keyFields = opts !== undefined && ts.isObjectLiteralExpression(opts) ? keyOption(opts) : undefined;
    const holder = call.parent;
    const symbol =
      ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)
        ? this.checker.getSymbolAtLocation(holder.name)
        : undefined;
    const decl: StructDecl = { call, symbol, typesafeByRcu, fields, guardedBy, ownerWrites, keyFields };
    this.structs.set(call, decl);
    return decl;
  }

  /** The defineStruct call an expression (`Product`, `ns.Product`) names. */
  private structOfArg(e: ts.Expression | undefined): StructDecl | undefined {
    if (e === undefined) return undefined;
    const x = skipParens(e);
    if (ts.isCallExpression(x)) return this.structOfCall(x);
    const nameNode = ts.isPropertyAccessExpression(x) ? x.name : x;
    const sym = this.checker.getSymbolAtLocation(nameNode);
    const d = sym === undefined ? undefined : this.primitives.resolveAlias(sym).valueDeclaration;
    if (d === undefined || !ts.isVariableDeclaration(d) || d.initializer === undefined) return undefined;
    const init = skipParens(d.initializer);
    return ts.isCallExpression(init) ? this.structOfCall(init) : undefined;
  }

  private cacheOf(call: ts.CallExpression): CacheDecl {
    const opts = call.arguments[3] === undefined ? undefined : skipParens(call.arguments[3]);
    const prop = (name: string): ts.ObjectLiteralElementLike | undefined =>
      opts !== undefined && ts.isObjectLiteralExpression(opts)
        ? opts.properties.find((p) => p.name?.getText() === name)
        : undefined;
    const flagsProp = prop('flags');
    const flagsExpr =
      flagsProp === undefined
        ? undefined
        : ts.isPropertyAssignment(flagsProp)
          ? flagsProp.initializer
          : ts.isShorthandPropertyAssignment(flagsProp)
            ? flagsProp.name
            : undefined;
    // Options that are not an object literal (a variable, a spread): nothing is known about them.
    const known =
      opts === undefined || (ts.isObjectLiteralExpression(opts) && !opts.properties.some(ts.isSpreadAssignment));
    const flags = !known
      ? undefined
      : flagsProp === undefined
        ? 0
        : flagsExpr === undefined
          ? undefined
          : this.fold(flagsExpr);
    const ctorProp = prop('ctor');
    return {
      call,
      struct: this.structOfArg(call.arguments[2]),
      flagsExpr,
      flags,
      ctorProp,
      ctor: this.functionOf(ctorProp),
      dtorProp: prop('dtor'),
    };
  }

  private functionOf(p: ts.ObjectLiteralElementLike | undefined): ts.FunctionLikeDeclaration | undefined {
    if (p === undefined) return undefined;
    if (ts.isMethodDeclaration(p)) return p;
    const e = ts.isPropertyAssignment(p)
      ? skipParens(p.initializer)
      : ts.isShorthandPropertyAssignment(p)
        ? p.name
        : undefined;
    if (e === undefined) return undefined;
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return e;
    const sym = this.checker.getSymbolAtLocation(e);
    const d = sym === undefined ? undefined : this.primitives.resolveAlias(sym).valueDeclaration;
    if (d !== undefined && isFunctionLike(d) && d.body !== undefined) return d;
    if (d !== undefined && ts.isVariableDeclaration(d) && d.initializer !== undefined) {
      const init = skipParens(d.initializer);
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
    return undefined;
  }

  /** Constant folding of a flags expression: literals, consts with a literal type, `|`, `&`, `^`, `~`. */
  fold(e: ts.Expression, depth = 0): number | undefined {
    if (depth > 16) return undefined;
    const x = skipParens(e);
    const lit = this.checker.getTypeAtLocation(x);
    if (lit.isNumberLiteral()) return lit.value;
    if (ts.isNumericLiteral(x)) return Number(x.text);
    if (ts.isBinaryExpression(x)) {
      const a = this.fold(x.left, depth + 1);
      const b = this.fold(x.right, depth + 1);
      if (a === undefined || b === undefined) return undefined;
      switch (x.operatorToken.kind) {
        case ts.SyntaxKind.BarToken:
          return a | b;
        case ts.SyntaxKind.AmpersandToken:
          return a & b;
        case ts.SyntaxKind.CaretToken:
          return a ^ b;
        default:
          return undefined;
      }
    }
    if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.TildeToken) {
      const a = this.fold(x.operand, depth + 1);
      return a === undefined ? undefined : ~a;
    }
    if (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x)) {
      // A const bound to an expression (`const FLAGS = SLAB_TYPESAFE_BY_RCU | SLAB_HWCACHE_ALIGN`).
      const sym = this.checker.getSymbolAtLocation(ts.isPropertyAccessExpression(x) ? x.name : x);
      const d = sym === undefined ? undefined : this.primitives.resolveAlias(sym).valueDeclaration;
      if (
        d !== undefined &&
        ts.isVariableDeclaration(d) &&
        d.initializer !== undefined &&
        ts.isVariableDeclarationList(d.parent) &&
        (d.parent.flags & ts.NodeFlags.Const) !== 0
      ) {
        return this.fold(d.initializer, depth + 1);
      }
    }
    return undefined;
  }
}

function hasProp(o: ts.ObjectLiteralExpression, name: string): boolean {
  return o.properties.some((p) => p.name !== undefined && p.name.getText() === name);
}

/** The `key` option's field names, when written as a string or an array of strings. */
function keyOption(opts: ts.ObjectLiteralExpression): ReadonlySet<string> | undefined {
  const p = opts.properties.find(
    (x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && x.name.getText() === 'key',
  );
  if (p === undefined) return undefined;
  const init = skipParens(p.initializer);
  if (ts.isStringLiteralLike(init)) return new Set([init.text]);
  if (!ts.isArrayLiteralExpression(init)) return undefined;
  const names = init.elements.map((e) => (ts.isStringLiteralLike(e) ? e.text : undefined));
  return names.every((n) => n !== undefined) ? new Set(names) : undefined;
}

/** `@guardedBy <lock>` on a field: the spinlock field of the same struct that guards it. */
function guardedByTag(field: ts.PropertyAssignment): string | undefined {
  for (const tag of ts.getJSDocTags(field)) {
    if (tag.tagName.text !== 'guardedBy') continue;
    const text = typeof tag.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag.comment);
    const name = text?.trim().split(/\s+/)[0];
    if (name !== undefined && name !== '') return name;
  }
  return undefined;
}
