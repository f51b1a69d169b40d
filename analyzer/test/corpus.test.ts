/**
 * @fileoverview The corpus of correct code (analyzer/test/corpus/): faithful translations of
 * Linux SLAB_TYPESAFE_BY_RCU code and the same patterns written as application code. Every
 * finding on it is a false alarm. The findings the checker still makes are listed, each with
 * its cause, in corpus/known-false-alarms.json: this test fails when a finding appears that is
 * not listed (a new false alarm, or a real bug slipped into the corpus) and when a listed one
 * no longer appears (the checker improved: delete the entry), so the list only shrinks. The
 * way to shrink it is to improve the checker, never to reshape the corpus.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisResult } from '../src/index.js';

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const ratchetFile = join(corpusDir, 'known-false-alarms.json');

/** One entry of known-false-alarms.json. */
interface KnownFalseAlarm {
  /** Path relative to analyzer/test/corpus/, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  /** The enclosing function (`Class.method`, `outer/<callback>`), as functionAt() names it. */
  readonly function: string;
  /** Why the checker is wrong here: the construct it does not understand. */
  readonly cause: string;
}

type Finding = Omit<KnownFalseAlarm, 'cause'>;

let result: AnalysisResult;
let findings: Finding[];

beforeAll(() => {
  result = analyze({ cwd: corpusDir, project: join(corpusDir, 'tsconfig.json') });
  const sources = new Map<string, ts.SourceFile>();
  findings = result.diagnostics.map((d) => {
    let sf = sources.get(d.span.file);
    if (sf === undefined) {
      sf = ts.createSourceFile(d.span.file, readFileSync(d.span.file, 'utf8'), ts.ScriptTarget.Latest, true);
      sources.set(d.span.file, sf);
    }
    return {
      file: relative(corpusDir, d.span.file).split(sep).join('/'),
      line: d.span.startLine,
      rule: d.ruleId,
      function: functionAt(sf, d.span.start),
    };
  });
}, 120_000);

describe('corpus of correct code', () => {
  it('is analyzed completely: every file (each uses the runtime), no function skipped', () => {
    expect(result.filesAnalyzed).toBe(listTs(corpusDir).length);
    expect(result.skipped ?? []).toEqual([]);
  });

  it('draws exactly the findings listed in known-false-alarms.json (the list may only shrink)', () => {
    const known = readRatchet();
    const key = (f: Finding) => `${f.file}:${f.line} ${f.rule} in ${f.function}`;
    const unmatched = new Map<string, number>();
    for (const k of known) unmatched.set(key(k), (unmatched.get(key(k)) ?? 0) + 1);
    const unexpected: Finding[] = [];
    for (const f of findings) {
      const n = unmatched.get(key(f)) ?? 0;
      if (n > 0) unmatched.set(key(f), n - 1);
      else unexpected.push(f);
    }
    const gone = [...unmatched].filter(([, n]) => n > 0).map(([k, n]) => (n > 1 ? `${k} (x${n})` : k));
    const message = [
      unexpected.length > 0
        ? `${unexpected.length} finding(s) not in known-false-alarms.json. A real bug in the corpus must be fixed in the corpus; ` +
          `a new false alarm is a checker regression. Entries for review:\n` +
          unexpected.map((f) => `  ${JSON.stringify({ ...f, cause: 'TODO' })}`).join(',\n')
        : '',
      gone.length > 0
        ? `${gone.length} listed false alarm(s) no longer reported: remove them from known-false-alarms.json:\n  ${gone.join('\n  ')}`
        : '',
    ]
      .filter((s) => s !== '')
      .join('\n\n');
    expect(message).toBe('');
  });

  it('explains every known false alarm', () => {
    for (const k of readRatchet()) {
      expect(
        typeof k.cause === 'string' && k.cause.trim().length > 0,
        `${k.file}:${k.line} ${k.rule} has no cause`,
      ).toBe(true);
    }
  });

  it('names the kernel source of every translation', () => {
    for (const file of listTs(join(corpusDir, 'kernel'))) {
      const head = readFileSync(file, 'utf8').slice(0, 2500);
      expect(head, relative(corpusDir, file)).toMatch(/Sources? read:[\s\S]*commit[\s*]+[0-9a-f]{12,40}/);
    }
  });
});

function readRatchet(): KnownFalseAlarm[] {
  return JSON.parse(readFileSync(ratchetFile, 'utf8')) as KnownFalseAlarm[];
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/**
 * The name of the innermost function containing `pos`: `name` for a function declaration,
 * `Class.member` for methods, accessors and constructors, the variable's name for a function
 * assigned to one, and `<outer>/<callback>` for any other function expression or arrow
 * function. `<top>` outside every function.
 */
function functionAt(sf: ts.SourceFile, pos: number): string {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (pos < node.getStart(sf) || pos >= node.getEnd()) return;
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body !== undefined) found = node;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found === undefined ? '<top>' : nameOf(found);
}

function nameOf(fn: ts.Node): string {
  const named = fn as ts.FunctionLikeDeclaration;
  const own = named.name !== undefined ? named.name.getText() : undefined;
  if (ts.isFunctionDeclaration(fn)) return own ?? '<default>';
  if (ts.isMethodDeclaration(fn) || ts.isGetAccessor(fn) || ts.isSetAccessor(fn) || ts.isConstructorDeclaration(fn)) {
    const cls = fn.parent;
    const clsName = ts.isClassLike(cls) && cls.name !== undefined ? cls.name.text : '<class>';
    const member = ts.isConstructorDeclaration(fn)
      ? 'constructor'
      : ts.isGetAccessor(fn)
        ? `get ${own}`
        : ts.isSetAccessor(fn)
          ? `set ${own}`
          : own;
    return `${clsName}.${member}`;
  }
  const parent = fn.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  let outer: ts.Node = parent;
  while (
    !ts.isSourceFile(outer) &&
    !(ts.isFunctionLike(outer) && (outer as ts.FunctionLikeDeclaration).body !== undefined)
  )
    outer = outer.parent;
  return `${ts.isSourceFile(outer) ? '<top>' : nameOf(outer)}/<callback>`;
}
