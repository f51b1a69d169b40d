/**
 * @fileoverview The engine's entry points end to end: loading (loose files, overlays, tsconfig),
 * the pre-filter, severities, related locations and message contents, annotations, and bad
 * input that must not crash the engine.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixturesRoot, parseExpectations } from '../src/eval/fixture-check.js';
import { analyze, listRules, ProgramCache, ProjectLoadError, type AnalyzeOptions } from '../src/index.js';

const dir = join(fixturesRoot(), 'engine-virtual');

/** Analyze in-memory files placed beside the fixtures (so `@rcukit/runtime` resolves). */
function run(files: Record<string, string>, extra: Partial<AnalyzeOptions> = {}) {
  const overlays = new Map(Object.entries(files).map(([name, text]) => [join(dir, name), text] as const));
  return analyze({ cwd: dir, files: [...overlays.keys()], overlays, ...extra });
}

/** 1-based line of the first line of `code` containing `needle` (after `from` lines). */
function lineOf(code: string, needle: string, from = 0): number {
  const i = code.split('\n').findIndex((l, n) => n >= from && l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
}

const TYPES = `
import { rcuReadLock, rcuReadUnlock, spinLock, spinUnlock, refcountIncNotZero, callRcu, type Spinlock, type Refcount, type TypeStable } from '@rcukit/runtime';
interface Sighand { siglock: Spinlock; count: Refcount; action: number }
interface Task { sighand: TypeStable<Sighand> | null }
`;

describe('analyze()', () => {
  it('pre-filters files that never reach the runtime, but follows project imports', () => {
    const r = run({
      'plain.ts': 'export const x = 1;\n',
      'types.ts': TYPES.replace(/interface/g, 'export interface'),
      'user.ts': "import type { Task } from './types.js';\nexport function f(t: Task) { return t.sighand?.action; }\n",
    });
    expect(r.filesInProgram).toBe(3);
    expect(r.filesAnalyzed).toBe(2);
    expect(r.diagnostics.map((d) => [d.ruleId, d.span.file.endsWith('user.ts'), d.span.startLine])).toEqual([
      ['rcu/deref-outside-read-lock', true, 2],
    ]);
  });

  it('names the object, the lines and the path, with related locations', () => {
    const code = `${TYPES}
export function lockTaskSighand(task: Task): TypeStable<Sighand> | null {
  rcuReadLock();
  const sighand = task.sighand;
  if (sighand === null) { rcuReadUnlock(); return null; }
  spinLock(sighand.siglock);
  rcuReadUnlock();
  return sighand;
}
`;
    const [d, ...rest] = run({ 'lts.ts': code }).diagnostics;
    expect(rest).toEqual([]);
    expect(d!.ruleId).toBe('rcu/missing-revalidation');
    expect(d!.messageId).toBe('usedWithoutRevalidation');
    const lockLine = lineOf(code, 'spinLock(sighand.siglock)');
    expect(d!.span.startLine).toBe(lineOf(code, 'return sighand;'));
    expect(d!.message).toContain('`sighand`');
    expect(d!.message).toContain('spinLock(sighand.siglock)');
    expect(d!.message).toContain(`line ${lockLine}`);
    expect(d!.related.map((r) => [r.message, r.span.startLine])).toEqual([
      ['lock taken here', lockLine],
      ['loaded here', lineOf(code, 'const sighand = task.sighand')],
    ]);
  });

  it('applies severity overrides, including off', () => {
    const code = `${TYPES}\nexport function f(t: Task) { return t.sighand?.action; }\n`;
    expect(run({ 's.ts': code }, { rules: { 'rcu/deref-outside-read-lock': 'off' } }).diagnostics).toEqual([]);
    const warned = run({ 's.ts': code }, { rules: { 'rcu/deref-outside-read-lock': 'warning' } }).diagnostics;
    expect(warned.map((d) => d.severity)).toEqual(['warning']);
  });

  it("reads the contract of a function declared in one of the project's own declaration files", () => {
    // A .d.ts for a module of the project's own (written in JavaScript, or native): its JSDoc
    // is all there is to go on, as a prototype's __must_hold is for sparse.
    const dts = `import type { Spinlock } from '@rcukit/runtime';
export interface Bridge { hashLock: Spinlock; entries: number }
/** @mustHold br.hashLock */
export declare function addEntry(br: Bridge): number;
/** Says nothing. */
export declare function trace(br: Bridge): void;
`;
    const use = `import { spinLock, spinUnlock } from '@rcukit/runtime';
import { addEntry, trace, type Bridge } from './contract.js';
export function addLocked(br: Bridge): number {
  spinLock(br.hashLock);
  const err = addEntry(br);
  spinUnlock(br.hashLock);
  trace(br);
  return err;
}
export function addUnlocked(br: Bridge): number {
  spinLock(br.hashLock);
  spinUnlock(br.hashLock);
  return addEntry(br);
}
`;
    const ds = run({ 'contract.d.ts': dts, 'use.ts': use }).diagnostics;
    expect(ds.map((d) => [d.ruleId, d.messageId, d.span.file.endsWith('use.ts'), d.span.startLine])).toEqual([
      ['rcu/unbalanced-spinlock', 'callRequiresLock', true, lineOf(use, 'return addEntry(br);')],
    ]);
  });

  it('honours JSDoc annotations at API boundaries', () => {
    const code = `${TYPES}
/** @acquires rcu */
function enter(): void { rcuReadLock(); }
/** @releases rcu */
function leave(): void { rcuReadUnlock(); }
/** @mustHold s.siglock */
function bump(s: TypeStable<Sighand>): void { s.action++; }
export function f(t: Task): number {
  enter();
  const s = t.sighand;
  if (s === null) { leave(); return 0; }
  spinLock(s.siglock);
  if (s !== t.sighand) { spinUnlock(s.siglock); leave(); return 0; }
  bump(s);
  spinUnlock(s.siglock);
  leave();
  return 1;
}
export function g(s: TypeStable<Sighand>): void {
  bump(s);
}
`;
    const ds = run({ 'ann.ts': code }).diagnostics;
    // Only g is wrong: it calls bump without the lock bump must be called with. (Inside bump
    // the lock it is promised stabilizes `s`, so bump does not need the read lock as well.)
    const gCall = lineOf(code, 'bump(s);', lineOf(code, 'export function g'));
    expect(ds.map((d) => [d.ruleId, d.messageId, d.span.startLine])).toEqual([
      ['rcu/unbalanced-spinlock', 'callRequiresLock', gCall],
    ]);
  });

  it('reports a reference captured by callRcu', () => {
    const code = `${TYPES}
export function f(t: Task): void {
  rcuReadLock();
  const s = t.sighand;
  callRcu(() => { if (s) s.action = 0; });
  rcuReadUnlock();
}
`;
    expect(run({ 'cap.ts': code }).diagnostics.map((d) => d.ruleId)).toContain('rcu/reference-escape');
  });

  it('survives syntax errors and very deep nesting', () => {
    const broken = `${TYPES}\nexport function f(t: Task) { rcuReadLock(); if (t.sighand { }\n`;
    expect(() => run({ 'broken.ts': broken })).not.toThrow();
    const depth = 300;
    const deep = `${TYPES}\nexport function f(t: Task, x: number): number {\n  rcuReadLock();\n  let n = 0;\n${'  if (x > 0) {\n'.repeat(depth)}  n = ${'('.repeat(200)}t.sighand?.action ?? 0${')'.repeat(200)};\n${'  }\n'.repeat(depth)}  rcuReadUnlock();\n  return n;\n}\n`;
    const r = run({ 'deep.ts': deep });
    // Either analyzed (and clean: the read lock is held) or skipped with a reason; never a crash.
    expect(r.diagnostics).toEqual([]);
    for (const s of r.skipped ?? []) expect(s.reason).toMatch(/nested too deeply|internal error/);
    // Deeper than the TypeScript parser can go: a named error, not a RangeError.
    const absurd = `${TYPES}\nexport const n = ${'('.repeat(20_000)}1${')'.repeat(20_000)};\n`;
    expect(() => run({ 'absurd.ts': absurd })).toThrow(ProjectLoadError);
  });

  it('refuses a missing tsconfig with a named error', () => {
    expect(() => analyze({ cwd: dir, project: 'no-such-tsconfig.json' })).toThrow(ProjectLoadError);
  });

  it('analyzes a tsconfig project', () => {
    // A small tsconfig naming one fixture; its imports come along, and only it is reported on.
    const tmp = mkdtempSync(join(tmpdir(), 'rcukit-engine-'));
    const target = join(fixturesRoot(), 'rules/missing-revalidation/lock-task-sighand.ts');
    const base = JSON.parse(readFileSync(join(fixturesRoot(), 'tsconfig.json'), 'utf8')) as { compilerOptions: object };
    writeFileSync(
      join(tmp, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: base.compilerOptions, files: [target] }),
    );
    try {
      const r = analyze({ cwd: tmp, project: 'tsconfig.json', files: [target] });
      expect(r.filesInProgram).toBe(2);
      expect(r.filesAnalyzed).toBe(1);
      const expected = parseExpectations(readFileSync(target, 'utf8')).map((e) => `${e.ruleId}@${e.line}`);
      expect(r.diagnostics.map((d) => `${d.ruleId}@${d.span.startLine}`)).toEqual(expected);
      expect(new Set(r.diagnostics.map((d) => d.span.file))).toEqual(new Set([target]));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('finds nothing in the bundled example program, and finds a bug put into it', () => {
    // examples/shared-cache is written the way users should write rcukit code: lookups that are
    // stable until put(), a ctor that owns its object, every field set before insert().
    const cwd = fileURLToPath(new URL('../../', import.meta.url));
    const project = 'examples/shared-cache/tsconfig.json';
    const clean = analyze({ cwd, project });
    expect(clean.filesAnalyzed).toBeGreaterThan(2);
    expect(clean.diagnostics.map((d) => `${d.ruleId}@${d.span.file}:${d.span.startLine}: ${d.message}`)).toEqual([]);
    // The same updater with the stock set after the product is published.
    const updater = join(cwd, 'examples/shared-cache/src/updater.ts');
    const text = readFileSync(updater, 'utf8');
    const broken = text.replace(
      'if (catalog.insert(p)) listed++;',
      'if (catalog.insert(p)) { listed++; p.stock = 60; }',
    );
    expect(broken).not.toBe(text);
    const found = analyze({ cwd, project, overlays: new Map([[updater, broken]]) });
    expect(found.diagnostics.map((d) => `${d.ruleId}@${d.span.startLine}`)).toEqual([
      `rcu/publish-before-init@${lineOf(broken, 'p.stock = 60')}`,
    ]);
  });

  it('gives the same findings on warm programs as on a fresh load, overlays and all', () => {
    // The language server keeps projects warm (ProgramCache); `rcukit check` loads them afresh.
    const cwd = fileURLToPath(new URL('../../', import.meta.url));
    const project = 'examples/shared-cache/tsconfig.json';
    const updater = join(cwd, 'examples/shared-cache/src/updater.ts');
    const broken = readFileSync(updater, 'utf8').replace(
      'if (catalog.insert(p)) listed++;',
      'if (catalog.insert(p)) { listed++; p.stock = 60; }',
    );
    const programs = new ProgramCache();
    const edited = { cwd, project, overlays: new Map([[updater, broken]]) };
    const warm = analyze(edited, programs).diagnostics;
    expect(warm.map((d) => d.ruleId)).toEqual(['rcu/publish-before-init']);
    expect(warm).toEqual(analyze(edited).diagnostics);
    // The buffer closed: the warm program goes back to the text on disk.
    expect(analyze({ cwd, project }, programs).diagnostics).toEqual([]);
  });

  it('lists every rule with metadata', () => {
    const rules = listRules();
    expect(rules.map((r) => r.id)).toContain('rcu/missing-revalidation');
    for (const r of rules) {
      expect(r.docPath).toBe(`docs/rules/${r.id.split('/')[1]}.md`);
      expect(Object.keys(r.messages).length).toBeGreaterThan(0);
      for (const id of Object.keys(r.messages)) expect(id).toMatch(/^[a-z][A-Za-z]+$/);
    }
  });
});

describe('quick fixes', () => {
  it('offers to release the lock before an early return, and the fixed code is clean', () => {
    const code = `${TYPES}
declare const tableLock: Spinlock;
export function f(items: number[]): number {
  spinLock(tableLock);
  if (items.length === 0) return -1;
  rcuReadLock();
  if (items.length > 9) return 0;
  rcuReadUnlock();
  spinUnlock(tableLock);
  return 1;
}
`;
    const ds = run({ 'fix.ts': code }).diagnostics.filter((d) => d.fixes.length > 0);
    expect(ds.map((d) => d.ruleId).sort()).toEqual([
      'rcu/unbalanced-read-lock',
      'rcu/unbalanced-spinlock',
      'rcu/unbalanced-spinlock',
    ]);
    // Apply every fix (from the end of the file backwards) and re-analyze.
    const edits = ds.flatMap((d) => d.fixes[0]!.edits).sort((a, b) => b.start - a.start);
    let fixed = code;
    for (const e of edits) fixed = fixed.slice(0, e.start) + e.newText + fixed.slice(e.end);
    expect(fixed).toContain('{ spinUnlock(tableLock); return -1; }');
    expect(run({ 'fix.ts': fixed }).diagnostics).toEqual([]);
  });

  it('offers to free from callRcu where the file imports it, and the fixed code is clean', () => {
    const code = `
import { callRcu as deferFree, defineStruct, kmemCacheCreate, kmemCacheFree, type Heap, type StructRef } from '@rcukit/runtime';
export const Cred = defineStruct('cred', { uid: 'i32' });
export const Task = defineStruct('task', { pid: 'i32', cred: { rcu: () => Cred } });
declare const heap: Heap;
const creds = kmemCacheCreate(heap, 'cred_jar', Cred);
export function commitCreds(task: StructRef<typeof Task>, next: StructRef<typeof Cred>): void {
  const old = task.cred;
  task.cred = next;
  if (old !== null) kmemCacheFree(creds, old);
}
`;
    const ds = run({ 'free-fix.ts': code }).diagnostics;
    expect(ds.map((d) => `${d.ruleId}@${d.span.startLine}`)).toEqual([
      `rcu/free-without-grace-period@${lineOf(code, 'kmemCacheFree(creds, old)')}`,
    ]);
    const edits = ds[0]!.fixes[0]!.edits.slice().sort((a, b) => b.start - a.start);
    let fixed = code;
    for (const e of edits) fixed = fixed.slice(0, e.start) + e.newText + fixed.slice(e.end);
    expect(fixed).toContain('if (old !== null) deferFree(() => kmemCacheFree(creds, old));');
    expect(run({ 'free-fix.ts': fixed }).diagnostics).toEqual([]);
  });
});
