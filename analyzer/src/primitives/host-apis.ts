/**
 * @fileoverview Recognizing the host's APIs BY SYMBOL, as primitives.ts recognizes the
 * runtime's: the functions that run a callback later (timers, microtasks, promise reactions,
 * event listeners), the ones that run it in place on each element (`forEach`, `map`, …), and
 * the ones that hand a value to another thread (`postMessage`). A call
 * counts only when its callee resolves to a declaration in Node's typings (`@types/node`) or
 * in TypeScript's own `lib.*.d.ts`, under the right owner: `then` of `Promise`, `nextTick` of
 * `Process`, a global `setTimeout`. A user's own method that happens to be called `then` or
 * `postMessage` is not one, and neither is a callee the checker cannot resolve (an `any`
 * receiver, a project without Node's typings): the engine stays quiet rather than guess.
 */

import { ts } from 'ts-morph';

/** What the transfer functions and rules make of a host call. */
export type HostCallKind =
  /** Runs the function passed to it later, after the current read-side section may have ended. */
  | 'defersCallback'
  /** Sends its argument to another thread (a worker, a MessagePort, a BroadcastChannel). */
  | 'postsMessage'
  /**
   * Runs the function passed to it in place, before returning, on the elements of its receiver
   * (an array's or typed array's iteration methods, a Map's or Set's `forEach`).
   */
  | 'iteratesNow';

/** A declaration that is a function of its own (`declare function setTimeout`), not a member of a class or interface. */
const FUNCTION = null;

/** Any class or interface of Node's typings: `on`/`once` are re-declared by every EventEmitter subclass. */
const ANY_NODE_CLASS = '*';

interface HostApi {
  readonly kind: HostCallKind;
  /** Who may declare it: FUNCTION, the names of the classes or interfaces, or ANY_NODE_CLASS. */
  readonly owners: ReadonlyArray<string | null> | typeof ANY_NODE_CLASS;
}

const deferredBy = (...owners: Array<string | null>): HostApi => ({ kind: 'defersCallback', owners });

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];
const ARRAYS = ['Array', 'ReadonlyArray', ...TYPED_ARRAYS];
const iteratesOver = (...owners: string[]): HostApi => ({ kind: 'iteratesNow', owners });

/** The iteration methods of TypeScript's lib, which call their callback before they return. */
const ITERATION_METHODS: ReadonlyArray<[string, HostApi]> = [
  ['forEach', iteratesOver(...ARRAYS, 'Map', 'ReadonlyMap', 'Set', 'ReadonlySet')],
  ...[
    'map',
    'filter',
    'find',
    'findIndex',
    'findLast',
    'findLastIndex',
    'some',
    'every',
    'reduce',
    'reduceRight',
    'flatMap',
    'sort',
    'toSorted',
  ].map((name): [string, HostApi] => [name, iteratesOver(...ARRAYS)]),
];

/** The host APIs by declared name. */
const HOST_APIS: ReadonlyMap<string, HostApi> = new Map([
  ['setTimeout', deferredBy(FUNCTION)],
  ['setInterval', deferredBy(FUNCTION)],
  ['setImmediate', deferredBy(FUNCTION)],
  ['queueMicrotask', deferredBy(FUNCTION)],
  ['nextTick', deferredBy('Process')],
  ['then', deferredBy('Promise', 'PromiseLike')],
  ['catch', deferredBy('Promise')],
  ['finally', deferredBy('Promise')],
  ['addEventListener', deferredBy('EventTarget')],
  ['on', { kind: 'defersCallback', owners: ANY_NODE_CLASS }],
  ['once', { kind: 'defersCallback', owners: ANY_NODE_CLASS }],
  ['postMessage', { kind: 'postsMessage', owners: ['MessagePort', 'Worker', 'BroadcastChannel', 'Window', FUNCTION] }],
  ...ITERATION_METHODS,
]);

const NODE_TYPINGS = /[\\/]node_modules[\\/]@types[\\/]node[\\/]/;

function isNodeTypings(file: ts.SourceFile): boolean {
  return NODE_TYPINGS.test(file.fileName);
}

/** The class or interface a member is declared in; FUNCTION for a declaration of its own. */
function ownerOf(decl: ts.Declaration): string | null | undefined {
  if (ts.isFunctionDeclaration(decl)) return FUNCTION;
  const parent = decl.parent;
  if ((ts.isClassDeclaration(parent) || ts.isInterfaceDeclaration(parent)) && parent.name !== undefined)
    return parent.name.text;
  return undefined;
}

/**
 * Which host API a callee's symbol (aliases already resolved) is, if any. One declaration in
 * the right place is enough: a union receiver or an overload set may bring several.
 */
export function hostCallKind(sym: ts.Symbol, program: ts.Program): HostCallKind | undefined {
  const api = HOST_APIS.get(sym.name);
  if (api === undefined) return undefined;
  for (const decl of sym.declarations ?? []) {
    const file = decl.getSourceFile();
    const inNode = isNodeTypings(file);
    if (!inNode && !program.isSourceFileDefaultLibrary(file)) continue;
    const owner = ownerOf(decl);
    if (owner === undefined) continue;
    if (api.owners === ANY_NODE_CLASS ? inNode && owner !== FUNCTION : api.owners.includes(owner)) return api.kind;
  }
  return undefined;
}
