/**
 * @fileoverview The project shapes an editor meets beyond one tsconfig.json, over the wire
 * against the real engine: a solution-style tsconfig (`"files": []` plus references, as
 * `npm create vite` and Angular generate), importers reached only through a tsconfig `paths`
 * alias, and `untitled:` buffers that were never saved. The project is a copy of
 * fixtures/solution/ in a temporary folder, with the runtime linked in as its package; the
 * expected findings come from the fixture files' `// expect:` comments.
 */

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectationsIn, missing, type Expected } from './editor-fixture.js';
import { LspSession, repoRoot, type LspDiagnostic, type PublishedDiagnostics } from './lsp-session.js';

const asFound = (p: PublishedDiagnostics) =>
  p.diagnostics.map((d) => ({ line: d.range.start.line, code: d.code, source: d.source }));

/** The `// expect:` comments of a text that never was a file. */
function expectationsInText(text: string): Expected[] {
  return text
    .split('\n')
    .flatMap((line, i) => [...line.matchAll(/\/\/\s*expect:\s*([\w/-]+)/g)].map((m) => ({ line: i, rule: m[1]! })));
}

describe('rcukit lsp: solution-style tsconfigs, paths aliases and untitled buffers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcukit-lsp-shapes-'));
  const root = path.join(dir, 'solution');
  const file = (rel: string) => path.join(root, rel);
  const uriOf = (rel: string) => pathToFileURL(file(rel)).href;
  const session = new LspSession();

  beforeAll(async () => {
    cpSync(fileURLToPath(new URL('./fixtures/solution/', import.meta.url)), root, { recursive: true });
    mkdirSync(path.join(root, 'node_modules', '@rcukit'), { recursive: true });
    symlinkSync(path.join(repoRoot, 'runtime'), path.join(root, 'node_modules', '@rcukit', 'runtime'), 'dir');
    await session.initialize(root);
  });
  afterAll(async () => {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a file the solution tsconfig does not include is analyzed with the referenced project that does', async () => {
    // user.ts reaches its types only through tsconfig.app.json's `@app/*` alias: against the
    // solution's empty program the import would not resolve and the finding would be missing.
    session.open(uriOf('src/user.ts'), readFileSync(file('src/user.ts'), 'utf8'));
    const got = await session.diagnosticsFor(uriOf('src/user.ts'));
    expect(missing(expectationsIn(file('src/user.ts')), asFound(got)), JSON.stringify(got)).toEqual([]);
    expect(session.logs.join('\n')).toContain(
      `${file('src/user.ts')}: ${file('tsconfig.json')} does not include it; analyzed with ${file('tsconfig.app.json')}`,
    );
  });

  test('a new buffer not on disk yet goes to the referenced project whose include globs cover it', async () => {
    const uri = uriOf('src/unsaved.ts');
    // user.ts's text under a new name: the same alias, so the same finding when (and only when)
    // tsconfig.app.json is the program.
    const text = readFileSync(file('src/user.ts'), 'utf8');
    session.open(uri, text);
    const got = await session.diagnosticsFor(uri);
    expect(missing(expectationsInText(text), asFound(got)), JSON.stringify(got)).toEqual([]);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  test('a file no referenced project includes falls back to a loose file, and the log says so', async () => {
    session.open(uriOf('scripts/stray.ts'), readFileSync(file('scripts/stray.ts'), 'utf8'));
    const got = await session.diagnosticsFor(uriOf('scripts/stray.ts'));
    expect(missing(expectationsIn(file('scripts/stray.ts')), asFound(got)), JSON.stringify(got)).toEqual([]);
    await session.waitFor('the fallback in the log', () =>
      session.logs.find((l) => l.startsWith(`${file('scripts/stray.ts')}: neither`) && l.includes('as a loose file')),
    );
    await session.connection.sendNotification('textDocument/didClose', {
      textDocument: { uri: uriOf('scripts/stray.ts') },
    });
  });

  test('an edit re-analyzes the open files that import the changed one through a paths alias', async () => {
    const user = uriOf('src/user.ts');
    const types = uriOf('src/types.ts');
    const expected = expectationsIn(file('src/user.ts'));
    const branded = readFileSync(file('src/types.ts'), 'utf8');
    session.open(types, branded);
    await session.diagnosticsFor(types, 1);
    // Without the TypeStable brand the pointer is a plain one: user.ts's finding goes away ...
    let from = session.published.length;
    session.replace(types, branded.replace('TypeStable<Sighand>', 'Sighand'), 2);
    const plain = await session.waitFor('user.ts re-published', () =>
      session.published.slice(from).find((p) => p.uri === user),
    );
    expect(plain.diagnostics.filter((d) => d.code === expected[0]!.rule)).toEqual([]);
    // ... and comes back with it.
    from = session.published.length;
    session.replace(types, branded, 3);
    const again = await session.waitFor('user.ts re-published', () =>
      session.published.slice(from).find((p) => p.uri === user),
    );
    expect(missing(expected, asFound(again)), JSON.stringify(again)).toEqual([]);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: types } });
  });

  test('an untitled buffer is analyzed as a loose file, takes quick fixes, and is cleared on close', async () => {
    const uri = 'untitled:Untitled-1';
    const text = [
      "import type { TypeStable } from '@rcukit/runtime';",
      'interface Sighand { count: number }',
      'interface Task { sighand: TypeStable<Sighand> | null }',
      'export function count(t: Task): number {',
      '  const s = t.sighand;',
      '  return s === null ? 0 : s.count; // expect: rcu/deref-outside-read-lock',
      '}',
      '',
    ].join('\n');
    const expected = expectationsInText(text);
    session.open(uri, text);
    const got = await session.diagnosticsFor(uri, 1);
    expect(missing(expected, asFound(got)), JSON.stringify(got)).toEqual([]);
    // No path leaks out: the findings come back on the exact URI the client sent, and nothing
    // was published under the buffer's virtual path.
    expect(session.published.filter((p) => p.uri.includes('.rcukit-untitled'))).toEqual([]);

    const target = got.diagnostics.find((d) => d.code === expected[0]!.rule)!;
    const actions = await session.connection.sendRequest<
      { title: string; edit?: { changes?: Record<string, { range: LspDiagnostic['range']; newText: string }[]> } }[]
    >('textDocument/codeAction', {
      textDocument: { uri },
      range: target.range,
      context: { diagnostics: [target], only: ['quickfix'] },
    });
    const wrap = actions.find((a) => a.title.startsWith('Wrap in'));
    expect(wrap, actions.map((a) => a.title).join('\n')).toBeDefined();
    const edits = wrap!.edit?.changes?.[uri];
    expect(edits, JSON.stringify(wrap)).toBeDefined();
    const fixed = TextDocument.applyEdits(TextDocument.create(uri, 'typescript', 1, text), edits!);
    session.replace(uri, fixed, 2);
    const after = await session.diagnosticsFor(uri, 2);
    expect(after.diagnostics, fixed).toEqual([]);

    const from = session.published.length;
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    const cleared = await session.waitFor('cleared diagnostics', () =>
      session.published.slice(from).find((p) => p.uri === uri),
    );
    expect(cleared.diagnostics).toEqual([]);
  });
});
