#!/usr/bin/env node
/**
 * @fileoverview Entry point of the rcukit language server:
 *
 *     node analyzer/dist/lsp/main.js --stdio        (what `rcukit lsp --stdio` runs)
 *     node analyzer/dist/lsp/main.js --node-ipc     (what the VS Code extension uses)
 *
 * The same script is also the engine's thread: the analysis host starts a worker from this
 * file, and in a worker the script runs the engine loop instead of a server. That keeps one
 * file to find in both layouts, the analyzer's dist/ and the extension's single-file bundle.
 *
 * stdout belongs to the protocol: console output is sent to stderr, and garbage on stdin is
 * skipped by the resilient reader rather than ending the session.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { isMainThread, workerData } from 'node:worker_threads';
import {
  createConnection,
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageWriter,
  type Connection,
} from 'vscode-languageserver/node';
import { analysisWorkerRole } from './analysis-host.js';
import { ResilientMessageReader } from './resilient-reader.js';
import { findPackageRoot } from './rule-docs.js';
import { startServer } from './server.js';

export type Transport = 'stdio' | 'node-ipc';

/** This module's own file: the worker script, and the anchor for finding the docs. */
const thisFile = fileURLToPath(import.meta.url);

/** Run the language server in this process until the client says exit. */
export function runLanguageServer(transport: Transport): Connection {
  // Anything printed by a library must not corrupt the LSP stream on stdout.
  const toStderr = (...args: unknown[]) => void process.stderr.write(format(...args) + '\n');
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;

  let connection: Connection;
  if (transport === 'node-ipc') {
    connection = createConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
  } else {
    const reader = new ResilientMessageReader(process.stdin, (what) => {
      process.stderr.write(`rcukit lsp: skipped ${what}\n`);
      // After initialize the client's log shows it too.
      try {
        connection.console.warn(`rcukit: skipped malformed input: ${what}`);
      } catch {
        // not yet listening
      }
    });
    connection = createConnection(reader, new StreamMessageWriter(process.stdout));
  }
  // A bug in one handler must not end the session: log it and keep serving.
  process.on('uncaughtException', (error) => {
    process.stderr.write(`rcukit lsp: uncaught exception: ${error.stack ?? String(error)}\n`);
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `rcukit lsp: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
    );
  });
  startServer({ connection, workerScript: thisFile, packageRoot: findPackageRoot(path.dirname(thisFile)) });
  return connection;
}

/** The transport named on the command line (`--stdio` by default). */
export function transportFromArgs(argv: readonly string[]): Transport {
  return argv.includes('--node-ipc') ? 'node-ipc' : 'stdio';
}

function isEntryScript(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return path.resolve(entry) === thisFile;
  } catch {
    return false;
  }
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === analysisWorkerRole) {
  // Only the engine's thread loads the engine (and ts-morph with TypeScript).
  void import('./analysis-worker.js').then((m) => m.runAnalysisWorker());
} else if (isMainThread && isEntryScript()) {
  runLanguageServer(transportFromArgs(process.argv.slice(2)));
}
