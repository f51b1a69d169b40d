/**
 * @fileoverview FactEvent: what the transfer functions observed at one program point, with the
 * facts that held just before it. After the solver reaches its fixpoint each reachable block is
 * replayed once from its entry state, producing these events in order; rules read only events
 * (and the graph), never re-run the dataflow.
 */

import type { ts } from 'ts-morph';
import type { BasicBlock, Edge } from '../cfg/basic-block.js';
import type { StructDecl } from '../primitives/slab-model.js';
import type { FunctionSummary } from '../summaries/summary.js';
import type { FactState } from './facts.js';

/** How a tracked reference is used, besides a dereference. */
export type UseKind =
  /** `return v` */
  | 'return'
  /** passed to a call (not a primitive): `helper(v)` */
  | 'arg'
  /** stored in a variable declared outside this function */
  | 'storeOuter'
  /** stored in a property: `table.last = v` */
  | 'storeField'
  /** sent to another thread: `port.postMessage(v)`, known by its declaration (primitives/host-apis.ts) */
  | 'postMessage';

export type FactEvent =
  /** A property read/write, method call or lock-field access on a type-stable expression. */
  | {
      readonly kind: 'deref';
      readonly node: ts.Node;
      readonly base: ts.Expression;
      readonly sym: ts.Symbol | undefined;
      readonly state: FactState;
    }
  /**
   * A use of a struct object's member, type-stable or not (member-access.ts): `x.f` read or
   * written, or `x` handed to a call (`f(x)`: the member is the callee at that position). What
   * the guarded-by inference and rcu/unguarded-access read.
   */
  | {
      readonly kind: 'access';
      readonly node: ts.Node;
      readonly base: ts.Expression;
      readonly access: MemberAccess;
      readonly state: FactState;
    }
  /** rcuReadLock(), or a call whose summary enters a read-side section. */
  | { readonly kind: 'readLock'; readonly node: ts.Node; readonly state: FactState }
  /** rcuReadUnlock(), the dispose of `using … = rcuReadLock()`, or a helper that releases it. */
  | { readonly kind: 'readUnlock'; readonly node: ts.Node; readonly state: FactState }
  /** spinLock / successful spinTrylock of `key` (the lock expression's text). */
  | {
      readonly kind: 'spinLock';
      readonly node: ts.Node;
      readonly key: string;
      readonly sym: ts.Symbol | undefined;
      readonly trylock: boolean;
      readonly state: FactState;
    }
  | {
      readonly kind: 'spinUnlock';
      readonly node: ts.Node;
      readonly key: string;
      readonly sym: ts.Symbol | undefined;
      readonly state: FactState;
    }
  /** refcountIncNotZero whose result is discarded. */
  | {
      readonly kind: 'incIgnored';
      readonly node: ts.CallExpression;
      readonly sym: ts.Symbol | undefined;
      readonly state: FactState;
    }
  /**
   * refcountDecAndTest on an object (dropping a reference), or the object handed to a helper
   * whose summary says it drops its parameter's reference (`through`: that helper's name).
   */
  | {
      readonly kind: 'refPut';
      readonly node: ts.Node;
      readonly sym: ts.Symbol | undefined;
      readonly through?: string;
      readonly state: FactState;
    }
  /** A reference acquired successfully (edge refinement of refcountIncNotZero). */
  | { readonly kind: 'refTaken'; readonly node: ts.CallExpression; readonly sym: ts.Symbol; readonly state: FactState }
  /** Something that may block or suspend: await, yield, for await, synchronizeRcu, rcuBarrier, Atomics.wait, a blocking helper. */
  | { readonly kind: 'blocking'; readonly node: ts.Node; readonly what: string; readonly state: FactState }
  /** A use of a tracked type-stable reference. */
  | {
      readonly kind: 'use';
      readonly node: ts.Identifier;
      readonly sym: ts.Symbol;
      readonly how: UseKind;
      readonly state: FactState;
    }
  /** A closure that outlives this point (deferred callback, returned, stored) captures a tracked reference. */
  | {
      readonly kind: 'capture';
      readonly node: ts.Identifier;
      readonly closure: ts.Node;
      readonly sym: ts.Symbol;
      readonly state: FactState;
    }
  /** A call to a project function; `summary` says what it needs and does. */
  | {
      readonly kind: 'call';
      readonly node: ts.CallExpression;
      readonly summary: FunctionSummary;
      readonly state: FactState;
    }
  /**
   * The facts where a function expression is evaluated, or where a function value (a callback
   * parameter) is called: a callback that runs in place starts from them. Also at an updater's
   * claim (`rcuDereferenceProtected`), which a rule checks against them.
   */
  | { readonly kind: 'site'; readonly node: ts.Node; readonly state: FactState }
  /** Paths meet at a block with several reachable incoming edges. */
  | {
      readonly kind: 'join';
      readonly block: BasicBlock;
      readonly incoming: ReadonlyArray<{ readonly edge: Edge; readonly state: FactState }>;
    }
  /** A normal return (`node` is the return statement or the function) or an uncaught throw. */
  | { readonly kind: 'exit'; readonly node: ts.Node; readonly how: 'return' | 'throw'; readonly state: FactState };

/** What an `access` event touches. */
export interface MemberAccess {
  readonly struct: StructDecl;
  /** `files` for `task.files`; `iocIcqList()` for `iocIcqList(ioc)`. */
  readonly member: string;
  /** Unique per member: the field name, or `call:<callee declaration>#<argument index>`. */
  readonly key: string;
  /** Assigned, updated, incremented or deleted (a call counts as neither read nor write: `call`). */
  readonly how: 'read' | 'write' | 'call';
}

export type EventSink = (e: FactEvent) => void;
