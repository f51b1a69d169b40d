/**
 * @fileoverview Neovim, a client the project did not write, runs the rcukit server headless,
 * opens the fixture and must receive (and store, as a user would see them) the rcukit
 * diagnostics the fixture's `// expect:` comments name. Skips only when `nvim` is not installed
 * (test/lsp/install-editors.sh installs it; .ci/run calls that).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { expectationsIn, fixtureFile, fixtureProject, missing } from './editor-fixture.js';
import { serverMain } from './lsp-session.js';

const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const skipReason =
  nvim.error !== undefined ? 'nvim is not installed (run test/lsp/install-editors.sh as root)' : undefined;
if (skipReason !== undefined) console.warn(`neovim.test.ts skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('Neovim as the LSP client', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'rcukit-nvim-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('opens a buggy file and receives the expected rcukit diagnostics', () => {
    const out = path.join(home, 'result.json');
    const xdg = (name: string) => path.join(home, name);
    const result = spawnSync(
      'nvim',
      ['--headless', '--clean', '-n', '-u', fileURLToPath(new URL('./editors/nvim-client.lua', import.meta.url))],
      {
        encoding: 'utf8',
        timeout: 120_000,
        cwd: fixtureProject,
        env: {
          ...process.env,
          // Nothing may land in the real home folder.
          HOME: home,
          XDG_CONFIG_HOME: xdg('config'),
          XDG_DATA_HOME: xdg('data'),
          XDG_STATE_HOME: xdg('state'),
          XDG_CACHE_HOME: xdg('cache'),
          RCUKIT_NODE: process.execPath,
          RCUKIT_SERVER: serverMain,
          RCUKIT_FILE: fixtureFile,
          RCUKIT_ROOT: fixtureProject,
          RCUKIT_OUT: out,
          RCUKIT_TIMEOUT_MS: '90000',
        },
      },
    );
    const detail = `nvim exit ${result.status} ${result.signal ?? ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
    let report: {
      arrived: boolean;
      published: {
        uri: string;
        diagnostics: { range: { start: { line: number } }; code?: string; source?: string }[];
      }[];
      stored: { lnum: number; code?: string; source?: string }[];
      messages: unknown[];
    };
    try {
      report = JSON.parse(readFileSync(out, 'utf8')) as typeof report;
    } catch {
      throw new Error(`Neovim wrote no report\n${detail}`);
    }
    expect(
      report.arrived,
      `no rcukit diagnostics arrived in Neovim\n${JSON.stringify(report.messages)}\n${detail}`,
    ).toBe(true);
    const expected = expectationsIn(fixtureFile);
    expect(expected.length).toBeGreaterThan(0);
    const received = report.published
      .flatMap((p) => p.diagnostics)
      .map((d) => ({ line: d.range.start.line, code: d.code, source: d.source }));
    expect(missing(expected, received), JSON.stringify(report, null, 1)).toEqual([]);
    // And Neovim's diagnostic store, what its user sees, holds them too.
    const stored = report.stored.map((d) => ({ line: d.lnum, code: d.code, source: d.source }));
    expect(missing(expected, stored), JSON.stringify(report.stored, null, 1)).toEqual([]);
  });
});
