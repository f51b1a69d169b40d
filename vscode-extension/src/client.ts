/**
 * @fileoverview The language client: starts the rcukit server bundled in this extension
 * (`dist/server.js`, the analyzer, ts-morph and TypeScript in one file) in a Node process of
 * VS Code's own runtime, over Node IPC, for TypeScript files on disk.
 */

import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { settingsSection, StatusNotification, type StatusParams } from '../../analyzer/src/lsp/protocol.js';

export function createClient(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  onStatus: (status: StatusParams) => void,
): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'typescript' },
      { scheme: 'file', language: 'typescriptreact' },
      // Never-saved buffers: the server analyzes them as loose files in the first folder.
      { scheme: 'untitled', language: 'typescript' },
      { scheme: 'untitled', language: 'typescriptreact' },
    ],
    outputChannel: output,
    // The server pulls settings with workspace/configuration, and registers for
    // workspace/didChangeConfiguration itself; these are for its first analysis, before that
    // answer arrives, and for the record in the output channel.
    initializationOptions: { settings: vscode.workspace.getConfiguration(settingsSection) },
  };
  const client = new LanguageClient('rcukit', 'rcukit', serverOptions, clientOptions);
  client.onNotification(StatusNotification.method, (params: StatusParams) => onStatus(params));
  return client;
}
