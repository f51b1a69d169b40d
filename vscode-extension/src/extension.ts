/**
 * @fileoverview Activation of the rcukit extension: an output channel, a status bar item, the
 * language client (client.ts), and two commands (restart the server, show its output). All
 * checking happens in the server; this file only wires VS Code to it.
 */

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { createClient } from './client.js';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('rcukit', { log: true });
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 0);
  status.name = 'rcukit';
  status.text = '$(sync~spin) rcukit';
  status.tooltip = 'rcukit: starting';
  status.command = 'rcukit.showOutput';
  status.show();
  context.subscriptions.push(output, status);

  client = createClient(context, output, (s) => {
    const icon =
      s.state === 'analyzing'
        ? '$(sync~spin)'
        : s.state === 'error'
          ? '$(error)'
          : s.state === 'disabled'
            ? '$(circle-slash)'
            : '$(check)';
    status.text = `${icon} rcukit`;
    status.tooltip = `rcukit: ${s.message}`;
  });

  context.subscriptions.push(
    vscode.commands.registerCommand('rcukit.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('rcukit.restart', async () => {
      output.info('restarting the language server');
      await client?.restart();
    }),
  );

  try {
    await client.start();
    status.text = '$(check) rcukit';
    status.tooltip = 'rcukit: running';
  } catch (error) {
    status.text = '$(error) rcukit';
    status.tooltip = `rcukit: the server did not start: ${(error as Error).message}`;
    output.error(`the language server did not start: ${(error as Error).stack ?? String(error)}`);
    void vscode.window.showErrorMessage(
      'rcukit: the language server did not start; see the rcukit output for details.',
    );
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
