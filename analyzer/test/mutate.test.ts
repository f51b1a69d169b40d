/**
 * @fileoverview `npm run mutate` on small inline samples: each operator writes exactly the
 * mutant it should (its changed lines, before and after), positions map through the edits, a
 * mutant is killed only by a new finding of its rules on its judged lines, and the survivor
 * list is a ratchet. The engine is run for real where the judgement is tested end to end.
 */

import { join } from 'node:path';
import type { ts } from 'ts-morph';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostic.js';
import { analyzeProgram } from '../src/engine/analyze.js';
import { ProgramAnalysis } from '../src/engine/program-analysis.js';
import { loadProject } from '../src/engine/project-loader.js';
import { applyEdits, editDiff, mapOffset } from '../src/eval/mutate/edits.js';
import { judge, judgedLines } from '../src/eval/mutate/judge.js';
import { scores } from '../src/eval/mutate/report.js';
import { FunctionScope, type OperatorId } from '../src/eval/mutate/operator.js';
import { OPERATORS } from '../src/eval/mutate/operators/index.js';
import { evaluate, generate, type MutantResult } from '../src/eval/mutate/run.js';
import { checkRatchet, updatedList, type SurvivorList } from '../src/eval/mutate/survivors.js';
import { repoRoot } from '../src/eval/mutate/targets.js';
import { WarmProgram, fileErrors } from '../src/eval/mutate/warm-program.js';

// Placed in the repository (never written to disk) so that `@rcukit/runtime` resolves.
const FILE = join(repoRoot(), 'analyzer/test/mutation/virtual/sample.ts');

const SAMPLE = `import { callRcu, defineStruct, kmemCacheAlloc, kmemCacheCreate, kmemCacheFree, rcuReadLock, rcuReadUnlock, refcountIncNotZero, spinLock, spinUnlock, type Heap, type Refcount, type Spinlock, type StructRef, type TypeStable } from '@rcukit/runtime';

interface Sighand { siglock: Spinlock; count: Refcount; action: number }
interface Task { sighand: TypeStable<Sighand> | null }

export function lockTaskSighand(task: Task): TypeStable<Sighand> | null {
  for (;;) {
    rcuReadLock();
    const sighand = task.sighand;
    if (sighand === null) {
      rcuReadUnlock();
      return null;
    }
    spinLock(sighand.siglock);
    if (sighand === task.sighand) {
      rcuReadUnlock();
      return sighand;
    }
    spinUnlock(sighand.siglock);
    rcuReadUnlock();
  }
}

export function getSighand(task: Task): TypeStable<Sighand> | null {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand === null || !refcountIncNotZero(sighand.count)) {
    rcuReadUnlock();
    return null;
  }
  if (sighand !== task.sighand) {
    rcuReadUnlock();
    return null;
  }
  rcuReadUnlock();
  return sighand;
}

export async function actionOf(task: Task): Promise<number> {
  using _ = rcuReadLock();
  return task.sighand?.action ?? 0;
}

export const Cred = defineStruct('cred', { uid: 'i32' });
export const Proc = defineStruct('proc', { pid: 'i32', cred: { rcu: () => Cred } });

export function commitCreds(heap: Heap, proc: StructRef<typeof Proc>, uid: number): void {
  const creds = kmemCacheCreate(heap, 'cred_jar', Cred);
  const next = kmemCacheAlloc(creds);
  next.uid = uid;
  const old = proc.cred;
  proc.cred = next;
  if (old !== null) callRcu(() => kmemCacheFree(creds, old));
}

export function setAction(task: Task, sig: number): void {
  const sighand = lockTaskSighand(task);
  if (sighand === null) return;
  sighand.action = sig;
  spinUnlock(sighand.siglock);
}

export function setUnlessZero(task: Task, sig: number): number {
  const sighand = lockTaskSighand(task);
  if (sighand === null) return -1;
  refused: {
    sighand.action = sig;
    if (sig === 0) break refused;
    spinUnlock(sighand.siglock);
    return sig;
  }
  spinUnlock(sighand.siglock);
  return 0;
}

const IDLE = 0;

export function setIfIdle(task: Task, sig: number): boolean {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand === null) {
    rcuReadUnlock();
    return false;
  }
  spinLock(sighand.siglock);
  if (sighand !== task.sighand || sighand.action !== IDLE) {
    spinUnlock(sighand.siglock);
    rcuReadUnlock();
    return false;
  }
  sighand.action = sig;
  spinUnlock(sighand.siglock);
  rcuReadUnlock();
  return true;
}
`;

let program: ts.Program;
let analysis: ProgramAnalysis;
let sf: ts.SourceFile;

beforeAll(() => {
  program = loadProject({ cwd: join(FILE, '..'), files: [FILE], overlays: new Map([[FILE, SAMPLE]]) }).getProgram()
    .compilerObject;
  analysis = new ProgramAnalysis(program);
  sf = program.getSourceFile(FILE)!;
});

function scopeOf(name: string): FunctionScope {
  const fn = analysis.functionsOf(sf).find((f) => new FunctionScope(sf, f, analysis).name === name);
  if (fn === undefined) throw new Error(`no function ${name}`);
  return new FunctionScope(sf, fn, analysis);
}

/** The mutants one operator derives from one function: their descriptions and changed lines. */
function mutants(operator: OperatorId, fn: string): Array<{ description: string; diff: string[] }> {
  const op = OPERATORS.find((o) => o.id === operator)!;
  return generate(scopeOf(fn), [op]).map(({ draft }) => ({
    description: draft.description,
    diff: editDiff(SAMPLE, draft.edits),
  }));
}

describe('the sample', () => {
  it('type-checks against the runtime, so that its primitives resolve', () => {
    expect(fileErrors(program, sf)).toEqual([]);
  });
});

describe('operators', () => {
  it('drop-read-unlock-one-path deletes each rcuReadUnlock() in turn, keeping the line', () => {
    expect(mutants('drop-read-unlock-one-path', 'lockTaskSighand')).toEqual([
      { description: 'delete `rcuReadUnlock();`', diff: ['-11       rcuReadUnlock();', '+11       '] },
      { description: 'delete `rcuReadUnlock();`', diff: ['-16       rcuReadUnlock();', '+16       '] },
      { description: 'delete `rcuReadUnlock();`', diff: ['-20     rcuReadUnlock();', '+20     '] },
    ]);
  });

  it('drop-read-unlock-one-path makes a `using` read guard a const', () => {
    expect(mutants('drop-read-unlock-one-path', 'actionOf')).toEqual([
      {
        description: '`using _ = rcuReadLock();` → `const _ = rcuReadLock();`',
        diff: ['-40   using _ = rcuReadLock();', '+40   const _ = rcuReadLock();'],
      },
    ]);
  });

  it('drop-read-lock deletes the lock, or the whole `using` guard', () => {
    expect(mutants('drop-read-lock', 'lockTaskSighand')).toEqual([
      { description: 'delete `rcuReadLock();`', diff: ['- 8     rcuReadLock();', '+ 8     '] },
    ]);
    expect(mutants('drop-read-lock', 'actionOf')).toEqual([
      { description: 'delete `using _ = rcuReadLock();`', diff: ['-40   using _ = rcuReadLock();', '+40   '] },
    ]);
  });

  it('drop-spin-unlock-one-path deletes a spinUnlock()', () => {
    expect(mutants('drop-spin-unlock-one-path', 'lockTaskSighand')).toEqual([
      {
        description: 'delete `spinUnlock(sighand.siglock);`',
        diff: ['-19     spinUnlock(sighand.siglock);', '+19     '],
      },
    ]);
  });

  it('unlock-before-last-use moves the unlock above the statement that last used what it protected', () => {
    expect(mutants('unlock-before-last-use', 'lockTaskSighand')).toEqual([
      {
        description: 'move `rcuReadUnlock();` above `spinUnlock(sighand.siglock);`',
        diff: ['+19     rcuReadUnlock();', '-20     rcuReadUnlock();'],
      },
    ]);
  });

  it('unlock-before-last-use stops at a statement that releases the same protection', () => {
    // getSighand's last unlock follows `if (…) { rcuReadUnlock(); return null; }`; the others come first in their blocks.
    expect(mutants('unlock-before-last-use', 'getSighand')).toEqual([]);
  });

  it('unlock-before-last-use stops at any statement that can leave the block, not only the last use', () => {
    // Moving the first unlock above the write would carry it past `break refused`: a double unlock there.
    expect(mutants('unlock-before-last-use', 'setUnlessZero')).toEqual([]);
  });

  it('unlock-before-last-use judges a moved spinUnlock by the write and lock-contract rules too', () => {
    const op = OPERATORS.find((o) => o.id === 'unlock-before-last-use')!;
    const spin = generate(scopeOf('setAction'), [op]).map(({ draft }) => draft);
    expect(spin.map((d) => d.description)).toEqual([
      'move `spinUnlock(sighand.siglock);` above `sighand.action = sig;`',
    ]);
    expect(spin[0]!.rules).toContain('rcu/unstable-write');
    expect(spin[0]!.rules).toContain('rcu/unbalanced-spinlock');
    // A moved rcuReadUnlock() leaves no write inside a section, and no lock contract behind.
    const read = generate(scopeOf('lockTaskSighand'), [op]).map(({ draft }) => draft);
    expect(read.map((d) => d.rules ?? op.rules)).toEqual([op.rules]);
    expect(op.rules).not.toContain('rcu/unstable-write');
  });

  it('neutralize-recheck replaces the identity comparison by the value it has when the identity holds', () => {
    expect(mutants('neutralize-recheck', 'lockTaskSighand')).toEqual([
      {
        description: '`sighand === task.sighand` → `(true as boolean)`',
        diff: ['-15     if (sighand === task.sighand) {', '+15     if ((true as boolean)) {'],
      },
    ]);
    expect(mutants('neutralize-recheck', 'getSighand')).toEqual([
      {
        description: '`sighand !== task.sighand` → `(false as boolean)`',
        diff: ['-31   if (sighand !== task.sighand) {', '+31   if ((false as boolean)) {'],
      },
    ]);
  });

  it('neutralize-recheck leaves a comparison with a constant alone: it tests state, not identity', () => {
    expect(mutants('neutralize-recheck', 'setIfIdle')).toEqual([
      {
        description: '`sighand !== task.sighand` → `(false as boolean)`',
        diff: [
          '-86   if (sighand !== task.sighand || sighand.action !== IDLE) {',
          '+86   if ((false as boolean) || sighand.action !== IDLE) {',
        ],
      },
    ]);
  });

  it('delete-recheck keeps only the branch taken when the identity holds', () => {
    expect(mutants('delete-recheck', 'getSighand')).toEqual([
      {
        description: '`if (sighand !== task.sighand) { rcuReadUnlock(); return null; }` → (deleted)',
        diff: [
          '-31   if (sighand !== task.sighand) {',
          '-32     rcuReadUnlock();',
          '-33     return null;',
          '-34   }',
          '+31   ',
        ],
      },
    ]);
  });

  it("move-recheck-before-pin moves the re-check above the pin, without the pin's release", () => {
    expect(mutants('move-recheck-before-pin', 'lockTaskSighand')).toEqual([
      {
        description:
          'move `if (sighand === task.sighand) { rcuReadUnlock(); return sighand; }` above `spinLock(sighand.siglock);`',
        diff: [
          '+14     if (sighand === task.sighand) {',
          '+15       rcuReadUnlock();',
          '+16       return sighand;',
          '+17     }',
          '-15     if (sighand === task.sighand) {',
          '-16       rcuReadUnlock();',
          '-17       return sighand;',
          '-18     }',
        ],
      },
    ]);
  });

  it('invert-inc-not-zero flips the tested result', () => {
    expect(mutants('invert-inc-not-zero', 'getSighand')).toEqual([
      {
        description: '`!refcountIncNotZero(sighand.count)` → `refcountIncNotZero(sighand.count)`',
        diff: [
          '-27   if (sighand === null || !refcountIncNotZero(sighand.count)) {',
          '+27   if (sighand === null || refcountIncNotZero(sighand.count)) {',
        ],
      },
    ]);
  });

  it('ignore-inc-not-zero keeps the call as a statement and goes on as if it succeeded', () => {
    expect(mutants('ignore-inc-not-zero', 'getSighand')).toEqual([
      {
        description:
          '`if (sighand === null || !refcountIncNotZero(sighand.count)) { rcuReadUn…` → `if (sighand === null) … refcountIncNotZero(sighand.count);`',
        diff: [
          '-27   if (sighand === null || !refcountIncNotZero(sighand.count)) {',
          '+27   if (sighand === null) {',
          '-30   }',
          '+30   } refcountIncNotZero(sighand.count);',
        ],
      },
    ]);
  });

  it('write-after-publish moves an initializing store below the publishing assignment', () => {
    expect(mutants('write-after-publish', 'commitCreds')).toEqual([
      {
        description: 'move `next.uid = uid;` below `proc.cred = next;`',
        diff: ['-50   next.uid = uid;', '+52   next.uid = uid;'],
      },
    ]);
  });

  it('await-in-section awaits right after the section opens, in async functions only', () => {
    expect(mutants('await-in-section', 'actionOf')).toEqual([
      {
        description: '`using _ = rcuReadLock();` → `using _ = rcuReadLock(); await Promise.resolve();`',
        diff: ['-40   using _ = rcuReadLock();', '+40   using _ = rcuReadLock(); await Promise.resolve();'],
      },
    ]);
    expect(mutants('await-in-section', 'lockTaskSighand')).toEqual([]);
  });

  it('block-in-section calls synchronizeRcu() there, imported under a name of its own when the file lacks it', () => {
    expect(mutants('block-in-section', 'lockTaskSighand')).toEqual([
      {
        description: '`rcuReadLock();` → `rcuReadLock(); synchronizeRcu();`',
        diff: [
          '- 8     rcuReadLock();',
          '+ 8     rcuReadLock(); rcukitMutantSynchronizeRcu();',
          "+96 import { synchronizeRcu as rcukitMutantSynchronizeRcu } from '@rcukit/runtime';",
        ],
      },
    ]);
  });

  it('return-unpinned returns the object before its pin, or drops its only pin', () => {
    expect(mutants('return-unpinned', 'lockTaskSighand')).toEqual([
      {
        description:
          '`if ((true as boolean)) { rcuReadUnlock(); return sighand; }` inserted above `spinLock(sighand.siglock);`',
        diff: ['+14     if ((true as boolean)) { rcuReadUnlock(); return sighand; }'],
      },
      { description: 'delete `spinLock(sighand.siglock);`', diff: ['-14     spinLock(sighand.siglock);', '+14     '] },
    ]);
  });

  it('free-without-grace-period frees at once, or in a microtask, what callRcu() freed after a grace period', () => {
    expect(mutants('free-without-grace-period', 'commitCreds')).toEqual([
      {
        description: '`callRcu` → `queueMicrotask` in `callRcu(() => kmemCacheFree(creds, old))`',
        diff: [
          '-53   if (old !== null) callRcu(() => kmemCacheFree(creds, old));',
          '+53   if (old !== null) queueMicrotask(() => kmemCacheFree(creds, old));',
        ],
      },
      {
        description: '`callRcu(() => kmemCacheFree(creds, old))` → `kmemCacheFree(creds, old)`',
        diff: [
          '-53   if (old !== null) callRcu(() => kmemCacheFree(creds, old));',
          '+53   if (old !== null) kmemCacheFree(creds, old);',
        ],
      },
    ]);
  });
});

describe('edits', () => {
  it('map original offsets into the mutant, inside and around replaced text', () => {
    const text = 'abcdef';
    const edits = [
      { start: 1, end: 3, text: 'XYZW' },
      { start: 4, end: 4, text: '++' },
    ];
    expect(applyEdits(text, edits)).toBe('aXYZWd++ef');
    expect(mapOffset(0, edits)).toBe(0);
    expect(mapOffset(2, edits, 'start')).toBe(1);
    expect(mapOffset(2, edits, 'end')).toBe(5);
    expect(mapOffset(4, edits, 'start')).toBe(6);
    expect(mapOffset(4, edits, 'end')).toBe(8);
    expect(mapOffset(5, edits)).toBe(9);
  });
});

/** A finding of `rule` on 1-based `line` of `text`, as the engine would report it. */
function finding(text: string, rule: string, line: number): Diagnostic {
  const start =
    text
      .split('\n')
      .slice(0, line - 1)
      .join('\n').length + (line > 1 ? 1 : 0);
  return {
    ruleId: rule,
    messageId: 'm',
    severity: 'error',
    message: '',
    span: { file: FILE, startLine: line, startColumn: 1, endLine: line, endColumn: 2, start, end: start + 1 },
    related: [],
    fixes: [],
  };
}

describe('judge', () => {
  const original = 'a\nb\nc\nd\n';
  // Insert a line before `c`: the original's line 3 is the mutant's line 4.
  const edits = [{ start: 4, end: 4, text: 'x\n' }];
  const mutant = applyEdits(original, edits);
  const lines = judgedLines([{ inserted: 0 }], edits, mutant);

  it('judges the lines an edit wrote', () => {
    expect([...lines]).toEqual([3]);
  });

  it('kills with a new finding of the rule on a judged line', () => {
    const j = judge(['r/a'], lines, [], [finding(mutant, 'r/a', 3)], edits, mutant);
    expect(j.killed).toBe(true);
  });

  it('does not kill with another rule, another line, or a finding the original already had', () => {
    expect(judge(['r/a'], lines, [], [finding(mutant, 'r/b', 3)], edits, mutant).killed).toBe(false);
    expect(judge(['r/a'], lines, [], [finding(mutant, 'r/a', 4)], edits, mutant).killed).toBe(false);
    // The original's finding on `b` (line 2) is the mutant's on line 2; on `c` (3) the mutant's on 4.
    expect(
      judge(['r/a'], new Set([4]), [finding(original, 'r/a', 3)], [finding(mutant, 'r/a', 4)], edits, mutant).killed,
    ).toBe(false);
    expect(
      judge(['r/a'], new Set([4]), [finding(original, 'r/a', 2)], [finding(mutant, 'r/a', 4)], edits, mutant).killed,
    ).toBe(true);
  });
});

describe('evaluate, with the engine', () => {
  let warm: WarmProgram;
  let original: readonly Diagnostic[];
  beforeAll(() => {
    warm = new WarmProgram(program);
    original = analyzeProgram(program, { files: [FILE] }).diagnostics;
  });

  it('finds nothing in the sample before mutation', () => {
    expect(original).toEqual([]);
  });

  const nullPathUnlock = () => {
    const scope = scopeOf('lockTaskSighand');
    const op = OPERATORS.find((o) => o.id === 'drop-read-unlock-one-path')!;
    return { scope, op, draft: generate(scope, [op])[0]!.draft };
  };

  it("kills an unlock dropped on the path that returns null (the rule doc's own ❌ example)", () => {
    const { scope, op, draft } = nullPathUnlock();
    const r = evaluate(warm, scope, original, [], op, draft);
    expect(r.status).toBe('killed');
    expect(r.killedBy?.rule).toBe('rcu/unbalanced-read-lock');
  });

  it('lets it survive when the finding falls outside the judged lines', () => {
    const { scope, op, draft } = nullPathUnlock();
    const elsewhere = { ...draft, judged: [{ from: 0, to: 0 }] };
    const r = evaluate(warm, scope, original, [], op, elsewhere);
    expect(r.status).toBe('survived');
    expect(r.otherFindings?.map((f) => f.rule)).toContain('rcu/unbalanced-read-lock');
  });

  it('discards a mutant that does not type-check', () => {
    const scope = scopeOf('lockTaskSighand');
    const op = OPERATORS[0]!;
    const at = SAMPLE.indexOf('rcuReadLock();');
    const r = evaluate(warm, scope, original, [], op, {
      edits: [{ start: at, end: at, text: "const n: number = 'x'; " }],
      description: 'bad',
      judged: [],
    });
    expect(r.status).toBe('discarded');
    expect(r.errors?.[0]).toMatch(/^TS2322 /);
  });
});

describe('the survivor list', () => {
  const result = (mutation: string, status: MutantResult['status']): MutantResult => ({
    operator: 'drop-read-lock',
    file: 'examples/a.ts',
    function: 'f',
    line: 3,
    mutation,
    status,
  });
  const entry = (mutation: string, reason: string) => ({
    file: 'examples/a.ts',
    function: 'f',
    operator: 'drop-read-lock',
    mutation,
    reason,
  });
  const all = () => true;

  it('passes when every survivor is listed with a classified reason', () => {
    const list: SurvivorList = {
      survivors: [entry('m1', 'gap: callbacks'), entry('m2', 'equivalent mutant: the object is fresh')],
    };
    expect(
      checkRatchet(list, [result('m1', 'survived'), result('m2', 'survived'), result('m3', 'killed')], all),
    ).toEqual([]);
  });

  it('fails on a new survivor, a listed one killed or gone, and an unclassified reason', () => {
    const list: SurvivorList = { survivors: [entry('m1', 'TODO'), entry('m2', 'gap: x'), entry('m4', 'gap: y')] };
    const problems = checkRatchet(
      list,
      [result('m1', 'survived'), result('m2', 'killed'), result('m3', 'survived')],
      all,
    );
    expect(problems.map((p) => `${p.kind} ${p.entry.mutation}`).sort()).toEqual([
      'killed m2',
      'stale m4',
      'unclassified m1',
      'unlisted m3',
    ]);
  });

  it("leaves entries out of the run's scope alone", () => {
    const list: SurvivorList = { survivors: [entry('m9', 'gap: z')] };
    expect(checkRatchet(list, [], () => false)).toEqual([]);
    expect(updatedList(list, [], () => false).survivors).toEqual(list.survivors);
  });

  it('keeps the reasons of a file that moved to another folder', () => {
    const list: SurvivorList = { survivors: [{ ...entry('m1', 'gap: kept'), file: 'fixtures/rules/a.ts' }] };
    const moved = { ...result('m1', 'survived'), file: 'analyzer/test/fixtures/rules/a.ts' };
    expect(updatedList(list, [moved], all).survivors.map((e) => [e.file, e.reason])).toEqual([
      ['analyzer/test/fixtures/rules/a.ts', 'gap: kept'],
    ]);
  });

  it('scores over the non-equivalent mutants, and keeps the raw rate beside it', () => {
    const list: SurvivorList = {
      survivors: [
        entry('m1', 'equivalent mutant: still correct'),
        entry('m2', 'gap: x'),
        entry('m5', 'equivalent mutant: y'),
      ],
    };
    const run = [
      result('m1', 'survived'),
      result('m2', 'survived'),
      result('m3', 'survived'),
      result('m4', 'killed'),
      result('m5', 'killed'),
      result('m6', 'discarded'),
    ];
    const s = scores(run, list).operators.find((o) => o.operator === 'drop-read-lock')!;
    // m5 is listed as equivalent but was killed: only a survivor can be an equivalent mutant.
    // m3 is unlisted: a gap until classified.
    expect([s.compiled, s.killed, s.gaps, s.equivalent]).toEqual([5, 2, 2, 1]);
    expect(s.score).toBeCloseTo(2 / 4);
    expect(s.rawKillRate).toBeCloseTo(2 / 5);
  });

  it('is rewritten by --update keeping reasons and marking new survivors TODO', () => {
    const list: SurvivorList = { survivors: [entry('m1', 'gap: kept'), entry('m2', 'gap: killed now')] };
    const next = updatedList(list, [result('m1', 'survived'), result('m2', 'killed'), result('m3', 'survived')], all);
    expect(next.survivors.map((e) => [e.mutation, e.reason.split(':')[0]])).toEqual([
      ['m1', 'gap'],
      ['m3', 'TODO'],
    ]);
  });
});

describe('the re-check operators, on what is and is not a re-check', () => {
  // A lock of an object from a cache without SLAB_TYPESAFE_BY_RCU, compared with another: plain
  // memory is never another object's while a reader may still see it, so there is no identity
  // to re-check and the comparison is the function's logic (core_alua_free_tg_pt_gp()'s
  // `tg_pt_gp != dev->default_tg_pt_gp`). The same shape on a type-stable object is a re-check.
  // So is not an equality whose equal outcome only puts the object and fails (vma_start_read()'s
  // `vma->vm_lock_seq == mm->mm_lock_seq`, a write-lock test), while one whose equal outcome
  // uses the object before releasing it is.
  const PLAIN_FILE = join(repoRoot(), 'analyzer/test/mutation/virtual/plain-sample.ts');
  const PLAIN_SAMPLE = `import {
  defineStruct,
  refcountDecAndTest,
  refcountIncNotZero,
  spinLock,
  spinUnlock,
  type StructRef,
  type TypeStable,
} from '@rcukit/runtime';

export const Group = defineStruct('group', { lock: 'spinlock', members: 'i32' });
export const Vma = defineStruct('vma', { refs: 'refcount', lockSeq: 'u32', mm: 'i32' });

export function moveMember(from: StructRef<typeof Group>, to: StructRef<typeof Group>): void {
  spinLock(from.lock);
  if (from !== to) to.members++;
  spinUnlock(from.lock);
}

export function moveStableMember(from: TypeStable<StructRef<typeof Group>>, to: StructRef<typeof Group>): void {
  spinLock(from.lock);
  if (from !== to) to.members++;
  spinUnlock(from.lock);
}

export function startRead(vma: TypeStable<StructRef<typeof Vma>>, mm: number, mmLockSeq: number) {
  if (!refcountIncNotZero(vma.refs)) return null;
  if (vma.mm !== mm) {
    refcountDecAndTest(vma.refs);
    return null;
  }
  if (vma.lockSeq === mmLockSeq) {
    refcountDecAndTest(vma.refs);
    return null;
  }
  return vma;
}

export function membersIf(g: TypeStable<StructRef<typeof Group>>, expected: number): number {
  spinLock(g.lock);
  if (g.members === expected) {
    const n = g.members;
    spinUnlock(g.lock);
    return n;
  }
  spinUnlock(g.lock);
  return -1;
}
`;
  let plain: { analysis: ProgramAnalysis; sf: ts.SourceFile };
  beforeAll(() => {
    const program = loadProject({
      cwd: join(PLAIN_FILE, '..'),
      files: [PLAIN_FILE],
      overlays: new Map([[PLAIN_FILE, PLAIN_SAMPLE]]),
    }).getProgram().compilerObject;
    plain = { analysis: new ProgramAnalysis(program), sf: program.getSourceFile(PLAIN_FILE)! };
  });
  const descriptions = (name: string): string[] => {
    const fn = plain.analysis
      .functionsOf(plain.sf)
      .find((f) => new FunctionScope(plain.sf, f, plain.analysis).name === name)!;
    const ops = OPERATORS.filter((o) => o.id === 'neutralize-recheck' || o.id === 'delete-recheck');
    return generate(new FunctionScope(plain.sf, fn, plain.analysis), ops).map(({ draft }) => draft.description);
  };

  it('derive nothing from a comparison under the lock of a plain object', () => {
    expect(descriptions('moveMember')).toEqual([]);
  });

  it('derive their mutants from the same comparison under the lock of a type-stable object', () => {
    expect(descriptions('moveStableMember')).toEqual([
      '`if (from !== to) to.members++;` → (deleted)',
      '`from !== to` → `(false as boolean)`',
    ]);
  });

  it('leave alone an equality whose equal outcome only releases the pin and gives up', () => {
    expect(descriptions('startRead')).toEqual([
      '`if (vma.mm !== mm) { refcountDecAndTest(vma.refs); return null; }` → (deleted)',
      '`vma.mm !== mm` → `(false as boolean)`',
    ]);
  });

  it('count an equality whose equal outcome uses the object before releasing it', () => {
    expect(descriptions('membersIf')).toEqual([
      '`if (g.members === expected) { const n = g.members; spinUnlock(g.lock); …` → `{ const n = g.members; spinUnlock(g.lock); return n; }`',
      '`g.members === expected` → `(true as boolean)`',
    ]);
  });
});

describe('free-without-grace-period, on a sample of its own', () => {
  const FREE_FILE = join(repoRoot(), 'analyzer/test/mutation/virtual/free-sample.ts');
  // Node's typings, for the queueMicrotask() mutants to resolve as the host's.
  const FREE_SAMPLE = `/// <reference types="node" />
import { callRcu, defineStruct, hlistNullsDelInitRcu, kmemCacheCreate, kmemCacheFree, refcountDecAndTest, synchronizeRcu, type Heap, type StructRef } from '@rcukit/runtime';

declare const heap: Heap;
export const Fdb = defineStruct('fdb', { node: 'hlistNulls', refcnt: 'refcount', vid: 'u16' });
export const Lun = defineStruct('lun', { fdb: { rcu: () => Fdb } });
type FdbRef = StructRef<typeof Fdb>;
const fdbs = kmemCacheCreate(heap, 'fdb_cache', Fdb);

function fdbRcuFree(f: FdbRef): void {
  kmemCacheFree(fdbs, f);
}

function fdbPut(f: FdbRef): void {
  if (refcountDecAndTest(f.refcnt)) kmemCacheFree(fdbs, f);
}

function fdbTrace(f: FdbRef): void {
  void f.vid;
}

export function fdbDelete(f: FdbRef): void {
  hlistNullsDelInitRcu(heap, f.node);
  callRcu(() => fdbRcuFree(f));
}

export function fdbDeletePut(f: FdbRef): void {
  hlistNullsDelInitRcu(heap, f.node);
  callRcu(() => fdbPut(f));
}

export function fdbDeleteTraced(f: FdbRef): void {
  hlistNullsDelInitRcu(heap, f.node);
  callRcu(() => fdbTrace(f));
}

export function lunDetach(lun: StructRef<typeof Lun>): void {
  const old = lun.fdb;
  lun.fdb = null;
  synchronizeRcu();
  if (old !== null) fdbRcuFree(old);
}

export function fdbFlush(f: FdbRef): void {
  hlistNullsDelInitRcu(heap, f.node);
  synchronizeRcu();
  kmemCacheFree(fdbs, f);
}

export function fdbFree(f: FdbRef): void {
  synchronizeRcu();
  kmemCacheFree(fdbs, f);
}
`;
  let freeProgram: ts.Program;
  let freeAnalysis: ProgramAnalysis;
  let freeSf: ts.SourceFile;
  beforeAll(() => {
    freeProgram = loadProject({
      cwd: join(FREE_FILE, '..'),
      files: [FREE_FILE],
      overlays: new Map([[FREE_FILE, FREE_SAMPLE]]),
    }).getProgram().compilerObject;
    freeAnalysis = new ProgramAnalysis(freeProgram);
    freeSf = freeProgram.getSourceFile(FREE_FILE)!;
  });
  const op = OPERATORS.find((o) => o.id === 'free-without-grace-period')!;
  const scope = (name: string): FunctionScope => {
    const fn = freeAnalysis.functionsOf(freeSf).find((f) => new FunctionScope(freeSf, f, freeAnalysis).name === name);
    if (fn === undefined) throw new Error(`no function ${name}`);
    return new FunctionScope(freeSf, fn, freeAnalysis);
  };
  const drafts = (name: string): Array<{ description: string; diff: string[] }> =>
    generate(scope(name), [op]).map(({ draft }) => ({
      description: draft.description,
      diff: editDiff(FREE_SAMPLE, draft.edits),
    }));

  it('type-checks and is clean before mutation', () => {
    expect(fileErrors(freeProgram, freeSf)).toEqual([]);
    expect(analyzeProgram(freeProgram, { files: [FREE_FILE] }).diagnostics).toEqual([]);
  });

  it('calls at once the RCU callback a helper frees with (call_rcu(&f->rcu, fdb_rcu_free))', () => {
    expect(drafts('fdbDelete')).toEqual([
      {
        description: '`callRcu` → `queueMicrotask` in `callRcu(() => fdbRcuFree(f))`',
        diff: ['-24   callRcu(() => fdbRcuFree(f));', '+24   queueMicrotask(() => fdbRcuFree(f));'],
      },
      {
        description: '`callRcu(() => fdbRcuFree(f))` → `fdbRcuFree(f)`',
        diff: ['-24   callRcu(() => fdbRcuFree(f));', '+24   fdbRcuFree(f);'],
      },
    ]);
    // A put that may free with the last reference is still a free at once; a callback that frees nothing is not.
    expect(drafts('fdbDeletePut').map((d) => d.description)).toEqual([
      '`callRcu` → `queueMicrotask` in `callRcu(() => fdbPut(f))`',
      '`callRcu(() => fdbPut(f))` → `fdbPut(f)`',
    ]);
    expect(drafts('fdbDeleteTraced')).toEqual([]);
  });

  it('deletes the wait before a free that is the very next statement, or a helper that frees', () => {
    expect(drafts('fdbFlush')).toEqual([
      { description: 'delete `synchronizeRcu();`', diff: ['-46   synchronizeRcu();', '+46   '] },
    ]);
    expect(drafts('lunDetach')).toEqual([
      { description: 'delete `synchronizeRcu();`', diff: ['-40   synchronizeRcu();', '+40   '] },
    ]);
  });

  it('leaves alone a function that unlinks nothing', () => {
    expect(drafts('fdbFree')).toEqual([]);
  });

  it('each mutant of a helper that always frees is killed by the rule, on the free', () => {
    const warm = new WarmProgram(freeProgram);
    const original = analyzeProgram(freeProgram, { files: [FREE_FILE] }).diagnostics;
    const outcomes = ['fdbDelete', 'fdbFlush', 'lunDetach'].flatMap((name) => {
      const s = scope(name);
      return generate(s, [op]).map(({ draft }) => {
        const r = evaluate(warm, s, original, [], op, draft);
        return [draft.description, r.status, r.killedBy?.rule];
      });
    });
    expect(outcomes.length).toBe(4);
    for (const o of outcomes) expect(o.slice(1), String(o[0])).toEqual(['killed', 'rcu/free-without-grace-period']);
  });
});
