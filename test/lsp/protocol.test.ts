/**
 * @fileoverview The rcukit language server over the wire, driven by vscode-jsonrpc (a client the
 * project did not write) against the real engine: initialize, diagnostics on open and on change,
 * quick fixes that really fix (applied, then re-analyzed), hover with the rule's doc, garbage on
 * the pipe, a file that crashes the engine, a folder without tsconfig.json, a file too large.
 * Expected findings come from the fixtures' `// expect:` comments, never from this file.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectationsIn, fixtureFile, fixtureProject, missing } from './editor-fixture.js';
import { LspSession, repoRoot, type LspDiagnostic, type PublishedDiagnostics } from './lsp-session.js';

interface CodeAction {
  title: string;
  kind?: string;
  edit?: { changes?: Record<string, { range: LspDiagnostic['range']; newText: string }[]> };
}

const uri = pathToFileURL(fixtureFile).href;
const original = readFileSync(fixtureFile, 'utf8');
const expected = expectationsIn(fixtureFile);
const asFound = (p: PublishedDiagnostics) =>
  p.diagnostics.map((d) => ({ line: d.range.start.line, code: d.code, source: d.source }));

function applyEdits(text: string, action: CodeAction): string {
  const edits = action.edit?.changes?.[uri];
  if (edits === undefined) throw new Error(`code action "${action.title}" has no edit for ${uri}`);
  return TextDocument.applyEdits(TextDocument.create(uri, 'typescript', 0, text), edits);
}

describe('rcukit lsp over JSON-RPC', () => {
  const session = new LspSession();
  let version = 1;
  let first: PublishedDiagnostics;

  beforeAll(async () => {
    const init = (await session.initialize(fixtureProject)) as { capabilities: Record<string, unknown> };
    expect(init.capabilities).toMatchObject({
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
    });
    session.open(uri, original, version);
    first = await session.diagnosticsFor(uri, version);
  });
  afterAll(() => session.close());

  test('didOpen publishes the expected rcukit findings, with code, doc link and source', () => {
    expect(expected.length).toBeGreaterThan(0);
    expect(missing(expected, asFound(first)), JSON.stringify(first, null, 1)).toEqual([]);
    for (const d of first.diagnostics) {
      expect(d.source).toBe('rcukit');
      expect(typeof d.code).toBe('string');
      const page = path.join(repoRoot, 'analyzer', 'docs', 'rules', `${String(d.code).split('/')[1]}.md`);
      // The link points at the rule's page whenever the page exists (the docs ship with the analyzer).
      if (existsSync(page)) expect(d.codeDescription?.href).toBe(pathToFileURL(page).href);
      for (const r of d.relatedInformation ?? []) {
        expect(r.location.uri.startsWith('file://')).toBe(true);
        expect(r.message.length).toBeGreaterThan(0);
      }
    }
  });

  test('path notes arrive as relatedInformation ("lock taken here"), in the file they are in', async () => {
    const lockFile = path.join(fixtureProject, 'src', 'lock.ts');
    const lockUri = pathToFileURL(lockFile).href;
    const text = readFileSync(lockFile, 'utf8');
    session.open(lockUri, text);
    const got = await session.diagnosticsFor(lockUri, 1);
    expect(missing(expectationsIn(lockFile), asFound(got)), JSON.stringify(got, null, 1)).toEqual([]);
    const finding = got.diagnostics.find((d) => d.code === 'rcu/missing-revalidation')!;
    const lockLine = text.split('\n').findIndex((l) => l.includes('// related: lock taken here'));
    const related = finding.relatedInformation ?? [];
    expect(
      related.some(
        (r) =>
          r.location.uri === lockUri &&
          (r.location.range as LspDiagnostic['range']).start.line === lockLine &&
          /lock taken here/.test(r.message),
      ),
      JSON.stringify(related),
    ).toBe(true);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: lockUri } });
    // Closing clears the file's diagnostics.
    await session.waitFor('cleared diagnostics', () =>
      session.published.findLast((p) => p.uri === lockUri && p.diagnostics.length === 0),
    );
  });

  test('an edit re-analyzes the changed file and the open files that import it, not the others', async () => {
    const lockFile = path.join(fixtureProject, 'src', 'lock.ts');
    const otherFile = path.join(fixtureProject, 'src', 'unrelated.ts');
    const lockUri = pathToFileURL(lockFile).href;
    const otherUri = pathToFileURL(otherFile).href;
    session.open(lockUri, readFileSync(lockFile, 'utf8'));
    session.open(otherUri, readFileSync(otherFile, 'utf8'));
    await session.diagnosticsFor(lockUri, 1);
    await session.diagnosticsFor(otherUri, 1);
    const from = session.published.length;
    session.replace(uri, original + '\n// an edit\n', ++version);
    // lock.ts imports sighand.ts: its findings are recomputed and published again.
    await session.diagnosticsFor(uri, version, from);
    await session.diagnosticsFor(lockUri, 1, from);
    // Let any further run finish, then check unrelated.ts was left alone.
    session.replace(uri, original, ++version);
    await session.diagnosticsFor(uri, version, from);
    expect(session.published.slice(from).filter((p) => p.uri === otherUri)).toEqual([]);
    for (const u of [lockUri, otherUri])
      await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: u } });
  });

  test('didChange re-publishes for the new version: a fix clears the finding, re-breaking brings it back', async () => {
    const target = expected[0]!;
    const lines = original.split('\n');
    // Remove the offending read (keep the line count, so the other expectations stay in place).
    const fixed = lines.map((l, i) => (i === target.line ? '  return 0;' : l)).join('\n');
    session.replace(uri, fixed, ++version);
    const after = await session.diagnosticsFor(uri, version);
    expect(asFound(after).filter((d) => d.line === target.line && d.code === target.rule)).toEqual([]);
    session.replace(uri, original, ++version);
    const again = await session.diagnosticsFor(uri, version);
    expect(missing(expected, asFound(again))).toEqual([]);
  });

  test('stale results are never published after newer ones: rapid edits end at the last version', async () => {
    const from = session.published.length;
    const last = version + 5;
    for (let v = version + 1; v <= last; v++) session.replace(uri, original + '\n'.repeat(v - version), v);
    version = last;
    await session.diagnosticsFor(uri, last, from);
    // Give any straggler a moment, then check the order: versions only grow, and the last is ours.
    await new Promise((r) => setTimeout(r, 500));
    const versions = session.published
      .slice(from)
      .filter((p) => p.uri === uri)
      .map((p) => p.version ?? -1);
    expect(versions.at(-1)).toBe(last);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    session.replace(uri, original, ++version);
    await session.diagnosticsFor(uri, version);
  });

  test('code actions "wrap in a read-side section" produce code the engine accepts', async () => {
    // One finding inside an expression statement (the plain lock/unlock pair fits), one in a
    // `return` (only the `using` block keeps the section balanced).
    const current = await session.diagnosticsFor(uri, version);
    const derefs = current.diagnostics.filter((d) => d.code === 'rcu/deref-outside-read-lock');
    expect(derefs.length).toBeGreaterThanOrEqual(2);
    const used = new Set<string>();
    for (const { range } of derefs) {
      // Each fix is tried on the original text, with the server's own diagnostic for it.
      session.replace(uri, original, ++version);
      const fresh = await session.diagnosticsFor(uri, version);
      const target = fresh.diagnostics.find(
        (d) => d.code === 'rcu/deref-outside-read-lock' && d.range.start.line === range.start.line,
      )!;
      const actions = await session.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
        textDocument: { uri },
        range: target.range,
        context: { diagnostics: [target], only: ['quickfix'] },
      });
      const titles = actions.map((a) => a.title);
      expect(
        titles.some((t) => /^Suppress rcu\/deref-outside-read-lock/.test(t)),
        titles.join('\n'),
      ).toBe(true);
      const wrap = actions.find((a) => a.title.startsWith('Wrap in'));
      expect(wrap, titles.join('\n')).toBeDefined();
      used.add(wrap!.title);
      const wrapped = applyEdits(original, wrap!);
      // The names are imported from the runtime (added to the file's existing import).
      expect(wrapped).toMatch(/import \{[^}]*\brcuReadLock\b[^}]*\} from '@rcukit\/runtime'/);
      session.replace(uri, wrapped, ++version);
      const after = await session.diagnosticsFor(uri, version);
      const stillThere = after.diagnostics.filter(
        (d) =>
          d.code === 'rcu/deref-outside-read-lock' &&
          d.range.start.line === target.range.start.line + (wrapped.split('\n').length - original.split('\n').length),
      );
      expect(stillThere, wrapped).toEqual([]);
      // The fix introduces no finding of its own (an unbalanced section, say).
      expect(
        after.diagnostics.filter((d) => d.code !== 'rcu/deref-outside-read-lock'),
        wrapped,
      ).toEqual([]);
    }
    expect([...used].sort()).toEqual([
      'Wrap in a block with `using _rcu = rcuReadLock()`',
      'Wrap in rcuReadLock()/rcuReadUnlock()',
    ]);
    session.replace(uri, original, ++version);
    await session.diagnosticsFor(uri, version);
  });

  test('code action "suppress with a reason" silences exactly that finding', async () => {
    session.replace(uri, original, ++version);
    const current = await session.diagnosticsFor(uri, version);
    const target = current.diagnostics.find((d) => d.code === 'rcu/deref-outside-read-lock')!;
    const actions = await session.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: target.range,
      context: { diagnostics: [target] },
    });
    const suppress = actions.find((a) => a.title.startsWith('Suppress rcu/deref-outside-read-lock'))!;
    const suppressed = applyEdits(original, suppress);
    expect(suppressed).toMatch(/\/\/ rcukit-ignore-next-line rcu\/deref-outside-read-lock -- <reason>\n/);
    session.replace(uri, suppressed, ++version);
    const after = await session.diagnosticsFor(uri, version);
    // The comment took a line: the finding would now be one line further down. It is gone, and
    // the other finding (further down still) stays.
    const found = asFound(after).filter((d) => d.code === 'rcu/deref-outside-read-lock');
    expect(found.map((d) => d.line)).not.toContain(target.range.start.line + 1);
    expect(found.length).toBe(expected.length - 1);
    // The comment is a real suppression (not unused, not missing its reason).
    expect(after.diagnostics.filter((d) => String(d.code).startsWith('rcukit/'))).toEqual([]);
    session.replace(uri, original, ++version);
    await session.diagnosticsFor(uri, version);
  });

  test('hover on a finding shows its rule documentation', async () => {
    const current = await session.diagnosticsFor(uri, version);
    const target = current.diagnostics.find((d) => d.code === 'rcu/deref-outside-read-lock')!;
    const hover = await session.connection.sendRequest<{ contents: { kind: string; value: string } } | null>(
      'textDocument/hover',
      { textDocument: { uri }, position: target.range.start },
    );
    expect(hover).not.toBeNull();
    expect(hover!.contents.kind).toBe('markdown');
    expect(hover!.contents.value).toContain('rcu/deref-outside-read-lock');
    expect(hover!.contents.value).toContain('rcukit-ignore-next-line rcu/deref-outside-read-lock');
    // Away from any finding there is nothing to show.
    const none = await session.connection.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: { line: 0, character: 0 },
    });
    expect(none).toBeNull();
  });

  test('settings from the workspace: rule severities, the config file, and rcukit.enable', async () => {
    const reconfigure = async (settings: unknown) => {
      session.settings = settings;
      const from = session.published.length;
      await session.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
      return session.diagnosticsFor(uri, version, from);
    };
    const derefs = (p: PublishedDiagnostics) => p.diagnostics.filter((d) => d.code === 'rcu/deref-outside-read-lock');
    try {
      // rcukit.rules overrides the rule's default severity (error = 1) ...
      const warn = await reconfigure({ rules: { 'rcu/deref-outside-read-lock': 'warn' } });
      expect(derefs(warn).map((d) => d.severity)).toEqual(expected.map(() => 2));
      // ... and turns it off.
      const off = await reconfigure({ rules: { 'rcu/deref-outside-read-lock': 'off' } });
      expect(derefs(off)).toEqual([]);
      // rcukit.configFile names the same kind of file `rcukit check --config` reads.
      const configured = await reconfigure({
        configFile: path.relative(
          fixtureProject,
          fileURLToPath(new URL('./fixtures/configs/deref-warn.json', import.meta.url)),
        ),
      });
      expect(derefs(configured).map((d) => d.severity)).toEqual(expected.map(() => 2));
      // rcukit.enable: false clears everything.
      const disabled = await reconfigure({ enable: false });
      expect(disabled.diagnostics).toEqual([]);
    } finally {
      const back = await reconfigure({ enable: true, rules: {}, debounceMs: 50 });
      expect(missing(expected, asFound(back))).toEqual([]);
    }
  });

  test('garbage on the pipe is skipped and the server keeps answering', async () => {
    session.child.stdin.write('this is not LSP\r\n\r\n');
    session.child.stdin.write('Content-Length: 12\r\n\r\nnot json!!!!');
    session.child.stdin.write('Content-Length: 9\r\n\r\n{"broken"');
    session.child.stdin.write(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]));
    const hover = await session.connection.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: { line: 0, character: 0 },
    });
    expect(hover).toBeNull();
    session.replace(uri, original + '\n', ++version);
    const after = await session.diagnosticsFor(uri, version);
    expect(missing(expected, asFound(after))).toEqual([]);
    expect(session.stderr).toMatch(/skipped/);
  });
});

describe('rcukit lsp --stdio (the CLI subcommand)', () => {
  test('registers on a commander program and serves LSP on stdio', async () => {
    const session = new LspSession(
      ['lsp', '--stdio', `--clientProcessId=${process.pid}`],
      fileURLToPath(new URL('./fixtures/cli-lsp.mjs', import.meta.url)),
    );
    try {
      const init = (await session.initialize(fixtureProject)) as { serverInfo?: { name: string } };
      expect(init.serverInfo?.name).toBe('rcukit');
      const hover = await session.connection.sendRequest('textDocument/hover', {
        textDocument: { uri },
        position: { line: 0, character: 0 },
      });
      expect(hover).toBeNull();
    } finally {
      await session.close();
    }
  });
});

describe('rcukit lsp robustness', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcukit-lsp-'));
  const looseDir = fileURLToPath(new URL('./fixtures/loose/', import.meta.url));
  // Two workspace folders (the fixture project and a folder without tsconfig.json), a size
  // limit of 64 KB, and files outside both folders: one session for all the bad inputs.
  const session = new LspSession();
  beforeAll(async () => {
    await session.initialize(fixtureProject, { maxFileBytes: 64 * 1024 }, [fixtureProject, looseDir]);
  });
  afterAll(async () => {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a dependency changed on disk re-analyzes the open files that import it', async () => {
    // A project of its own in a temporary folder, the runtime linked in as a package.
    const project = path.join(dir, 'disk-change');
    mkdirSync(path.join(project, 'src'), { recursive: true });
    mkdirSync(path.join(project, 'node_modules', '@rcukit'), { recursive: true });
    symlinkSync(path.join(repoRoot, 'runtime'), path.join(project, 'node_modules', '@rcukit', 'runtime'), 'dir');
    writeFileSync(path.join(project, 'package.json'), '{ "name": "disk-change", "private": true, "type": "module" }');
    writeFileSync(path.join(project, 'tsconfig.json'), readFileSync(path.join(fixtureProject, 'tsconfig.json')));
    const types = path.join(project, 'src', 'types.ts');
    const branded =
      "import type { TypeStable } from '@rcukit/runtime';\nexport interface S { n: number }\nexport type Ref = TypeStable<S>;\nexport interface Holder { r: Ref | null }\n";
    writeFileSync(types, branded);
    const user = path.join(project, 'src', 'user.ts');
    // An RCU pointer read outside any section (a parameter itself would be the caller's to pin).
    const userText =
      "import type { Holder } from './types.js';\nexport function n(h: Holder): number {\n  const r = h.r;\n  return r === null ? 0 : r.n;\n}\n";
    writeFileSync(user, userText);
    const userUri = pathToFileURL(user).href;
    session.open(userUri, userText);
    const before = await session.diagnosticsFor(userUri);
    expect(before.diagnostics.map((d) => d.code)).toContain('rcu/deref-outside-read-lock');
    // The brand goes away on disk (saved by another program): no type-stable object, no finding.
    const from = session.published.length;
    writeFileSync(
      types,
      'export interface S { n: number }\nexport type Ref = S;\nexport interface Holder { r: Ref | null }\n',
    );
    await session.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(types).href, type: 2 }],
    });
    const after = await session.diagnosticsFor(userUri, undefined, from);
    expect(after.diagnostics).toEqual([]);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: userUri } });
  });

  test('a file that crashes the engine gets a diagnostic and an error message; other projects keep working', async () => {
    // Deep enough nesting overflows the compiler's recursion: the engine throws on this file.
    const deep = path.join(dir, 'deep.ts');
    writeFileSync(deep, 'export const x = ' + '('.repeat(4000) + '1' + ')'.repeat(4000) + ';\n');
    const deepUri = pathToFileURL(deep).href;
    session.open(deepUri, readFileSync(deep, 'utf8'));
    const failed = await session.diagnosticsFor(deepUri);
    expect(failed.diagnostics.map((d) => d.code)).toEqual(['rcukit/analysis-failed']);
    await session.waitFor('an error message', () =>
      session.messages.find((m) => m.type === 1 && m.message.includes('deep.ts')),
    );
    // The session goes on: the fixture project is analyzed as usual while deep.ts stays open.
    session.open(uri, original);
    const ok = await session.diagnosticsFor(uri);
    expect(missing(expected, asFound(ok)), JSON.stringify(ok)).toEqual([]);
  });

  test('a folder without tsconfig.json is analyzed as loose files, and the user is told', async () => {
    const looseFile = path.join(looseDir, 'peek.ts');
    const looseUri = pathToFileURL(looseFile).href;
    session.open(looseUri, readFileSync(looseFile, 'utf8'));
    const got = await session.diagnosticsFor(looseUri);
    expect(missing(expectationsIn(looseFile), asFound(got)), JSON.stringify(got)).toEqual([]);
    await session.waitFor('a no-tsconfig message', () =>
      session.messages.find((m) => m.message.includes(`no tsconfig.json found above ${path.resolve(looseDir)}`)),
    );
  });

  test('a file over the size limit is not analyzed, the user is told why, and the server keeps serving', async () => {
    const bigUri = pathToFileURL(path.join(fixtureProject, 'src', 'big-unsaved.ts')).href;
    // Never written to disk: an unsaved buffer is enough.
    session.open(bigUri, original + '\n// padding\n'.repeat(8000));
    const got = await session.diagnosticsFor(bigUri);
    expect(got.diagnostics).toEqual([]);
    await session.waitFor('a size warning', () =>
      session.messages.find((m) => m.type === 2 && m.message.includes('big-unsaved.ts')),
    );
    const hover = await session.connection.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: { line: 0, character: 0 },
    });
    expect(hover).toBeNull();
  });
});
