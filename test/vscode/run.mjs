#!/usr/bin/env node
/**
 * @fileoverview `npm run test:vscode`: the packaged extension in a real VS Code. Installs what it
 * needs into a cache folder (kept between runs on the same machine), then:
 *
 *   1. code-server (VS Code in a browser, from npm; needs Node 24, whose headers its native
 *      modules build against, and Debian's libkrb5-dev) installs the built rcukit-<version>.vsix;
 *   2. headless Debian Chromium, driven by playwright-core, opens the workbench on the LSP test
 *      fixture project, opens the buggy file from the Explorer, and opens the Problems panel;
 *   3. the rcukit findings that the fixture's `// expect:` comments name must appear there.
 *
 * A screenshot of the workbench is saved (test/vscode/out/problems.png) pass or fail. Exit code
 * 0 on success, 1 on failure, with the extension's and the server's logs printed on failure.
 *
 * Cache: $RCUKIT_VSCODE_CACHE, or $XDG_CACHE_HOME/rcukit-vscode-test, or ~/.cache/rcukit-vscode-test
 * (about 600 MB; the first install takes a few minutes); Node 24 in the cache of
 * test/src/support/other-node.ts, which the benchmarks and CI share. Debian packages are installed with
 * apt-get when missing and the script runs as root.
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanNpmEnv, ensureNode, nodePackageDir } from '../dist/support/other-node.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const outDir = fileURLToPath(new URL('./out/', import.meta.url));
const fixtureProject = path.join(repo, 'test', 'lsp', 'fixtures', 'project');
const fixtureFile = path.join(fixtureProject, 'src', 'sighand.ts');
const cache =
  process.env.RCUKIT_VSCODE_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir() || os.tmpdir(), '.cache'), 'rcukit-vscode-test');
// Node 24 comes from the cache the benchmarks and CI share (test/src/support/other-node.ts).
const node24Dir = nodePackageDir(24);
const codeServerDir = path.join(cache, 'code-server');
const codeServerEntry = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.RCUKIT_CHROMIUM ?? '/usr/bin/chromium';

const log = (line) => process.stderr.write(`test:vscode: ${line}\n`);

function run(cmd, args, options = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...options });
}

// -------------------------------------------------------------------------------------------------
// Installation (each step skipped when already done)

function ensureDebianPackages() {
  // `dpkg -s` succeeds for a package removed but not purged ("deinstall ok config-files"): ask
  // for the status itself.
  const missing = ['chromium', 'libkrb5-dev'].filter(
    (p) =>
      spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.trim() !==
      'install ok installed',
  );
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `missing Debian packages ${missing.join(', ')}; install them (apt-get install ${missing.join(' ')}) or run as root`,
    );
  run('apt-get', ['-o', 'Acquire::Retries=3', 'update', '-qq'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  run('apt-get', ['-o', 'Acquire::Retries=3', 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function ensureCodeServer(node24) {
  if (existsSync(codeServerEntry)) return;
  mkdirSync(codeServerDir, { recursive: true });
  // npm runs code-server's install scripts with node 24 first on PATH, and node-gyp builds
  // against node 24's headers (the machine's npm config points at node 20's).
  // The outer `npm run` hands its children its own configuration as npm_* variables, among them
  // npm_config_user_agent naming node 20; code-server's install script judges the node version by
  // that agent and stops with "code-server currently requires node v24". The nested install gets
  // a clean npm environment of its own.
  const env = { ...cleanNpmEnv(), PATH: `${path.dirname(node24)}:${process.env.PATH}` };
  if (node24 !== process.execPath) env.npm_config_nodedir = node24Dir;
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', codeServerDir, 'code-server@4'], { env });
}

// -------------------------------------------------------------------------------------------------
// The run

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function findVsix() {
  const version = JSON.parse(readFileSync(path.join(repo, 'vscode-extension', 'package.json'), 'utf8')).version;
  const vsix = path.join(repo, `rcukit-${version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} not found: run \`npm run package\` first (npm run test:vscode does)`);
  return vsix;
}

function expectations() {
  const out = [];
  readFileSync(fixtureFile, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/\/\/\s*expect:\s*([\w/-]+)/g)) out.push({ line: i + 1, rule: m[1] });
    });
  return out;
}

function tailOfLogs(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/rcukit|exthost|remoteagent/i.test(p) && statSync(p).size > 0)
        out.push(`--- ${p}\n${readFileSync(p, 'utf8').slice(-3000)}`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.join('\n');
}

async function main() {
  ensureDebianPackages();
  const node24 = ensureNode(24, log);
  ensureCodeServer(node24);
  const vsix = findVsix();
  const { chromium } = await import('playwright-core');

  const work = mkdtempSync(path.join(os.tmpdir(), 'rcukit-vscode-'));
  const userData = path.join(work, 'user-data');
  const extensions = path.join(work, 'extensions');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
      'update.mode': 'none',
    }),
  );
  const csArgs = ['--user-data-dir', userData, '--extensions-dir', extensions];
  run(node24, [codeServerEntry, ...csArgs, '--install-extension', vsix]);

  const port = await freePort();
  const server = spawn(
    node24,
    [
      codeServerEntry,
      ...csArgs,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      fixtureProject,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${path.dirname(node24)}:${process.env.PATH}` } },
  );
  let serverLog = '';
  server.stdout.on('data', (c) => (serverLog += c));
  server.stderr.on('data', (c) => (serverLog += c));

  const profile = mkdtempSync(path.join(os.tmpdir(), 'rcukit-chromium-'));
  let context;
  let ok = false;
  mkdirSync(outDir, { recursive: true });
  const screenshot = path.join(outDir, 'problems.png');
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => serverLog);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(fixtureProject)}`;
    log(`opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });

    // The Explorer: expand src/, open sighand.ts.
    const explorerRow = (name) =>
      page
        .locator('.explorer-folders-view .monaco-list-row')
        .filter({ hasText: new RegExp(`^${name.replace('.', '\\.')}$`) });
    await explorerRow('src').first().waitFor({ timeout: 120_000 });
    await explorerRow('src').first().click();
    await explorerRow('sighand.ts').first().waitFor({ timeout: 60_000 });
    await explorerRow('sighand.ts').first().dblclick();
    await page.locator('.tabs-container .tab').filter({ hasText: 'sighand.ts' }).first().waitFor({ timeout: 60_000 });
    log('sighand.ts is open; opening the Problems panel');

    // The Problems panel: the status bar's problems counter opens it (as a user would click it);
    // the keyboard shortcut is the fallback.
    const problemsItem = page.locator('[id="status.problems"]');
    if ((await problemsItem.count()) > 0) await problemsItem.first().click();
    else {
      await page.locator('.part.editor .monaco-editor').first().click();
      await page.keyboard.press('Control+Shift+M');
    }
    await page.waitForSelector('.markers-panel', { timeout: 60_000 });
    const expected = expectations();
    if (expected.length === 0) throw new Error(`no // expect: comments in ${fixtureFile}`);
    const deadline = Date.now() + 240_000;
    let rows = [];
    for (;;) {
      rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
      const flat = rows.map((r) => r.replace(/\s+/g, ' '));
      const missing = expected.filter(
        (e) => !flat.some((r) => r.includes(e.rule) && new RegExp(`\\bLn ${e.line}\\b`).test(r)),
      );
      if (missing.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `the Problems panel lacks ${missing.map((m) => `${m.rule} at Ln ${m.line}`).join(', ')}; it shows:\n${flat.join('\n') || '(nothing)'}`,
        );
      }
      await page.waitForTimeout(1000);
    }
    const ours = rows.map((r) => r.replace(/\s+/g, ' ')).filter((r) => /rcukit/.test(r));
    log(`Problems panel shows ${ours.length} rcukit row(s):\n  ${ours.join('\n  ')}`);
    await page.screenshot({ path: screenshot });
    ok = true;
  } catch (error) {
    log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
    try {
      await context?.pages()[0]?.screenshot({ path: screenshot });
    } catch {
      // no page to photograph
    }
    log(`code-server output:\n${serverLog.slice(-3000)}`);
    log(`logs:\n${tailOfLogs(path.join(userData, 'logs'))}`);
  } finally {
    await context?.close().catch(() => {});
    server.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  log(`screenshot: ${screenshot}`);
  log(ok ? 'PASS: rcukit diagnostics appear in the VS Code Problems panel' : 'FAIL');
  return ok ? 0 : 1;
}

async function waitForHttp(url, timeoutMs, describe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`code-server did not answer ${url} within ${timeoutMs / 1000} s:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

process.exitCode = await main().catch((error) => {
  log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
});
