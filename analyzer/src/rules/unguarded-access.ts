/**
 * @fileoverview rcu/unguarded-access: a function took an object's lock, released it, and then
 * used data that lock guards, without taking it again. Another thread holding the lock may be
 * changing that data (or, for a write, relying on nobody else changing it) at that instant.
 *
 * Which data a lock guards comes from `@guardedBy <lock>` on the struct field, or else from the
 * project's other uses of the same member (summaries/guarded-by.ts gathers them), as a kernel
 * developer reads "protected by" off the code:
 * - a write is guarded when at least one use of the member holds the object's lock and every
 *   other write (initializing a fresh object aside) does;
 * - a read, when at least one use holds the lock and no other use goes without it, except reads
 *   inside read-side sections (RCU readers read lock-guarded fields locklessly, READ_ONCE under
 *   rcu_read_lock()). A read that is itself inside a section is left alone unless declared,
 *   or unless the object is one only the released lock kept the one looked up (no reference);
 * - handing the object to a helper (`listEmpty(iocIcqList(ioc))`), when at least one other call
 *   of that helper with that object holds the lock and none goes without it.
 * Only uses after the function's own release are judged: a use before the lock is taken (an
 * unlocked pre-check) or in a function that never held the lock is no deviation this rule can
 * tell from a design.
 */

import { ts } from 'ts-morph';
import type { BasicBlock, Edge } from '../cfg/basic-block.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';
import type { FactEvent, MemberAccess } from '../dataflow/events.js';
import type { ObjFact } from '../dataflow/facts.js';
import { isLoopHeadTarget } from '../dataflow/assignments.js';
import { solveForward, type ForwardProblem } from '../dataflow/solver.js';
import { functionName, skipParens } from '../ast.js';
import { baseSymbol, isExclusive, lockFieldsOf, lockHeld, lockKeyOf, type MemberUse } from '../summaries/guarded-by.js';
import { defineRule } from './define-rule.js';

/** Lock key -> the release that reached here (on some path) with no acquisition of it since. */
type Released = ReadonlyMap<string, ts.Node>;

const HOW: Record<MemberAccess['how'], string> = { read: 'read', write: 'written', call: 'handed to' };

export default defineRule({
  id: 'rcu/unguarded-access',
  meta: {
    description: 'Disallow using data a lock guards after the function released that lock, without taking it again.',
    messages: {
      unguardedAccess:
        '`{{target}}` is {{how}} at line {{line}} after `{{lock}}` was released at line {{releaseLine}}, but `{{lock}}` guards `{{member}}` of `{{object}}` ({{why}}): another thread may be changing it now. Keep the access before the unlock, or take the lock again.',
      readPastIdentityLock:
        "`{{target}}` is {{how}} at line {{line}} after `{{lock}}` was released at line {{releaseLine}}. `{{object}}`, loaded at line {{loadLine}}, holds no reference: only `{{lock}}` kept it the object this function looked up, and `{{lock}}` guards `{{member}}` ({{why}}), so the value may be a freed and reused object's, though the read-side section still keeps the memory. Keep the access before the unlock, or take a reference.",
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const fn = ctx.analysis.cfg.fn;
    const candidates = afterRelease(ctx.analysis.cfg, ctx.events, ctx.checker);
    const judged = new Set(candidates.map((c) => c.event.node));
    const reported = new Set<ts.Node>();
    const guardOf = (access: MemberAccess, lock: string, inSection: boolean, exclude?: ts.Node): string | undefined => {
      if (access.how !== 'call' && access.struct.guardedBy.get(access.member) === lock)
        return `declared \`@guardedBy ${lock}\``;
      if (access.how === 'read' && inSection) return undefined;
      const witness = guardWitness(ctx.guards.usesOf(access), access, lock, fn, judged, exclude);
      if (witness === undefined) return undefined;
      const where = witness.fn === fn ? '' : ` in ${functionName(witness.fn)}()`;
      const others =
        access.how === 'read' ? 'use outside a read-side section' : access.how === 'write' ? 'write' : 'such call';
      return `held at its use on line ${ctx.line(witness.node)}${where}, and no other ${others} goes without it`;
    };
    for (const { event, lock, release } of candidates) {
      if (reported.has(event.node)) continue;
      const { access, base } = event;
      // Allocated here, or its last reference dropped: nobody else can see it.
      const sym = baseSymbol(ctx.checker, base);
      if (isExclusive(ctx, event.node, base, sym)) continue;
      // A section excuses a lockless read, unless the lock was what kept the object the one
      // this function looked up: then the read may be of the object's next life.
      const fact = sym === undefined ? undefined : event.state.objs.get(sym);
      const identity = identityRestedOnLock(fact);
      const loadSite = fact?.loadSite;
      const inSection = event.state.readMax > 0 && !identity;
      let why = guardOf(access, lock, inSection);
      let target = access.how === 'call' ? ctx.text(base) : ctx.text(event.node);
      let how = access.how === 'call' ? `handed to ${access.member}` : HOW[access.how];
      let member = access.member;
      if (why === undefined && access.how === 'call' && ts.isCallExpression(event.node)) {
        // What the helper does to the object: its own reads and writes of the object's fields.
        const index = event.node.arguments.findIndex((a) => skipParens(a) === base);
        for (const u of ctx.guards.paramFieldUses(event.node, index, lock)) {
          why = guardOf(u.access, lock, inSection && u.access.how === 'read', u.callee);
          if (why === undefined) continue;
          how = `handed to ${access.member}, which ${u.access.how === 'write' ? 'writes' : 'reads'} its \`${u.access.member}\` (line ${ctx.line(u.node)}),`;
          member = u.access.member;
          target = ctx.text(base);
          break;
        }
      }
      if (why === undefined) continue;
      reported.add(event.node);
      const object = ctx.text(base);
      const lockText = lockKeyOf(base, lock);
      ctx.report({
        node: event.node,
        messageId:
          identity && event.state.readMax > 0 && access.how === 'read' ? 'readPastIdentityLock' : 'unguardedAccess',
        data: {
          target,
          how,
          line: ctx.line(event.node),
          lock: lockText,
          releaseLine: ctx.line(release),
          member,
          object,
          why,
          loadLine: loadSite === undefined ? '?' : ctx.line(loadSite),
        },
        related: [{ node: release, message: `\`${lockText}\` released here` }],
      });
    }
  },
});

/**
 * Whether the object is known only through the lock this function released: loaded in a
 * read-side section, with no reference of its own. The section keeps its memory type-stable,
 * not its identity; once the lock is gone it may be freed and reused at any instant.
 */
function identityRestedOnLock(fact: ObjFact | undefined): boolean {
  return fact !== undefined && fact.origin === 'rcu' && fact.refHeld === undefined && fact.graceFreed === undefined;
}

/**
 * A use of the member that holds `lock`, when the project's uses make it guarded by `lock`. A
 * read needs, besides, a write under the lock (a field only ever written at initialization is
 * immutable and may be read anywhere), unless the field is an RCU pointer: those exist to be
 * replaced, and outside a read-side section only the updater's lock keeps what they point to.
 */
function guardWitness(
  uses: readonly MemberUse[],
  access: MemberAccess,
  lock: string,
  fn: ts.Node,
  judged: ReadonlySet<ts.Node>,
  exclude: ts.Node | undefined,
): MemberUse | undefined {
  const how = access.how;
  let witness: MemberUse | undefined;
  let heldWrite = how !== 'read' || access.struct.fields.get(access.member) === 'rcu';
  for (const u of uses) {
    // Fresh objects are being initialized; the excluded helper's uses are the call's, judged there.
    if (u.fresh || u.fn === exclude) continue;
    if (u.held.has(lock)) {
      witness ??= u;
      if (u.how === 'write') heldWrite = true;
      continue;
    }
    // This function's own uses after its release are what is being judged.
    if (u.fn === fn && judged.has(u.node)) continue;
    const against =
      how === 'call' || u.how === 'write' || (how === 'read' && u.how === 'read' && !u.inSection) || u.how === 'call';
    if (against) return undefined;
  }
  return heldWrite ? witness : undefined;
}

interface Candidate {
  readonly event: Extract<FactEvent, { kind: 'access' }>;
  /** The object's lock field released earlier and not held here on any path. */
  readonly lock: string;
  readonly release: ts.Node;
}

/**
 * The member uses this function makes after it released the object's own lock (on some path,
 * not taken again since, and held on no path here): a small may-analysis of released lock
 * keys over the same graph, gen at each spinUnlock event, kill at each spinLock.
 */
function afterRelease(cfg: ControlFlowGraph, events: readonly FactEvent[], checker: ts.TypeChecker): Candidate[] {
  const at = new Map<ts.Node, FactEvent[]>();
  let anyRelease = false;
  for (const e of events) {
    if (e.kind !== 'spinLock' && e.kind !== 'spinUnlock' && e.kind !== 'access') continue;
    if (e.kind === 'spinUnlock') anyRelease = true;
    const list = at.get(e.node);
    if (list === undefined) at.set(e.node, [e]);
    else list.push(e);
  }
  if (!anyRelease) return [];
  const out: Candidate[] = [];
  const step = (block: BasicBlock, entry: Released, replay: boolean): Released => {
    let r = entry;
    for (const el of block.elements) {
      // A new object in the variable (a loop's next entry): what was released was the old one's.
      const assigned = r.size > 0 ? assignedName(el.node) : undefined;
      if (assigned !== undefined) r = withoutRoot(r, assigned);
      for (const e of eventsOf(at, el.node)) {
        if (e.kind === 'spinUnlock') r = new Map(r).set(e.key, e.node);
        else if (e.kind === 'spinLock' && r.has(e.key)) {
          const m = new Map(r);
          m.delete(e.key);
          r = m;
        } else if (e.kind === 'access' && replay && r.size > 0) {
          const sym = baseSymbol(checker, e.base);
          for (const lock of lockFieldsOf(e.access.struct)) {
            const release = r.get(lockKeyOf(e.base, lock));
            if (release !== undefined && !lockHeld(e.state, e.base, sym, lock, false))
              out.push({ event: e, lock, release });
          }
        }
      }
    }
    return r;
  };
  const problem: ForwardProblem<Released> = {
    initial: new Map(),
    transferBlock: (b, entry) => step(b, entry, false),
    transferEdge: (_e: Edge, s) => s,
    join: (a, b) => (a === b || b.size === 0 ? a : a.size === 0 ? b : new Map([...a, ...b])),
    equals: (a, b) => a.size === b.size && [...a.keys()].every((k) => b.has(k)),
  };
  const solution = solveForward(cfg, problem);
  for (const block of cfg.reversePostOrder()) {
    const entry = solution.entry.get(block);
    if (entry !== undefined) step(block, entry, true);
  }
  return out;
}

/** The variable an element assigns: a declaration, `x = …`, a `for (x of …)` head. */
function assignedName(n: ts.Node): string | undefined {
  if (ts.isVariableDeclaration(n)) return ts.isIdentifier(n.name) ? n.name.text : undefined;
  if (ts.isIdentifier(n)) return isLoopHeadTarget(n) ? n.text : undefined;
  if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = skipParens(n.left);
    return ts.isIdentifier(left) ? left.text : undefined;
  }
  return undefined;
}

function withoutRoot(r: Released, name: string): Released {
  const gone = [...r.keys()].filter((k) => /^[\w$#]+/.exec(k)?.[0] === name);
  if (gone.length === 0) return r;
  const m = new Map(r);
  for (const k of gone) m.delete(k);
  return m;
}

/** The events an element produced: its own, and for an assignment those of its target (`x.f = …`). */
function eventsOf(at: ReadonlyMap<ts.Node, FactEvent[]>, n: ts.Node): readonly FactEvent[] {
  const own = at.get(n) ?? [];
  if (!ts.isBinaryExpression(n)) return own;
  const target = at.get(skipParens(n.left));
  return target === undefined ? own : [...target, ...own];
}
