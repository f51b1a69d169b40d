/**
 * @fileoverview Quick fixes for rcukit findings, as LSP code actions:
 *
 * - the engine's own fixes (Diagnostic.fixes: the revalidation skeleton after a lock, and any
 *   other mechanical fix a rule knows), passed through;
 * - "wrap in rcuReadLock()/rcuReadUnlock()" and "wrap in a block with `using … = rcuReadLock()`"
 *   for a dereference outside the read-side section (fixes/read-section-wrap.ts, which says
 *   where each is offered);
 * - "suppress with a reason": `// rcukit-ignore-next-line <rule> -- <reason>` above the line, or
 *   the rule added to a suppression comment already there.
 *
 * The wraps come from TypeScript's parser (syntax only, no type checker), so they work from the
 * current buffer even while the engine is still busy.
 */

import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Fix } from '../diagnostic.js';
import { readSectionWrapFixes, readSectionWrapRules } from '../fixes/read-section-wrap.js';

const suppressDirective = 'rcukit-ignore-next-line';

export interface CodeActionRequest {
  readonly uri: string;
  readonly document: TextDocument;
  /** rcukit diagnostics from the request's context. */
  readonly diagnostics: readonly LspDiagnostic[];
  /**
   * The engine's fixes for a diagnostic, with edits already converted to LSP edits per URI;
   * undefined when the published results no longer match the document's version.
   */
  readonly engineFixes: (
    diagnostic: LspDiagnostic,
  ) => readonly { title: string; changes: Record<string, LspTextEdit[]> }[];
}

export function codeActionsFor(request: CodeActionRequest): CodeAction[] {
  const out: CodeAction[] = [];
  for (const diagnostic of request.diagnostics) {
    const rule = typeof diagnostic.code === 'string' ? diagnostic.code : undefined;
    if (rule === undefined) continue;
    for (const fix of request.engineFixes(diagnostic)) {
      out.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: true,
        edit: { changes: fix.changes },
      });
    }
    if (readSectionWrapRules.has(rule)) out.push(...wrapActions(request, diagnostic));
    if (!rule.startsWith('rcukit/')) {
      const suppress = suppressAction(request, diagnostic, rule);
      if (suppress !== undefined) out.push(suppress);
    }
  }
  return out;
}

/** The engine's Fix edits for one file, as LSP edits (offsets resolved in `document`). */
export function fixToLspEdits(
  fix: Fix,
  positionAt: (file: string, offset: number) => { line: number; character: number } | undefined,
  uriOf: (file: string) => string,
): Record<string, LspTextEdit[]> | undefined {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const e of fix.edits) {
    const start = positionAt(e.file, e.start);
    const end = positionAt(e.file, e.end);
    if (start === undefined || end === undefined) return undefined;
    (changes[uriOf(e.file)] ??= []).push({ range: { start, end }, newText: e.newText });
  }
  return changes;
}

// -------------------------------------------------------------------------------------------------
// Suppression

function suppressAction(request: CodeActionRequest, diagnostic: LspDiagnostic, rule: string): CodeAction | undefined {
  const doc = request.document;
  const line = diagnostic.range.start.line;
  const lineText = lineAt(doc, line);
  const indent = /^\s*/.exec(lineText)![0];
  const title = `Suppress ${rule} on this line (rcukit-ignore-next-line, with a reason)`;
  if (line > 0) {
    const previous = lineAt(doc, line - 1);
    const m = new RegExp(`^(\\s*//\\s*${suppressDirective}\\s+)(.*?)(\\s+--.*)?$`).exec(previous);
    if (m !== null) {
      const ids = m[2]!.split(/[\s,]+/).filter((s) => s !== '');
      if (ids.includes(rule)) return undefined;
      const at = { line: line - 1, character: m[1]!.length + m[2]!.length };
      const reason = m[3] === undefined ? ' -- <reason>' : '';
      return quickFix(title, diagnostic, request.uri, [
        { range: { start: at, end: at }, newText: `, ${rule}${reason}` },
      ]);
    }
  }
  const at = { line, character: 0 };
  return quickFix(title, diagnostic, request.uri, [
    { range: { start: at, end: at }, newText: `${indent}// ${suppressDirective} ${rule} -- <reason>\n` },
  ]);
}

// -------------------------------------------------------------------------------------------------
// Wrapping in a read-side section (fixes/read-section-wrap.ts, shared with the ESLint plugin)

function wrapActions(request: CodeActionRequest, diagnostic: LspDiagnostic): CodeAction[] {
  const doc = request.document;
  // An untitled buffer has no extension: its language says whether it is TSX.
  const name = doc.languageId === 'typescriptreact' ? `${request.uri}.tsx` : request.uri;
  const fixes = readSectionWrapFixes(
    name,
    doc.getText(),
    doc.offsetAt(diagnostic.range.start),
    doc.offsetAt(diagnostic.range.end),
  );
  return fixes.map((fix) =>
    quickFix(
      fix.title,
      diagnostic,
      request.uri,
      fix.edits.map((e) => ({
        range: { start: doc.positionAt(e.start), end: doc.positionAt(e.end) },
        newText: e.newText,
      })),
    ),
  );
}

// -------------------------------------------------------------------------------------------------
// Helpers

function lineAt(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
}

function quickFix(title: string, diagnostic: LspDiagnostic, uri: string, edits: LspTextEdit[]): CodeAction {
  const edit: WorkspaceEdit = { changes: { [uri]: edits } };
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit };
}
