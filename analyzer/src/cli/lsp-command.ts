/**
 * @fileoverview `rcukit lsp --stdio`: the language server as a subcommand of the CLI. Kept out
 * of main.ts so the CLI and the server can change apart; main.ts wires it in with
 * `registerLspCommand(program)`. The server's modules load only when the command runs.
 */

import type { Command } from 'commander';

/** Add `lsp [--stdio | --node-ipc]` to `program`; returns the new subcommand. */
export function registerLspCommand(program: Command): Command {
  return (
    program
      .command('lsp')
      .description('run the rcukit language server for editors (LSP over stdin/stdout)')
      .option('--stdio', 'speak LSP over stdin/stdout (the default)')
      .option('--node-ipc', 'speak LSP over the Node IPC channel (when started by a Node client with fork)')
      // vscode-languageclient appends this; the connection reads it from process.argv and exits
      // when that process dies.
      .option('--clientProcessId <pid>', 'process id of the editor; the server exits when it does')
      // Other clients append flags of their own; they must not stop the server from starting.
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .action(async (flags: { stdio?: boolean; nodeIpc?: boolean }) => {
        const { runLanguageServer } = await import('../lsp/main.js');
        runLanguageServer(flags.nodeIpc === true ? 'node-ipc' : 'stdio');
        // The server runs until the client's `exit` notification ends the process.
      })
  );
}
