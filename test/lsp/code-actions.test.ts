/**
 * @fileoverview The quick-fix builder on its own (no server): which fixes are offered where, and
 * that the edits they carry produce the intended text. End-to-end runs of the same fixes
 * (applied, then re-analyzed by the real engine) are in protocol.test.ts.
 */

import { TextDocument } from 'vscode-languageserver-textdocument';
import { describe, expect, test } from 'vitest';
import { codeActionsFor, fixToLspEdits } from '../../analyzer/dist/lsp/code-actions.js';

const uri = 'file:///project/src/a.ts';

/** A diagnostic of `rule` on the first occurrence of `needle` in `text`. */
function diagnosticAt(doc: TextDocument, needle: string, rule: string) {
  const start = doc.getText().indexOf(needle);
  if (start < 0) throw new Error(`${needle} not in the text`);
  return {
    range: { start: doc.positionAt(start), end: doc.positionAt(start + needle.length) },
    code: rule,
    source: 'rcukit',
    message: 'm',
  };
}

function actionsFor(text: string, needle: string, rule = 'rcu/deref-outside-read-lock') {
  const doc = TextDocument.create(uri, 'typescript', 1, text);
  const diagnostic = diagnosticAt(doc, needle, rule);
  const actions = codeActionsFor({ uri, document: doc, diagnostics: [diagnostic], engineFixes: () => [] });
  const apply = (title: string) => {
    const action = actions.find((a) => a.title.startsWith(title));
    if (action === undefined) throw new Error(`no action "${title}" among ${actions.map((a) => a.title).join(' | ')}`);
    return TextDocument.applyEdits(doc, action.edit!.changes![uri]!);
  };
  return { titles: actions.map((a) => a.title), apply };
}

const header = "import { type TypeStable } from '@rcukit/runtime';\ninterface S { n: number }\n";

describe('wrap in a read-side section', () => {
  test('an expression statement gets the plain pair and the using block; the import is extended', () => {
    const text = header + 'export function f(s: TypeStable<S>, t: number): number {\n  t += s.n;\n  return t;\n}\n';
    const { titles, apply } = actionsFor(text, 's.n');
    expect(titles.filter((t) => t.startsWith('Wrap'))).toEqual([
      'Wrap in rcuReadLock()/rcuReadUnlock()',
      'Wrap in a block with `using _rcu = rcuReadLock()`',
    ]);
    expect(apply('Wrap in rcuReadLock()')).toBe(
      "import { type TypeStable, rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';\ninterface S { n: number }\n" +
        'export function f(s: TypeStable<S>, t: number): number {\n  rcuReadLock();\n  t += s.n;\n  rcuReadUnlock();\n  return t;\n}\n',
    );
    expect(apply('Wrap in a block')).toBe(
      "import { type TypeStable, rcuReadLock } from '@rcukit/runtime';\ninterface S { n: number }\n" +
        'export function f(s: TypeStable<S>, t: number): number {\n  {\n    using _rcu = rcuReadLock();\n    t += s.n;\n  }\n  return t;\n}\n',
    );
  });

  test('a return gets only the using block (the plain pair would skip the unlock)', () => {
    const { titles } = actionsFor(header + 'export function f(s: TypeStable<S>): number {\n  return s.n;\n}\n', 's.n');
    expect(titles.filter((t) => t.startsWith('Wrap'))).toEqual(['Wrap in a block with `using _rcu = rcuReadLock()`']);
  });

  test('a declaration gets only the plain pair (a block would hide the name from the code after it)', () => {
    const { titles } = actionsFor(
      header + 'export function f(s: TypeStable<S>): number {\n  const n = s.n;\n  return n;\n}\n',
      's.n',
    );
    expect(titles.filter((t) => t.startsWith('Wrap'))).toEqual(['Wrap in rcuReadLock()/rcuReadUnlock()']);
  });

  test('nothing is offered around an await (it would block inside the section)', () => {
    const { titles } = actionsFor(
      header +
        'export async function f(s: TypeStable<S>, g: (n: number) => Promise<number>): Promise<number> {\n  let t = 0;\n  t += await g(s.n);\n  return t;\n}\n',
      's.n',
    );
    expect(titles.filter((t) => t.startsWith('Wrap'))).toEqual([]);
  });

  test('a namespace import is used as written, with no new import', () => {
    const text =
      "import * as rcu from '@rcukit/runtime';\ninterface S { n: number }\nexport function f(s: rcu.TypeStable<S>, t: number): number {\n  t += s.n;\n  return t;\n}\n";
    const { apply } = actionsFor(text, 's.n');
    expect(apply('Wrap in rcu.rcuReadLock()')).toBe(
      "import * as rcu from '@rcukit/runtime';\ninterface S { n: number }\nexport function f(s: rcu.TypeStable<S>, t: number): number {\n  rcu.rcuReadLock();\n  t += s.n;\n  rcu.rcuReadUnlock();\n  return t;\n}\n",
    );
  });

  test('only rules a read-side section fixes get the wrap', () => {
    const { titles } = actionsFor(
      header + 'export function f(s: TypeStable<S>): number {\n  return s.n;\n}\n',
      's.n',
      'rcu/missing-revalidation',
    );
    expect(titles.filter((t) => t.startsWith('Wrap'))).toEqual([]);
  });
});

describe('suppress with a reason', () => {
  test('inserts the directive above the line, indented like it, with a reason placeholder', () => {
    const { apply } = actionsFor(header + 'export function f(s: TypeStable<S>): number {\n  return s.n;\n}\n', 's.n');
    expect(apply('Suppress')).toContain(
      '\n  // rcukit-ignore-next-line rcu/deref-outside-read-lock -- <reason>\n  return s.n;\n',
    );
  });

  test('adds the rule to a directive already above the line, keeping its reason', () => {
    const text =
      header +
      'export function f(s: TypeStable<S>): number {\n  // rcukit-ignore-next-line rcu/reference-escape -- owned by the caller\n  return s.n;\n}\n';
    const { apply } = actionsFor(text, 's.n');
    expect(apply('Suppress')).toContain(
      '\n  // rcukit-ignore-next-line rcu/reference-escape, rcu/deref-outside-read-lock -- owned by the caller\n  return s.n;\n',
    );
  });

  test('is not offered for a rule the directive above already names', () => {
    const text =
      header +
      'export function f(s: TypeStable<S>): number {\n  // rcukit-ignore-next-line rcu/deref-outside-read-lock -- x\n  return s.n;\n}\n';
    expect(actionsFor(text, 's.n').titles.filter((t) => t.startsWith('Suppress'))).toEqual([]);
  });
});

describe("the engine's fixes", () => {
  test('offsets become LSP positions that apply to the same text as splicing the offsets', () => {
    const text = 'line one\n  spinLock(s.lock);\n  use(s);\n';
    const at = text.indexOf('  use(s);');
    const newText = '  if (s !== t.s) { spinUnlock(s.lock); continue; }\n';
    const fix = {
      title: 'Insert the revalidation',
      edits: [{ file: '/project/src/a.ts', start: at, end: at, newText }],
    };
    const doc = TextDocument.create(uri, 'typescript', 1, text);
    const changes = fixToLspEdits(
      fix,
      (_file, offset) => doc.positionAt(offset),
      () => uri,
    )!;
    expect(TextDocument.applyEdits(doc, changes[uri]!)).toBe(text.slice(0, at) + newText + text.slice(at));
  });

  test('are offered first, as the preferred fix', () => {
    const doc = TextDocument.create(uri, 'typescript', 1, 'x;\n');
    const diagnostic = diagnosticAt(doc, 'x', 'rcu/missing-revalidation');
    const changes = { [uri]: [{ range: diagnostic.range, newText: 'y' }] };
    const actions = codeActionsFor({
      uri,
      document: doc,
      diagnostics: [diagnostic],
      engineFixes: () => [{ title: 'Revalidate', changes }],
    });
    expect(actions[0]).toMatchObject({ title: 'Revalidate', isPreferred: true, kind: 'quickfix', edit: { changes } });
  });
});
