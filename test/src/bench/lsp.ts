/**
 * @fileoverview `npm run bench -- lsp`: latency of the rcukit language server as an editor sees
 * it, over JSON-RPC on stdio (vscode-jsonrpc), with the server's default settings (debounce
 * included), in the seeded synthetic project of synthetic-project.ts at 200 files, ~25k lines:
 *   lsp-open-latency    didOpen of a file not yet open → its first publishDiagnostics (ms);
 *   lsp-change-latency  didChange → the publishDiagnostics for that document version (ms), over
 *                       100 edits after 10 warm-up edits, to a runtime module nothing imports.
 * The first open of the session (engine thread start, project load) is logged, not counted.
 * Targets (issue 5): change median <= 100 ms, p95 <= 250 ms after warm-up.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { summarize } from './stats.js';
import { writeSyntheticProject } from './synthetic-project.js';

const serverMain = fileURLToPath(new URL('../../../analyzer/dist/lsp/main.js', import.meta.url));
const runtimeDir = fileURLToPath(new URL('../../../runtime/', import.meta.url));
/** The edit: a constant in a function (sumBytes's accumulator), as typing changes it. */
const editedConstant = /let total = \d+;/;

interface Published {
  uri: string;
  version?: number;
  diagnostics: unknown[];
}

async function run(options: BenchOptions): Promise<BenchEntry[]> {
  const fileCount = 200;
  const opens = options.quick ? 5 : 20;
  const edits = options.quick ? 20 : 100;
  const warmup = options.quick ? 3 : 10;
  const dir = mkdtempSync(path.join(tmpdir(), 'rcukit-lsp-bench-'));
  const project = writeSyntheticProject({ dir, runtimeDir, files: fileCount, targetLines: 24_400, seed: 0x5eed });
  // Edit the last runtime module that holds the constant (a leaf: no module imports src/net);
  // time opens of the other runtime modules only: plain modules are nearly free for the
  // engine's pre-filter, and would flatter the figure.
  const file = project.paths.findLast(
    (f) => f.includes(`${path.sep}net${path.sep}`) && editedConstant.test(readFileSync(f, 'utf8')),
  );
  if (file === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`no runtime module of the synthetic project matches ${editedConstant}`);
  }
  const others = project.paths.filter((f) => f !== file && f.includes(`${path.sep}net${path.sep}`));
  options.log(
    `generated ${project.files} files, ${project.lines} lines (${project.runtimeFiles} importing the runtime, ${project.bugs} planted bugs) in ${dir}; editing ${path.relative(dir, file)}`,
  );

  const child = spawn(process.execPath, [serverMain, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-8000)));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const waiting = new Map<string, { resolve: (p: Published) => void; version: number | undefined }>();
  connection.onNotification('textDocument/publishDiagnostics', (p: Published) => {
    const w = waiting.get(p.uri);
    if (w !== undefined && (w.version === undefined || w.version === p.version)) {
      waiting.delete(p.uri);
      w.resolve(p);
    }
  });
  connection.onNotification('window/showMessage', (p: { message: string }) => options.log(`server says: ${p.message}`));
  connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null)); // defaults
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();

  const next = (uri: string, version: number | undefined, what: string) =>
    new Promise<Published>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${what} within 120 s\n${stderr}`)), 120_000);
      waiting.set(uri, {
        version,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });

  try {
    const root = pathToFileURL(dir).href;
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: [{ uri: root, name: 'bench' }],
      capabilities: { workspace: { configuration: true } },
    });
    await connection.sendNotification('initialized', {});

    const open = async (file: string) => {
      const uri = pathToFileURL(file).href;
      const done = next(uri, 1, `open ${file}`);
      const t0 = performance.now();
      await connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'typescript', version: 1, text: readFileSync(file, 'utf8') },
      });
      const p = await done;
      return { ms: performance.now() - t0, findings: p.diagnostics.length };
    };

    // Cold: starts the engine's thread and loads the project.
    const cold = await open(file);
    options.log(`first open (cold start): ${cold.ms.toFixed(0)} ms, ${cold.findings} findings`);
    const openSamples: number[] = [];
    for (let i = 0; i < opens; i++) {
      const r = await open(others[(i * 37) % others.length]!);
      openSamples.push(r.ms);
    }

    // Edits to the file open longest: change a constant in one function, as typing does.
    const uri = pathToFileURL(file).href;
    const text = readFileSync(file, 'utf8');
    const changeSamples: number[] = [];
    for (let v = 2; v < 2 + warmup + edits; v++) {
      const edited = text.replace(editedConstant, `let total = ${v};`);
      const done = next(uri, v, `edit v${v}`);
      const t0 = performance.now();
      await connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ text: edited }],
      });
      await done;
      if (v >= 2 + warmup) changeSamples.push(performance.now() - t0);
    }
    return [summarize('lsp-change-latency', 'ms', changeSamples), summarize('lsp-open-latency', 'ms', openSamples)];
  } finally {
    try {
      await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
      await connection.sendNotification('exit');
    } catch {
      // the server is gone already
    }
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    connection.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  name: 'lsp',
  description:
    'rcukit language server latency over JSON-RPC: didChange/didOpen to publishDiagnostics, seeded synthetic 200-file, ~25k-line project',
  run,
};
