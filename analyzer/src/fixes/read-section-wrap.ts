/**
 * @fileoverview The "wrap in a read-side section" fixes for a dereference outside one, around the
 * statement holding it: `rcuReadLock()`/`rcuReadUnlock()` around it, or a block with
 * `using _rcu = rcuReadLock()`. Each is offered only where it keeps the section balanced (the
 * plain pair is not offered around a `return`/`throw`/jump that would skip the unlock; the
 * `using` block is not offered where it would hide a declaration from the code after it), and
 * never around `await`/`yield`. The import of the functions is added or extended as needed.
 *
 * Syntax only (TypeScript's parser, no type checker), so the language server can offer them
 * from the current buffer while the engine is still busy, and the ESLint plugin as suggestions:
 * both take them from here, in the engine's Fix model.
 */

import { ts } from 'ts-morph';
import type { Fix, TextEdit } from '../diagnostic.js';

/** Rules whose finding a read-side section around the statement fixes. */
export const readSectionWrapRules: ReadonlySet<string> = new Set(['rcu/deref-outside-read-lock']);
const runtimeModule = '@rcukit/runtime';

/**
 * The wrap fixes for a finding at [start, end) of `text`, the contents of `file` (whose name
 * also says .ts or .tsx): around the statement holding it, from the earlier statement of the
 * same block that loads the dereferenced variable when there is one. Empty when no statement
 * holds the span or no wrap keeps it balanced.
 */
export function readSectionWrapFixes(file: string, text: string, start: number, end: number): Fix[] {
  const sf = parse(file, text);
  const statement = enclosingStatement(sf, start, Math.max(start, end));
  if (statement === undefined) return [];
  // The section must cover the pointer's load too: a section protects only what is read in it.
  const first = loadingSibling(sf, statement, start, Math.max(start, end)) ?? statement;
  const siblings = siblingsOf(statement);
  const region = siblings.slice(siblings.indexOf(first), siblings.indexOf(statement) + 1);
  const scans = region.map(scanRegion);
  const scan: RegionScan = {
    leaves: scans.some((r) => r.leaves),
    suspends: scans.some((r) => r.suspends),
    // A `using` block hides the region's declarations from the statements after it: only a
    // name one of them still uses matters.
    declares: declaresUsedAfter(region, siblings.slice(siblings.indexOf(statement) + 1)),
    multilineTemplate: scans.some((r) => r.multilineTemplate),
  };
  if (scan.suspends) return [];
  const names = runtimeNames(sf);
  const at = (offset: number, newText: string): TextEdit => ({ file, start: offset, end: offset, newText });
  const stmtStart = first.getStart(sf);
  const stmtEnd = statement.end;
  const lineStart = text.lastIndexOf('\n', stmtStart - 1) + 1;
  const ownLine = text.slice(lineStart, stmtStart).trim() === '';
  const indent = ownLine ? text.slice(lineStart, stmtStart) : '';
  const unit = indentUnit(text);
  const fixes: Fix[] = [];

  if (!scan.leaves) {
    const edits: TextEdit[] = [...names.importEdits(at)];
    if (ownLine) {
      edits.push(at(lineStart, `${indent}${names.lock}();\n`));
      edits.push(at(stmtEnd, `\n${indent}${names.unlock}();`));
    } else {
      edits.push(at(stmtStart, `${names.lock}(); `));
      edits.push(at(stmtEnd, ` ${names.unlock}();`));
    }
    fixes.push({ title: `Wrap in ${names.lock}()/${names.unlock}()`, edits });
  }
  if (!scan.declares && ownLine) {
    const body = text.slice(lineStart, stmtEnd);
    // Re-indenting would change the contents of a multi-line template literal; keep it as is then.
    const reindented = scan.multilineTemplate ? body : body.replace(/^(?=[^\n])/gm, unit);
    const replacement = `${indent}{\n${indent}${unit}using _rcu = ${names.lock}();\n${reindented}\n${indent}}`;
    fixes.push({
      title: `Wrap in a block with \`using _rcu = ${names.lock}()\``,
      edits: [...names.importEdits(at, false), { file, start: lineStart, end: stmtEnd, newText: replacement }],
    });
  }
  return fixes;
}

/** The statements of the block (or file, or case) that holds `statement`, itself included. */
function siblingsOf(statement: ts.Statement): readonly ts.Statement[] {
  const parent = statement.parent;
  if (ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isModuleBlock(parent)) return parent.statements;
  if (ts.isCaseClause(parent) || ts.isDefaultClause(parent)) return parent.statements;
  return [statement];
}

/**
 * The earlier statement of the same block that loads the variable dereferenced at [start, end)
 * (`const sighand = task.sighand;` or `sighand = task.sighand;`, the last one before
 * `statement`), or undefined when the variable is not loaded there.
 */
function loadingSibling(
  sf: ts.SourceFile,
  statement: ts.Statement,
  start: number,
  end: number,
): ts.Statement | undefined {
  let node: ts.Node | undefined = statement;
  let deref: ts.Expression | undefined;
  while (node !== undefined) {
    const next: ts.Node | undefined = node
      .getChildren(sf)
      .find((child) => child.getStart(sf) <= start && end <= child.end);
    if (next !== undefined && (ts.isPropertyAccessExpression(next) || ts.isElementAccessExpression(next))) deref = next;
    node = next;
  }
  let base: ts.Expression | undefined = deref;
  while (
    base !== undefined &&
    (ts.isPropertyAccessExpression(base) ||
      ts.isElementAccessExpression(base) ||
      ts.isNonNullExpression(base) ||
      ts.isParenthesizedExpression(base))
  )
    base = base.expression;
  if (base === undefined || !ts.isIdentifier(base)) return undefined;
  const name = base.text;
  const siblings = siblingsOf(statement);
  for (let i = siblings.indexOf(statement) - 1; i >= 0; i--) {
    const s = siblings[i]!;
    if (ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => declaresName(d.name, name))) return s;
    if (
      ts.isExpressionStatement(s) &&
      ts.isBinaryExpression(s.expression) &&
      s.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isIdentifier(s.expression.left) &&
      s.expression.left.text === name
    )
      return s;
  }
  return undefined;
}

/** Whether a statement of `region` declares a name that a statement of `after` mentions. */
function declaresUsedAfter(region: readonly ts.Statement[], after: readonly ts.Statement[]): boolean {
  const declared = new Set<string>();
  const addBinding = (b: ts.BindingName): void => {
    if (ts.isIdentifier(b)) declared.add(b.text);
    else for (const e of b.elements) if (!ts.isOmittedExpression(e)) addBinding(e.name);
  };
  for (const s of region) {
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) addBinding(d.name);
    else if (
      (ts.isClassDeclaration(s) || ts.isFunctionDeclaration(s) || ts.isEnumDeclaration(s)) &&
      s.name !== undefined
    )
      declared.add(s.name.text);
  }
  if (declared.size === 0) return false;
  // Syntax only: any identifier of the same text counts (a shadowing declaration too), which
  // errs on the side of not offering the block.
  const stack: ts.Node[] = [...after];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (ts.isIdentifier(node) && declared.has(node.text)) return true;
    node.forEachChild((child) => {
      stack.push(child);
    });
  }
  return false;
}

function declaresName(binding: ts.BindingName, name: string): boolean {
  if (ts.isIdentifier(binding)) return binding.text === name;
  return binding.elements.some((e) => !ts.isOmittedExpression(e) && declaresName(e.name, name));
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
  importEdits: (at: (offset: number, newText: string) => TextEdit, needUnlock?: boolean) => TextEdit[];
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
    importEdits: (at, needUnlock = true) => {
      const missing = ['rcuReadLock', ...(needUnlock ? ['rcuReadUnlock'] : [])].filter((n) => !local.has(n));
      if (missing.length === 0) return [];
      if (named !== undefined) {
        const elements = named.elements;
        const offset = elements.length > 0 ? elements[elements.length - 1]!.end : named.getStart(sf) + 1;
        return [at(offset, (elements.length > 0 ? ', ' : ' ') + missing.join(', ') + (elements.length > 0 ? '' : ' '))];
      }
      const line = `import { ${missing.join(', ')} } from ${quote}${runtimeModule}${quote};`;
      return lastImportEnd >= 0 ? [at(lastImportEnd, `\n${line}`)] : [at(0, `${line}\n`)];
    },
  };
}

function parse(file: string, text: string): ts.SourceFile {
  const kind = /\.tsx($|[?#])/.test(file) ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return ts.createSourceFile(
    'buffer' + (kind === ts.ScriptKind.TSX ? '.tsx' : '.ts'),
    text,
    ts.ScriptTarget.Latest,
    true,
    kind,
  );
}

/** The file's indentation step: a tab, or the smallest non-zero run of leading spaces (2 if none). */
function indentUnit(text: string): string {
  if (/^\t/m.test(text)) return '\t';
  let smallest = Infinity;
  for (const m of text.matchAll(/^( +)\S/gm)) smallest = Math.min(smallest, m[1]!.length);
  return ' '.repeat(Number.isFinite(smallest) && smallest <= 8 ? smallest : 2);
}
