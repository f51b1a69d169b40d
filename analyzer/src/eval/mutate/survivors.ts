/**
 * @fileoverview The committed list of surviving mutants (`analyzer/test/mutation/survivors.json`)
 * and the ratchet it enforces. Every survivor must be listed with a reason that classifies it —
 * `equivalent mutant: <why the program is still correct>` or `gap: <the checker gap, named by
 * construct>` — and a listed survivor that is now killed, or no longer generated, must leave the
 * list. So the list only ever shrinks, unless someone adds a survivor and says why.
 *
 * Entries are matched by file, function, operator and mutation text (which carries no line
 * number); the line is there for people and is not compared.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MutantResult } from './run.js';
import { repoRoot } from './targets.js';

export interface SurvivorEntry {
  readonly file: string;
  readonly function: string;
  readonly operator: string;
  readonly mutation: string;
  readonly line?: number;
  readonly reason: string;
}

export interface SurvivorList {
  readonly about?: string;
  readonly survivors: readonly SurvivorEntry[];
}

export const SURVIVORS_PATH = 'analyzer/test/mutation/survivors.json';

const ABOUT =
  'Mutants that `npm run mutate` derives from correct code and the checker does not catch. Each needs a reason: ' +
  '"equivalent mutant: <why the mutant is still correct>" or "gap: <the checker gap, by construct>". ' +
  '`npm run mutate` fails on a survivor missing here and on an entry that is killed now (remove it); ' +
  '`npm run mutate -- --update` rewrites the list, keeping reasons and marking new entries TODO.';

const TODO = 'TODO: classify as "equivalent mutant: …" or "gap: …"';

const CLASSIFIED = /^(equivalent mutant|gap): \S/;

/** The prefix that makes a listed survivor an equivalent mutant (a still-correct program). */
export const EQUIVALENT = 'equivalent mutant:';

type Key = Pick<SurvivorEntry, 'file' | 'function' | 'operator' | 'mutation'>;
type Scope = (e: Pick<SurvivorEntry, 'file' | 'operator'>) => boolean;

const keyOf = (e: Key): string => [e.file, e.function, e.operator, e.mutation].join('\u0000');

export function survivorsFile(): string {
  return join(repoRoot(), SURVIVORS_PATH);
}

export function readSurvivors(path = survivorsFile()): SurvivorList {
  if (!existsSync(path)) return { survivors: [] };
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as SurvivorList;
  if (!Array.isArray(parsed.survivors)) throw new Error(`${path}: no "survivors" array`);
  return parsed;
}

export interface RatchetProblem {
  readonly kind: 'unlisted' | 'killed' | 'stale' | 'unclassified';
  readonly entry: SurvivorEntry;
}

/**
 * Compare a run with the list. `inScope(entry)` says which entries the run could have produced
 * (a run over some roots only leaves the others' entries alone).
 */
export function checkRatchet(list: SurvivorList, results: readonly MutantResult[], inScope: Scope): RatchetProblem[] {
  const problems: RatchetProblem[] = [];
  const listed = new Map<string, SurvivorEntry[]>();
  for (const e of list.survivors) {
    if (!inScope(e)) continue;
    if (!CLASSIFIED.test(e.reason)) problems.push({ kind: 'unclassified', entry: e });
    const k = keyOf(e);
    listed.set(k, [...(listed.get(k) ?? []), e]);
  }
  const generated = new Map<string, MutantResult[]>();
  for (const r of results) generated.set(keyOf(r), [...(generated.get(keyOf(r)) ?? []), r]);
  for (const [k, rs] of generated) {
    const entries = listed.get(k) ?? [];
    const survived = rs.filter((r) => r.status === 'survived');
    survived
      .slice(entries.length)
      .forEach((r) => problems.push({ kind: 'unlisted', entry: { ...entryOf(r), reason: '' } }));
    entries.slice(survived.length).forEach((e) => problems.push({ kind: 'killed', entry: e }));
  }
  for (const [k, entries] of listed)
    if (!generated.has(k)) entries.forEach((e) => problems.push({ kind: 'stale', entry: e }));
  return problems;
}

/**
 * The survivors of a run that the list classifies as equivalent mutants: programs still correct,
 * which no checker should report. They leave the mutation score's denominator. A survivor that is
 * unlisted, TODO or a gap is a miss. Listed entries match survivors by key, one for one.
 */
export function equivalentMutants(list: SurvivorList, results: readonly MutantResult[]): Set<MutantResult> {
  const left = new Map<string, number>();
  for (const e of list.survivors)
    if (e.reason.startsWith(EQUIVALENT)) left.set(keyOf(e), (left.get(keyOf(e)) ?? 0) + 1);
  const out = new Set<MutantResult>();
  for (const r of results) {
    const n = r.status === 'survived' ? (left.get(keyOf(r)) ?? 0) : 0;
    if (n === 0) continue;
    left.set(keyOf(r), n - 1);
    out.add(r);
  }
  return out;
}

const baseName = (file: string): string => file.slice(file.lastIndexOf('/') + 1);

function entryOf(r: MutantResult): Omit<SurvivorEntry, 'reason'> {
  return { file: r.file, function: r.function, operator: r.operator, mutation: r.mutation, line: r.line };
}

/**
 * The list rewritten from a run: reasons kept where the entry was listed (or listed under
 * another folder with the same file name: a moved file keeps its reasons), TODO where it is
 * new; out-of-scope entries kept.
 */
export function updatedList(list: SurvivorList, results: readonly MutantResult[], inScope: Scope): SurvivorList {
  const reasons = new Map<string, string[]>();
  const moved = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, reason: string): void =>
    void m.set(k, [...(m.get(k) ?? []), reason]);
  for (const e of list.survivors) {
    add(reasons, keyOf(e), e.reason);
    add(moved, keyOf({ ...e, file: baseName(e.file) }), e.reason);
  }
  const kept = list.survivors.filter((e) => !inScope(e));
  const fresh = results
    .filter((r) => r.status === 'survived')
    .map((r): SurvivorEntry => ({
      ...entryOf(r),
      reason: reasons.get(keyOf(r))?.shift() ?? moved.get(keyOf({ ...r, file: baseName(r.file) }))?.shift() ?? TODO,
    }));
  const all = [...kept, ...fresh].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.operator.localeCompare(b.operator) ||
      a.mutation.localeCompare(b.mutation),
  );
  return { about: ABOUT, survivors: all };
}

export function writeSurvivors(list: SurvivorList, path = survivorsFile()): void {
  writeFileSync(path, `${JSON.stringify(list, null, 2)}\n`);
}
