/**
 * @fileoverview A JSON-RPC client session with the real rcukit language server, for the tests
 * and the latency benchmark's twin: starts `node analyzer/dist/lsp/main.js --stdio` as a child
 * process, speaks LSP to it with vscode-jsonrpc (a client the project did not write), and
 * records what the server pushes (diagnostics, messages, status) so tests can wait for it.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const serverMain = fileURLToPath(new URL('../../analyzer/dist/lsp/main.js', import.meta.url));

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: LspDiagnostic[];
}

export interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity?: number;
  code?: string | number;
  codeDescription?: { href: string };
  source?: string;
  message: string;
  relatedInformation?: { location: { uri: string; range: unknown }; message: string }[];
  data?: unknown;
}

export class LspSession {
  readonly child: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  readonly published: PublishedDiagnostics[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly logs: string[] = [];
  /** `window/logMessage` entries with their type (1 error, 2 warning, 3 info, 4 log). */
  readonly logEntries: { type: number; message: string }[] = [];
  stderr = '';
  private readonly waiters: (() => void)[] = [];

  /** @param script the server to run: the analyzer's build, or the extension's bundle. */
  constructor(args: readonly string[] = ['--stdio'], script = serverMain) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: 'pipe' });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.connection = createMessageConnection(
      new StreamMessageReader(this.child.stdout),
      new StreamMessageWriter(this.child.stdin),
    );
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishedDiagnostics) => {
      this.published.push(p);
      this.wake();
    });
    this.connection.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      this.messages.push(p);
      this.wake();
    });
    this.connection.onNotification('window/logMessage', (p: { type: number; message: string }) => {
      this.logs.push(p.message);
      this.logEntries.push(p);
    });
    this.connection.onNotification('rcukit/status', () => {});
    // The server asks for settings and registers capabilities; answer like an editor would.
    this.connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map(() => this.settings),
    );
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('workspace/workspaceFolders', () => this.folders);
    this.connection.listen();
  }

  /** What `workspace/workspaceFolders` answers. */
  folders: { uri: string; name: string }[] = [];

  /** What `workspace/configuration` answers for the `rcukit` section. */
  settings: unknown = { enable: true, rules: {}, debounceMs: 50 };

  async initialize(
    rootPath: string,
    initializationOptions: unknown = {},
    folders: readonly string[] = [rootPath],
    workspaceCapabilities: Record<string, unknown> = {},
  ): Promise<unknown> {
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(rootPath).href,
      workspaceFolders: folders.map((f, i) => ({ uri: pathToFileURL(f).href, name: `folder${i}` })),
      capabilities: {
        workspace: {
          configuration: true,
          didChangeConfiguration: { dynamicRegistration: true },
          ...workspaceCapabilities,
        },
        textDocument: {
          publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, versionSupport: true },
        },
      },
      initializationOptions,
    });
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  open(uri: string, text: string, version = 1, languageId = 'typescript'): void {
    void this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId, version, text },
    });
  }

  replace(uri: string, text: string, version: number): void {
    void this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  }

  /** Wait until `predicate` holds for something recorded, re-checking at each notification. */
  async waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}\nserver stderr:\n${this.stderr.slice(-4000)}\nmessages: ${JSON.stringify(this.messages)}\nlast published: ${JSON.stringify(this.published.slice(-3))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first diagnostics published for `uri` at `version` (or any version, when omitted). */
  diagnosticsFor(uri: string, version?: number, from = 0): Promise<PublishedDiagnostics> {
    return this.waitFor(`diagnostics for ${uri}${version !== undefined ? ` v${version}` : ''}`, () =>
      this.published.slice(from).find((p) => p.uri === uri && (version === undefined || p.version === version)),
    );
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
      void this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    this.connection.dispose();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
