/**
 * @fileoverview The facts lattice and the solver: must-facts intersect at joins, may-facts
 * union, loops reach a fixpoint by widening read depth, and branch refinement makes
 * refcountIncNotZero / spinTrylock facts hold only on their success edge.
 */

import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { CfgBuilder } from '../src/cfg/cfg-builder.js';
import {
  emptyState,
  forget,
  isStable,
  joinStates,
  newObj,
  statesEqual,
  withLock,
  withObj,
  withAssume,
  withRead,
  widenStates,
} from '../src/dataflow/facts.js';
import { solveForward, type ForwardProblem } from '../src/dataflow/solver.js';

const project = new Project({ useInMemoryFileSystem: true });
const sf = project.createSourceFile('/m.ts', 'let a; let b;').compilerNode;
const [symA, symB] = sf.statements
  .map((s) => (s as ts.VariableStatement).declarationList.declarations[0]!)
  .map((d) => ({ name: d.name.getText() }) as unknown as ts.Symbol);

describe('facts lattice', () => {
  it('intersects must-held locks and keeps the lock as held-on-some-paths', () => {
    const site = sf.statements[0]!;
    const held = withLock(emptyState(), {
      key: 'l',
      obj: undefined,
      field: undefined,
      site,
      must: true,
      when: undefined,
    });
    const j = joinStates(held, emptyState());
    expect(j.locks.get('l')?.must).toBe(false);
    expect(joinStates(held, held).locks.get('l')?.must).toBe(true);
  });

  it('keeps read depth as a range and taints a mismatch', () => {
    const j = joinStates(withRead(emptyState(), 1), emptyState());
    expect([j.readMin, j.readMax, j.readTainted]).toEqual([0, 1, true]);
    const same = joinStates(withRead(emptyState(), 1), withRead(emptyState(), 1));
    expect([same.readMin, same.readMax, same.readTainted]).toEqual([1, 1, false]);
  });

  it('drops must object facts and keeps may object facts across a join', () => {
    const site = sf.statements[1]!;
    const referenced = withObj(emptyState(), symA!, {
      ...newObj('rcu', site, 1),
      refHeld: site,
      pending: { kind: 'ref', site, checkedBefore: undefined },
    });
    const plain = withObj(emptyState(), symA!, newObj('rcu', site, 1));
    const j = joinStates(referenced, plain);
    expect(j.objs.get(symA!)?.refHeld).toBeUndefined();
    expect(j.objs.get(symA!)?.pending?.kind).toBe('ref');
    expect(joinStates(plain, withObj(emptyState(), symB!, newObj('fresh', site, 0))).objs.get(symB!)?.origin).toBe(
      'fresh',
    );
  });

  it('keeps what holds of an object where the other path knows it is null', () => {
    const site = sf.statements[1]!;
    const pinned = withLock(withObj(emptyState(), symA!, { ...newObj('rcu', site, 1), refHeld: site }), {
      key: 'a.lock',
      obj: symA!,
      field: 'lock',
      site,
      must: true,
      when: undefined,
    });
    const isNull = withAssume(emptyState(), symA!, false);
    const j = joinStates(pinned, isNull);
    expect(j.objs.get(symA!)?.refHeld).toBe(site);
    // Held exactly where `a` is non-null: that keeps `a` stable, and a test of `a` settles it.
    expect(j.locks.get('a.lock')).toMatchObject({ must: false, when: { sym: symA, value: true } });
    expect(isStable(j, symA!)).toBe(true);
    // Assigning `a` ends the correlation.
    const f = forget(j, symA!);
    expect(f.locks.get('a.lock')?.when).toBeUndefined();
    expect(isStable(f, symA!)).toBe(true); // still referenced
    expect(joinStates(pinned, emptyState()).objs.get(symA!)?.refHeld).toBeUndefined();
  });

  it('keeps exact read depth at any nesting, and widens a growing range to unbounded', () => {
    let s = emptyState();
    for (let i = 0; i < 100; i++) s = withRead(s, 1);
    expect([s.readMin, s.readMax]).toEqual([100, 100]);
    const grown = joinStates(s, withRead(s, 1));
    const w = widenStates(s, grown);
    expect([w.readMin, w.readMax, w.readTainted]).toEqual([100, Infinity, true]);
    expect(statesEqual(w, widenStates(w, joinStates(w, withRead(w, 1))))).toBe(true);
    expect(widenStates(s, s)).toBe(s);
  });
});

describe('forward solver', () => {
  it('reaches a fixpoint on a loop that takes the read lock each iteration', () => {
    const file = project.createSourceFile(
      '/loop.ts',
      'function f(n: number) { while (n-- > 0) { g(); } }\ndeclare function g(): void;',
    ).compilerNode;
    const fn = file.statements[0] as ts.FunctionDeclaration;
    const cfg = CfgBuilder.build(fn, 1);
    // Each call to g() enters one more section (a leaking helper): depth grows until widened.
    const problem: ForwardProblem<ReturnType<typeof emptyState>> = {
      initial: emptyState(),
      transferBlock: (b, s) =>
        b.elements.reduce(
          (acc, el) => (el.kind === 'node' && ts.isCallExpression(el.node) ? withRead(acc, 1) : acc),
          s,
        ),
      transferEdge: (_e, s) => s,
      join: joinStates,
      equals: statesEqual,
      widen: widenStates,
    };
    const sol = solveForward(cfg, problem);
    expect(sol.capped).toBe(false);
    const exit = sol.entry.get(cfg.exit)!;
    expect(exit.readMin).toBe(0);
    expect(exit.readMax).toBe(Infinity);
  });
});
