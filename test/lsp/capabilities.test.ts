/**
 * @fileoverview What the server does with the capabilities a client declares, over the wire with
 * vscode-jsonrpc: a client that never said it sends workspace folder changes (an LSP 3.0
 * client, many small editors) gets its diagnostics and no error in its log, and one that did
 * has its folder changes followed.
 */

import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { expectationsIn, fixtureFile, fixtureProject, missing } from './editor-fixture.js';
import { LspSession } from './lsp-session.js';

const uri = pathToFileURL(fixtureFile).href;
const text = readFileSync(fixtureFile, 'utf8');
const expected = expectationsIn(fixtureFile);

describe('client capabilities', () => {
  let session: LspSession | undefined;
  afterEach(() => session?.close());

  const errors = (s: LspSession) => s.logEntries.filter((l) => l.type === 1).map((l) => l.message);

  test('a client without the workspaceFolders capability gets diagnostics and no error-level log', async () => {
    session = new LspSession();
    await session.initialize(fixtureProject, {}, [fixtureProject], {});
    session.open(uri, text);
    const got = await session.diagnosticsFor(uri, 1);
    // `initialized` was handled before `didOpen`: any failure of its handler is logged by now.
    expect(
      missing(
        expected,
        got.diagnostics.map((d) => ({ line: d.range.start.line, code: d.code })),
      ),
    ).toEqual([]);
    expect(errors(session)).toEqual([]);
  });

  test('a client with the workspaceFolders capability can change folders without an error', async () => {
    session = new LspSession();
    session.folders = [{ uri: pathToFileURL(fixtureProject).href, name: 'project' }];
    await session.initialize(fixtureProject, {}, [fixtureProject], { workspaceFolders: true });
    void session.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
      event: { added: [], removed: [] },
    });
    session.open(uri, text);
    const got = await session.diagnosticsFor(uri, 1);
    expect(got.diagnostics.length).toBeGreaterThan(0);
    expect(errors(session)).toEqual([]);
  });
});
