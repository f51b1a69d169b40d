/**
 * @fileoverview The language server's handlers: LSP messages in, calls to the analysis host and
 * the code-action/hover helpers, LSP messages out. No analysis and no path arithmetic happen
 * here (analysis-host.ts and uri.ts own those). Architecture invariant: lsp/ is the only part of
 * rcukit that knows about LSP.
 */

import path from 'node:path';
import {
  CodeActionKind,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  LSPErrorCodes,
  MarkupKind,
  MessageType,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type CodeAction,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type Range,
  type TextEdit as LspTextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { readFileSync } from 'node:fs';
import type { Diagnostic, SourceSpan } from '../diagnostic.js';
import { AnalysisHost, type PublishedResult } from './analysis-host.js';
import { diagnosticSource, reanalyzeCommand, StatusNotification } from './protocol.js';
import { RuleDocs } from './rule-docs.js';
import { SettingsStore, settingsSection } from './settings.js';
import { isUntitledPath, UriMap, untitledPath } from './uri.js';

export interface ServerOptions {
  readonly connection: Connection;
  /** Script the engine's thread starts from (see analysis-worker.ts). */
  readonly workerScript: URL | string;
  /** Folder RuleInfo.docPath is relative to (undefined: no doc links or hover text). */
  readonly packageRoot: string | undefined;
}

/** What `initializationOptions` may carry (for clients without workspace/configuration). */
interface InitializationOptions {
  /** The `rcukit` settings section. */
  settings?: unknown;
  /** Stop an analysis that runs longer than this (default 60 s). */
  analysisTimeoutMs?: number;
  /** Do not analyze documents larger than this (default 4 MiB). */
  maxFileBytes?: number;
}

const languageIds = new Set(['typescript', 'typescriptreact']);
const fileExtensions = /\.(?:[cm]?ts|tsx)$/;

/** One published finding: the LSP diagnostic and the engine's, for code actions. */
interface Published {
  readonly lsp: LspDiagnostic;
  readonly engine: Diagnostic;
}

export function startServer(options: ServerOptions): void {
  const { connection } = options;
  const documents = new TextDocuments(TextDocument);
  const uris = new UriMap();
  /** uri -> the last findings published for it, and the text they were computed from. */
  const results = new Map<string, { version: number; text: string; items: Published[] }>();
  const shown = new Set<string>();
  let host: AnalysisHost | undefined;
  let settings: SettingsStore | undefined;
  let docs: RuleDocs | undefined;
  let canFetchConfiguration = false;
  let canWatchFiles = false;
  let canChangeFolders = false;
  let settingsLoaded: Promise<void> = Promise.resolve();

  const log = (line: string) => connection.console.log(line);
  const notify = (severity: 'error' | 'warning' | 'info', message: string) => {
    const type =
      severity === 'error' ? MessageType.Error : severity === 'warning' ? MessageType.Warning : MessageType.Info;
    void connection.sendNotification('window/showMessage', { type, message });
  };
  const notifyOnce = (message: string) => {
    connection.console.warn(message);
    if (shown.has(message)) return;
    shown.add(message);
    notify('warning', message);
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    canFetchConfiguration = params.capabilities.workspace?.configuration === true;
    canWatchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    // vscode-languageserver throws from onDidChangeWorkspaceFolders for a client that never
    // said it sends folder changes: ask only a client that can.
    canChangeFolders = params.capabilities.workspace?.workspaceFolders === true;
    const folders = (params.workspaceFolders ?? [])
      .map((f) => uris.remember(f.uri))
      .filter((f): f is string => f !== undefined);
    if (folders.length === 0) {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- clients before LSP 3.6 send only these
      const { rootUri, rootPath } = params;
      let root = rootUri ? uris.remember(rootUri) : undefined;
      if (root === undefined && rootPath) root = path.resolve(rootPath);
      if (root !== undefined) folders.push(root);
    }
    settings = new SettingsStore(folders, notifyOnce);
    settings.update(init.settings);
    host = new AnalysisHost({
      workerScript: options.workerScript,
      debounceMs: settings.settings.debounceMs,
      timeoutMs: positive(init.analysisTimeoutMs) ?? 60_000,
      maxFileBytes: positive(init.maxFileBytes) ?? 4 * 1024 * 1024,
      configFor: (file) => {
        if (isUntitledPath(file)) return settings!.untitledConfigFor(file);
        const config = settings!.configFor(file);
        if (config.project === undefined) {
          notifyOnce(
            `rcukit: no tsconfig.json found above ${path.dirname(file)}; its files are checked as loose files with default compiler options (strict, NodeNext)`,
          );
        }
        return config;
      },
      publish,
      notify,
      status: (p) =>
        void connection.sendNotification(StatusNotification.method, {
          ...p,
          ...(p.uri !== undefined ? { uri: uris.toUri(p.uri) } : {}),
        }),
      log,
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        hoverProvider: true,
        executeCommandProvider: { commands: [reanalyzeCommand] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'rcukit', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (canFetchConfiguration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: settingsSection });
      settingsLoaded = loadSettings();
    }
    if (canWatchFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [
          { globPattern: '**/*.{ts,tsx,mts,cts}' },
          { globPattern: '**/{tsconfig.json,rcukit.config.json,package.json}' },
        ],
      });
    }
    if (canChangeFolders) {
      connection.workspace.onDidChangeWorkspaceFolders(() => {
        void connection.workspace.getWorkspaceFolders().then((folders) => {
          settings?.setWorkspaceFolders(
            (folders ?? []).map((f) => uris.remember(f.uri)).filter((f): f is string => f !== undefined),
          );
          host?.reanalyzeAll();
        });
      });
    }
    // Fetch the rule list early, so the first hover does not wait for the engine to load.
    void host?.listRules().then(
      (rules) => (docs = new RuleDocs(rules, options.packageRoot)),
      (error: unknown) =>
        log(`could not list the engine's rules: ${error instanceof Error ? error.message : String(error)}`),
    );
  });

  async function loadSettings(): Promise<void> {
    try {
      const raw: unknown = await connection.workspace.getConfiguration(settingsSection);
      applySettings(raw);
    } catch (error) {
      log(`workspace/configuration failed (${(error as Error).message}); keeping the current settings`);
    }
  }

  function applySettings(raw: unknown): void {
    if (settings === undefined || host === undefined) return;
    const wasEnabled = settings.settings.enable;
    const next = settings.update(raw);
    host.debounceMs = next.debounceMs;
    if (wasEnabled && !next.enable) {
      for (const uri of results.keys()) void connection.sendDiagnostics({ uri, diagnostics: [] });
      results.clear();
      void connection.sendNotification(StatusNotification.method, {
        state: 'disabled',
        message: 'rcukit.enable is false',
      });
    }
    host.reanalyzeAll();
  }

  connection.onDidChangeConfiguration((change) => {
    if (canFetchConfiguration) settingsLoaded = loadSettings();
    else applySettings((change.settings as Record<string, unknown> | null)?.[settingsSection] ?? change.settings);
  });

  connection.onDidChangeWatchedFiles((params) => {
    for (const change of params.changes) {
      const file = uris.remember(change.uri);
      if (file === undefined) continue;
      const base = path.basename(file);
      if (base === 'tsconfig.json' || base === 'rcukit.config.json' || base === 'package.json') {
        settings?.invalidateFiles();
        host?.reanalyzeAll(true);
      } else if (fileExtensions.test(file) || change.type === FileChangeType.Deleted) {
        host?.fileChangedOnDisk(file);
      }
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Documents

  const isChecked = (doc: TextDocument) => languageIds.has(doc.languageId) || fileExtensions.test(doc.uri);

  documents.onDidChangeContent((event) => {
    const doc = event.document;
    if (!isChecked(doc)) return;
    let file = uris.remember(doc.uri) ?? uris.pathOf(doc.uri);
    if (file === undefined && doc.uri.startsWith('untitled:') && settings !== undefined)
      file = uris.rememberUntitled(doc.uri, untitledPath(doc.uri, settings.untitledRoot(), doc.languageId));
    if (file === undefined) {
      notifyOnce(`rcukit checks files and untitled buffers only; ${doc.uri.split(':')[0]}: documents are not analyzed`);
      return;
    }
    // Settings first: the first analysis must use the workspace's rule severities.
    void settingsLoaded.then(() => {
      const current = documents.get(doc.uri);
      if (current !== undefined && host !== undefined) host.change(file, current.version, current.getText());
    });
  });

  documents.onDidClose((event) => {
    const file = uris.pathOf(event.document.uri);
    if (file !== undefined) host?.close(file);
    uris.forget(event.document.uri);
    results.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  /** Publish in order, once the rule docs are known (each diagnostic links its rule's page). */
  let publishing: Promise<void> = Promise.resolve();
  function publish(result: PublishedResult): void {
    publishing = publishing.then(async () => {
      if (docs === undefined && host !== undefined) {
        try {
          docs = new RuleDocs(await host.listRules(), options.packageRoot);
        } catch (error) {
          log(`publishing without rule doc links: ${(error as Error).message}`);
        }
      }
      publishNow(result);
    });
  }

  function publishNow(result: PublishedResult): void {
    const uri = uris.toUri(result.file);
    const doc = documents.get(uri);
    if (doc === undefined || doc.version !== result.version) return; // closed or changed meanwhile
    const items: Published[] = result.diagnostics.map((d) => ({ engine: d, lsp: toLspDiagnostic(d) }));
    results.set(uri, { version: result.version, text: result.text, items });
    void connection.sendDiagnostics({ uri, version: result.version, diagnostics: items.map((i) => i.lsp) });
  }

  function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
    const href = docs?.href(d.ruleId);
    const related: DiagnosticRelatedInformation[] = d.related.map((r) => ({
      location: { uri: uris.toUri(r.span.file), range: spanToRange(r.span) },
      message: r.message,
    }));
    return {
      range: spanToRange(d.span),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.ruleId,
      ...(href !== undefined ? { codeDescription: { href } } : {}),
      source: diagnosticSource,
      message: d.message,
      ...(related.length > 0 ? { relatedInformation: related } : {}),
      data: { messageId: d.messageId },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  connection.onCodeAction(async (params, token): Promise<CodeAction[]> => {
    checkCancelled(token);
    // Loaded on first use: it brings TypeScript's parser, which the server's thread does not
    // otherwise need (the engine has its own copy on its own thread).
    const { codeActionsFor, fixToLspEdits } = await import('./code-actions.js');
    checkCancelled(token);
    const doc = documents.get(params.textDocument.uri);
    if (doc === undefined) return [];
    if (
      params.context.only !== undefined &&
      !params.context.only.some(
        (k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(k + '.') || k === '',
      )
    )
      return [];
    const ours = params.context.diagnostics.filter((d) => d.source === diagnosticSource);
    const stored = results.get(params.textDocument.uri);
    const current = stored !== undefined && stored.version === doc.version ? stored : undefined;
    return codeActionsFor({
      uri: params.textDocument.uri,
      document: doc,
      diagnostics: ours,
      engineFixes: (lspDiagnostic) => {
        const match = current?.items.find(
          (i) => i.lsp.code === lspDiagnostic.code && sameRange(i.lsp.range, lspDiagnostic.range),
        );
        if (match === undefined) return [];
        const out: { title: string; changes: Record<string, LspTextEdit[]> }[] = [];
        for (const fix of match.engine.fixes) {
          const changes = fixToLspEdits(
            fix,
            (file, offset) => positionIn(file, offset, doc, current!.text),
            (file) => uris.toUri(file),
          );
          if (changes !== undefined) out.push({ title: fix.title, changes });
        }
        return out;
      },
    });
  });

  /** A position in the text the findings were computed from (the open document, or the disk file). */
  function positionIn(file: string, offset: number, doc: TextDocument, text: string) {
    if (uris.toUri(file) === doc.uri) return doc.positionAt(Math.min(offset, text.length));
    try {
      const other = TextDocument.create(uris.toUri(file), 'typescript', 0, readFileSync(file, 'utf8'));
      return other.positionAt(offset);
    } catch {
      return undefined;
    }
  }

  connection.onHover(async (params, token): Promise<Hover | null> => {
    checkCancelled(token);
    const doc = documents.get(params.textDocument.uri);
    const stored = results.get(params.textDocument.uri);
    if (doc === undefined || stored === undefined || stored.version !== doc.version) return null;
    const at = params.position;
    const hits = stored.items.filter((i) => contains(i.lsp.range, at));
    if (hits.length === 0) return null;
    if (docs === undefined) {
      try {
        docs = new RuleDocs(await raceCancel(host!.listRules(), token), options.packageRoot);
      } catch (error) {
        if (error instanceof ResponseError) throw error;
        log(`hover without rule docs: ${(error as Error).message}`);
      }
    }
    checkCancelled(token);
    const seen = new Set<string>();
    const parts: string[] = [];
    for (const hit of hits) {
      if (seen.has(hit.engine.ruleId)) continue;
      seen.add(hit.engine.ruleId);
      parts.push(
        docs !== undefined
          ? docs.hoverMarkdown(hit.engine.ruleId, hit.engine.severity)
          : `**${hit.engine.ruleId}** (${hit.engine.severity})`,
      );
    }
    return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') }, range: hits[0]!.lsp.range };
  });

  connection.onExecuteCommand((params) => {
    if (params.command === reanalyzeCommand) {
      settings?.invalidateFiles();
      host?.reanalyzeAll(true);
    }
  });

  connection.onShutdown(async () => {
    await host?.dispose();
  });

  documents.listen(connection);
  connection.listen();
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function spanToRange(span: SourceSpan): Range {
  return {
    start: { line: Math.max(0, span.startLine - 1), character: Math.max(0, span.startColumn - 1) },
    end: { line: Math.max(0, span.endLine - 1), character: Math.max(0, span.endColumn - 1) },
  };
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

function contains(range: Range, p: { line: number; character: number }): boolean {
  const after = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const before = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return after && before;
}

function checkCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
}

function raceCancel<T>(promise: Promise<T>, token: CancellationToken): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const sub = token.onCancellationRequested(() =>
      reject(new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled')),
    );
    promise.then(
      (v) => {
        sub.dispose();
        resolve(v);
      },
      (e: unknown) => {
        sub.dispose();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
