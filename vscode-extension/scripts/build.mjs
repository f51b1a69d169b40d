#!/usr/bin/env node
/**
 * @fileoverview Bundles the extension with esbuild into two files, so the .vsix needs no
 * node_modules (`vsce package --no-dependencies`):
 *   dist/extension.js  the client (vscode-languageclient), CommonJS, `vscode` left external;
 *   dist/server.js     the language server: analyzer/src/lsp/main.ts with the engine, ts-morph
 *                      and TypeScript, CommonJS; it is also the engine's worker-thread script.
 * and copies the analyzer's rule docs to dist/docs (hover text and the diagnostics' doc links).
 * `--check` type-checks first (tsc -p .), as `vscode:prepublish` does.
 */

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const analyzer = path.resolve(root, '..', 'analyzer');
const dist = path.join(root, 'dist');

if (process.argv.includes('--check')) {
  execFileSync(process.execPath, [path.join(root, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], {
    stdio: 'inherit',
  });
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'none',
};

await esbuild.build({
  ...common,
  entryPoints: [path.join(root, 'src', 'extension.ts')],
  outfile: path.join(dist, 'extension.js'),
  external: ['vscode'],
});

await esbuild.build({
  ...common,
  entryPoints: [path.join(analyzer, 'src', 'lsp', 'main.ts')],
  outfile: path.join(dist, 'server.js'),
  // The server's ESM sources use import.meta.url to find their own file (the worker script and
  // the docs); in a CommonJS bundle that is __filename.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  // Optional native speedups some dependencies probe for; absent is fine.
  external: [],
});

const docs = path.join(analyzer, 'docs');
if (existsSync(docs)) cpSync(docs, path.join(dist, 'docs'), { recursive: true });
else console.warn(`build: ${docs} does not exist yet; the bundle has no rule docs`);

for (const f of ['extension.js', 'server.js']) {
  console.log(`build: dist/${f} ${(statSync(path.join(dist, f)).size / 1048576).toFixed(1)} MB`);
}
