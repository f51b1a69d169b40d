/**
 * @fileoverview Emacs with eglot, a client the project did not write, runs the rcukit server in
 * batch mode, opens the fixture and must receive the rcukit diagnostics its `// expect:`
 * comments name (and hand them to flymake, where the user sees them). Skips only when `emacs`
 * or eglot is not installed (test/lsp/install-editors.sh installs both; .ci/run calls that).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { expectationsIn, fixtureFile, fixtureProject, missing } from './editor-fixture.js';
import { serverMain } from './lsp-session.js';

const emacs = spawnSync('emacs', ['--version'], { encoding: 'utf8' });
const eglotInstalled =
  existsSync('/usr/share/emacs/site-lisp/elpa/eglot') ||
  spawnSync('sh', ['-c', 'ls -d /usr/share/emacs/site-lisp/elpa/eglot-* >/dev/null 2>&1']).status === 0;
const skipReason =
  emacs.error !== undefined
    ? 'emacs is not installed (run test/lsp/install-editors.sh as root)'
    : !eglotInstalled
      ? 'eglot is not installed (Debian package elpa-eglot; run test/lsp/install-editors.sh as root)'
      : undefined;
if (skipReason !== undefined) console.warn(`emacs.test.ts skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('Emacs + eglot as the LSP client', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'rcukit-emacs-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('opens a buggy file and receives the expected rcukit diagnostics', () => {
    const out = path.join(home, 'result.json');
    const result = spawnSync(
      'emacs',
      ['--batch', '-Q', '-l', fileURLToPath(new URL('./editors/eglot-client.el', import.meta.url))],
      {
        encoding: 'utf8',
        timeout: 150_000,
        cwd: fixtureProject,
        env: {
          ...process.env,
          HOME: home,
          XDG_CONFIG_HOME: path.join(home, 'config'),
          XDG_DATA_HOME: path.join(home, 'data'),
          XDG_STATE_HOME: path.join(home, 'state'),
          XDG_CACHE_HOME: path.join(home, 'cache'),
          RCUKIT_NODE: process.execPath,
          RCUKIT_SERVER: serverMain,
          RCUKIT_FILE: fixtureFile,
          RCUKIT_OUT: out,
          RCUKIT_TIMEOUT_S: '90',
        },
      },
    );
    const detail = `emacs exit ${result.status} ${result.signal ?? ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr.slice(-4000)}`;
    let report: {
      arrived: boolean;
      published: { uri: string; diagnostics: { line: number; code?: string; source?: string }[] }[];
      flymake: { line: number; text: string }[];
      messages: string[];
    };
    try {
      report = JSON.parse(readFileSync(out, 'utf8')) as typeof report;
    } catch {
      throw new Error(`Emacs wrote no report\n${detail}`);
    }
    expect(
      report.arrived,
      `no rcukit diagnostics arrived in eglot\n${JSON.stringify(report.messages)}\n${detail}`,
    ).toBe(true);
    const expected = expectationsIn(fixtureFile);
    expect(expected.length).toBeGreaterThan(0);
    const received = report.published
      .flatMap((p) => p.diagnostics)
      .map((d) => ({ line: d.line, code: d.code, source: d.source }));
    expect(missing(expected, received), JSON.stringify(report, null, 1)).toEqual([]);
    // flymake shows eglot's diagnostics to the user: each expected line has one there.
    for (const e of expected) {
      expect(
        report.flymake.some((f) => f.line === e.line),
        `flymake has nothing at line ${e.line + 1}: ${JSON.stringify(report.flymake)}`,
      ).toBe(true);
    }
  });
});
