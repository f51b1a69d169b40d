/**
 * @fileoverview The one fixture harness. Fixtures are TypeScript files with their expected
 * findings written inline, under the code they point at:
 *
 *     spinLock(sighand.siglock);
 *     const n = sighand.count;
 *     //        ^^^^^^^^^^^^^ rcu/missing-revalidation
 *
 * The carets give the span (start and end column) on the nearest code line above; several
 * expectation lines may follow one code line. `// expect: <rule-id>` at the end of a code line
 * expects a finding that starts on that line (any column). Only rule ids and spans are
 * compared, never message wording.
 *
 * Known limits are written down, not hidden: a caret line ending in `(known false negative: why)`
 * marks a finding the engine should report but does not, and `(known false positive: why)` one
 * it reports on correct code. They pass the tests as they are, count against precision and
 * recall in `npm run eval`, and fail the tests the day the engine changes — so the marker goes.
 *
 * Used by the tests (one assertion per fixture) and by `npm run eval` (precision and recall).
 */

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project, ts } from 'ts-morph';
import type { Diagnostic } from '../diagnostic.js';
import { analyzeProgram } from '../engine/analyze.js';

export interface Expectation {
  readonly ruleId: string;
  readonly line: number;
  /** 1-based; undefined for `// expect:` (line only). */
  readonly startColumn: number | undefined;
  readonly endColumn: number | undefined;
  /** Marked as a known engine limit: 'fn' (should be found, is not) or 'fp' (found, but the code is correct). */
  readonly known?: 'fn' | 'fp';
}

export interface FixtureResult {
  readonly file: string;
  readonly expected: readonly Expectation[];
  readonly actual: readonly Diagnostic[];
  /** Expected findings the engine did not produce (false negatives). */
  readonly missing: readonly Expectation[];
  /** Findings nobody expected (false positives). */
  readonly unexpected: readonly Diagnostic[];
  /** Known false negatives (still missing, as marked). */
  readonly knownMissing: readonly Expectation[];
  /** Known false positives (still reported, as marked). */
  readonly knownFalse: readonly Expectation[];
  /** Syntax and type errors in the fixture itself (a broken fixture proves nothing). */
  readonly syntaxErrors: readonly string[];
}

const CARET = /^(\s*)\/\/(\s*)(\^+)\s+([\w@/-]+)\s*(?:\(known false (negative|positive):[^)]*\))?\s*$/;
const TRAILING = /\/\/\s*expect:\s*([\w@/-]+(?:\s*,\s*[\w@/-]+)*)\s*$/;

export function parseExpectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  const lines = text.split(/\r?\n/);
  let codeLine = 0;
  lines.forEach((line, i) => {
    const m = CARET.exec(line);
    if (m !== null && codeLine > 0) {
      const col = line.indexOf('^') + 1;
      const known = m[5] === 'negative' ? 'fn' : m[5] === 'positive' ? 'fp' : undefined;
      out.push({
        ruleId: m[4]!,
        line: codeLine,
        startColumn: col,
        endColumn: col + m[3]!.length,
        ...(known !== undefined ? { known } : {}),
      });
      return;
    }
    codeLine = i + 1;
    const t = TRAILING.exec(line);
    if (t !== null)
      for (const id of t[1]!.split(','))
        out.push({ ruleId: id.trim(), line: i + 1, startColumn: undefined, endColumn: undefined });
  });
  return out;
}

function matches(e: Expectation, d: Diagnostic): boolean {
  if (d.ruleId !== e.ruleId || d.span.startLine !== e.line) return false;
  if (e.startColumn === undefined) return true;
  return d.span.startColumn === e.startColumn && d.span.endColumn === e.endColumn;
}

/** Pair expectations with findings; what is left over on either side is a miss or a false alarm. */
export function compare(
  file: string,
  text: string,
  actual: readonly Diagnostic[],
  syntaxErrors: readonly string[] = [],
): FixtureResult {
  const expected = parseExpectations(text);
  const left = [...actual];
  const missing: Expectation[] = [];
  const knownMissing: Expectation[] = [];
  const knownFalse: Expectation[] = [];
  for (const e of expected) {
    const i = left.findIndex((d) => matches(e, d));
    if (e.known === 'fn') {
      // Still missed, as written down; found now means the marker is stale.
      if (i < 0) knownMissing.push(e);
      else missing.push(e);
      if (i >= 0) left.splice(i, 1);
      continue;
    }
    if (i < 0) missing.push(e);
    else {
      left.splice(i, 1);
      if (e.known === 'fp') knownFalse.push(e);
    }
  }
  return { file, expected, actual, missing, unexpected: left, knownMissing, knownFalse, syntaxErrors };
}

/** The analyzer's fixtures folder, `analyzer/test/fixtures/` (from src/ or dist/ alike). */
export function fixturesRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../test/fixtures');
}

export function listFixtureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFixtureFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** A loaded fixtures project: one program for all fixtures, analyzed once. */
export class FixtureSuite {
  readonly project: Project;
  readonly program: ts.Program;
  private readonly byFile = new Map<string, Diagnostic[]>();

  constructor(root = fixturesRoot()) {
    this.project = new Project({ tsConfigFilePath: join(root, 'tsconfig.json') });
    this.program = this.project.getProgram().compilerObject;
    const result = analyzeProgram(this.program);
    for (const d of result.diagnostics) {
      let list = this.byFile.get(d.span.file);
      if (list === undefined) this.byFile.set(d.span.file, (list = []));
      list.push(d);
    }
  }

  /** Check one fixture file (absolute path) against its inline expectations. */
  check(file: string): FixtureResult {
    const sf = this.program.getSourceFile(file);
    if (sf === undefined) throw new Error(`fixture not in the fixtures project: ${file}`);
    // Fixtures must type-check against the real runtime: a call that does not resolve to its
    // declaration is not a primitive, and a fixture that silently lost its primitives proves nothing.
    const diags = [...this.program.getSyntacticDiagnostics(sf), ...this.program.getSemanticDiagnostics(sf)];
    const syntax = diags.map(
      (d) =>
        `${d.start !== undefined ? `${sf.getLineAndCharacterOfPosition(d.start).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
    );
    return compare(file, sf.text, this.byFile.get(sf.fileName) ?? [], syntax);
  }
}

/** One-line rendering of a result's problems, for test failure messages. */
export function describeResult(r: FixtureResult): string {
  const parts: string[] = [];
  for (const m of r.missing) {
    parts.push(
      m.known === 'fn'
        ? `known false negative ${m.ruleId} at ${m.line} is found now: remove the marker`
        : `missing ${m.ruleId} at ${m.line}:${m.startColumn ?? '*'}-${m.endColumn ?? '*'}`,
    );
  }
  for (const u of r.unexpected)
    parts.push(
      `unexpected ${u.ruleId}(${u.messageId}) at ${u.span.startLine}:${u.span.startColumn}-${u.span.endColumn}: ${u.message}`,
    );
  for (const s of r.syntaxErrors) parts.push(`syntax error: ${s}`);
  return parts.join('\n');
}
