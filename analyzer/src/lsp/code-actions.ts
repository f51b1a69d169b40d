/**
 * @fileoverview Quick fixes for rcukit findings, as LSP code actions:
 *
 * - the engine's own fixes (Diagnostic.fixes: the revalidation skeleton after a lock, and any
 *   other mechanical fix a rule knows), passed through;
 * - "wrap in rcuReadLock()/rcuReadUnlock()" and "wrap in a block with `using … = rcuReadLock()`"
 *   for a dereference outside the read-side section, around the statement holding it; each is
 *   offered only where it keeps the section balanced (the plain pair is not offered around a
 *   `return`/`throw`/jump that would skip the unlock; the `using` block is not offered where
 *   it would hide a declaration from the code after it), and never around `await`/`yield`;
 * - "suppress with a reason": `// rcukit-ignore-next-line <rule> -- <reason>` above the line, or
 *   the rule added to a suppression comment already there.
 *
 * The statement structure comes from TypeScript's parser (syntax only, no type checker), so the
 * fixes work from the current buffer even while the engine is still busy.
 */

import { ts } from 'ts-morph';
import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Fix } from '../diagnostic.js';

/** Rules whose finding a read-side section around the statement fixes. */
const wrapRules = new Set(['rcu/deref-outside-read-lock']);
const runtimeModule = '@rcukit/runtime';
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
  let parsed: ts.SourceFile | undefined;
  const sourceFile = () => (parsed ??= parse(request.uri, request.document.getText(), request.document.languageId));
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
    if (wrapRules.has(rule)) out.push(...wrapActions(request, sourceFile(), diagnostic));
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
// Wrapping in a read-side section

function wrapActions(request: CodeActionRequest, sf: ts.SourceFile, diagnostic: LspDiagnostic): CodeAction[] {
  const doc = request.document;
  const start = doc.offsetAt(diagnostic.range.start);
  const end = Math.max(start, doc.offsetAt(diagnostic.range.end));
  const statement = enclosingStatement(sf, start, end);
  if (statement === undefined) return [];
  const scan = scanRegion(statement);
  if (scan.suspends) return [];
  const names = runtimeNames(sf);
  const text = sf.text;
  const stmtStart = statement.getStart(sf);
  const stmtEnd = statement.end;
  const lineStart = text.lastIndexOf('\n', stmtStart - 1) + 1;
  const ownLine = text.slice(lineStart, stmtStart).trim() === '';
  const indent = ownLine ? text.slice(lineStart, stmtStart) : '';
  const unit = indentUnit(text);
  const actions: CodeAction[] = [];

  if (!scan.leaves) {
    const edits: LspTextEdit[] = [...names.importEdits(doc)];
    if (ownLine) {
      edits.push(insertAt(doc, lineStart, `${indent}${names.lock}();\n`));
      edits.push(insertAt(doc, stmtEnd, `\n${indent}${names.unlock}();`));
    } else {
      edits.push(insertAt(doc, stmtStart, `${names.lock}(); `));
      edits.push(insertAt(doc, stmtEnd, ` ${names.unlock}();`));
    }
    actions.push(quickFix(`Wrap in ${names.lock}()/${names.unlock}()`, diagnostic, request.uri, edits));
  }
  if (!scan.declares && ownLine) {
    const body = text.slice(lineStart, stmtEnd);
    // Re-indenting would change the contents of a multi-line template literal; keep it as is then.
    const reindented = scan.multilineTemplate ? body : body.replace(/^(?=[^\n])/gm, unit);
    const replacement = `${indent}{\n${indent}${unit}using _rcu = ${names.lock}();\n${reindented}\n${indent}}`;
    const edits: LspTextEdit[] = [
      ...names.importEdits(doc, false),
      { range: { start: doc.positionAt(lineStart), end: doc.positionAt(stmtEnd) }, newText: replacement },
    ];
    actions.push(quickFix(`Wrap in a block with \`using _rcu = ${names.lock}()\``, diagnostic, request.uri, edits));
  }
  return actions;
}

/** The innermost statement of a block (or the file) that contains [start, end). */
function enclosingStatement(sf: ts.SourceFile, start: number, end: number): ts.Statement | undefined {
  let found: ts.Statement | undefined;
  let node: ts.Node = sf;
  for (;;) {
    let next: ts.Node | undefined;
    node.forEachChild((child) => {
      if (next === undefined && child.getStart(sf) <= start && end <= child.end) next = child;
    });
    if (next === undefined) return found;
    node = next;
    const parent = node.parent;
    if (
      isStatementNode(node) &&
      (ts.isBlock(parent) ||
        ts.isSourceFile(parent) ||
        ts.isCaseClause(parent) ||
        ts.isDefaultClause(parent) ||
        ts.isModuleBlock(parent))
    ) {
      found =
        ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isImportDeclaration(node) ? found : node;
    }
  }
}

function isStatementNode(node: ts.Node): node is ts.Statement {
  return (
    (node.kind >= ts.SyntaxKind.FirstStatement && node.kind <= ts.SyntaxKind.LastStatement) ||
    ts.isClassDeclaration(node) ||
    ts.isFunctionDeclaration(node)
  );
}

interface RegionScan {
  /** return, throw, or a break/continue that jumps out of the statement. */
  leaves: boolean;
  /** await, yield or for-await in the statement's own code. */
  suspends: boolean;
  /** the statement declares names that code after it may use */
  declares: boolean;
  multilineTemplate: boolean;
}

function scanRegion(statement: ts.Statement): RegionScan {
  const scan: RegionScan = {
    leaves: false,
    suspends: false,
    declares:
      ts.isVariableStatement(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isFunctionDeclaration(statement) ||
      ts.isEnumDeclaration(statement),
    multilineTemplate: false,
  };
  // Iterative walk: deeply nested code must not overflow the stack. `loopDepth` counts loops
  // and switches inside the statement, which unlabelled break/continue stay within.
  const stack: { node: ts.Node; loopDepth: number }[] = [{ node: statement, loopDepth: 0 }];
  while (stack.length > 0) {
    const { node, loopDepth } = stack.pop()!;
    if (node !== statement && ts.isFunctionLike(node)) continue; // its own code, its own sections
    if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) scan.leaves = true;
    if ((ts.isBreakStatement(node) || ts.isContinueStatement(node)) && (node.label !== undefined || loopDepth === 0))
      scan.leaves = true;
    if (
      ts.isAwaitExpression(node) ||
      ts.isYieldExpression(node) ||
      (ts.isForOfStatement(node) && node.awaitModifier !== undefined)
    )
      scan.suspends = true;
    if ((ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.getText().includes('\n'))
      scan.multilineTemplate = true;
    const inner = ts.isIterationStatement(node, false) || ts.isSwitchStatement(node) ? loopDepth + 1 : loopDepth;
    node.forEachChild((child) => {
      stack.push({ node: child, loopDepth: inner });
    });
  }
  return scan;
}

/** How this file names rcuReadLock/rcuReadUnlock, and the import edits needed to name them. */
function runtimeNames(sf: ts.SourceFile): {
  lock: string;
  unlock: string;
  importEdits: (doc: TextDocument, needUnlock?: boolean) => LspTextEdit[];
} {
  let namespace: string | undefined;
  let named: ts.NamedImports | undefined;
  const local = new Map<string, string>();
  let lastImportEnd = -1;
  let quote = "'";
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    lastImportEnd = statement.end;
    if (!ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (statement.moduleSpecifier.getText(sf).startsWith('"')) quote = '"';
    if (statement.moduleSpecifier.text !== runtimeModule) continue;
    const clause = statement.importClause;
    if (
      clause === undefined ||
      clause.phaseModifier === ts.SyntaxKind.TypeKeyword ||
      clause.namedBindings === undefined
    )
      continue;
    if (ts.isNamespaceImport(clause.namedBindings)) namespace ??= clause.namedBindings.name.text;
    else {
      named ??= clause.namedBindings;
      for (const el of clause.namedBindings.elements) {
        if (!el.isTypeOnly) local.set((el.propertyName ?? el.name).text, el.name.text);
      }
    }
  }
  if (namespace !== undefined && !local.has('rcuReadLock')) {
    return { lock: `${namespace}.rcuReadLock`, unlock: `${namespace}.rcuReadUnlock`, importEdits: () => [] };
  }
  const lock = local.get('rcuReadLock') ?? 'rcuReadLock';
  const unlock = local.get('rcuReadUnlock') ?? 'rcuReadUnlock';
  return {
    lock,
    unlock,
    importEdits: (doc, needUnlock = true) => {
      const missing = ['rcuReadLock', ...(needUnlock ? ['rcuReadUnlock'] : [])].filter((n) => !local.has(n));
      if (missing.length === 0) return [];
      if (named !== undefined) {
        const elements = named.elements;
        const at = elements.length > 0 ? elements[elements.length - 1]!.end : named.getStart(sf) + 1;
        return [
          insertAt(doc, at, (elements.length > 0 ? ', ' : ' ') + missing.join(', ') + (elements.length > 0 ? '' : ' ')),
        ];
      }
      const line = `import { ${missing.join(', ')} } from ${quote}${runtimeModule}${quote};`;
      return lastImportEnd >= 0 ? [insertAt(doc, lastImportEnd, `\n${line}`)] : [insertAt(doc, 0, `${line}\n`)];
    },
  };
}

// -------------------------------------------------------------------------------------------------
// Helpers

function parse(uri: string, text: string, languageId: string): ts.SourceFile {
  // An untitled buffer has no extension: its language says what it is.
  const kind = /\.tsx($|[?#])/.test(uri) || languageId === 'typescriptreact' ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return ts.createSourceFile(
    'buffer' + (kind === ts.ScriptKind.TSX ? '.tsx' : '.ts'),
    text,
    ts.ScriptTarget.Latest,
    true,
    kind,
  );
}

function lineAt(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
}

function insertAt(doc: TextDocument, offset: number, newText: string): LspTextEdit {
  const at = doc.positionAt(offset);
  return { range: { start: at, end: at }, newText };
}

/** The file's indentation step: a tab, or the smallest non-zero run of leading spaces (2 if none). */
function indentUnit(text: string): string {
  if (/^\t/m.test(text)) return '\t';
  let smallest = Infinity;
  for (const m of text.matchAll(/^( +)\S/gm)) smallest = Math.min(smallest, m[1]!.length);
  return ' '.repeat(Number.isFinite(smallest) && smallest <= 8 ? smallest : 2);
}

function quickFix(title: string, diagnostic: LspDiagnostic, uri: string, edits: LspTextEdit[]): CodeAction {
  const edit: WorkspaceEdit = { changes: { [uri]: edits } };
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit };
}
