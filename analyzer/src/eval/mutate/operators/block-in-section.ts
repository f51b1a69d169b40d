/**
 * @fileoverview Operators that suspend or block inside a read-side section, right after the
 * statement that opens it (an `rcuReadLock()` statement or a `using` read guard), on the same
 * line:
 * - `block-in-section`: `synchronizeRcu();` — the runtime's own blocking wait, under the name
 *   the file imports it by, or imported under a name of its own at the end of the file (imports
 *   are hoisted, and line numbers stay);
 * - `await-in-section`: `await Promise.resolve();` — in async functions only (elsewhere `await`
 *   does not compile, and the operator does not apply).
 *
 * Judged line: the inserted statement's. Rule: rcu/blocking-in-read-section.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../../ast.js';
import { isRuntimeFile } from '../../../primitives/runtime-package.js';
import type { TextEdit } from '../edits.js';
import { inStatementList, type FunctionScope, type MutantDraft, type MutationOperator } from '../operator.js';

const RUNTIME = '@rcukit/runtime';
/** The name the mutant imports synchronizeRcu as, where the file does not import it. */
export const SYNCHRONIZE_ALIAS = 'rcukitMutantSynchronizeRcu';

function sectionOpenings(scope: FunctionScope): ts.Statement[] {
  const calls = scope
    .calls('rcuReadLock')
    .map((c) => scope.callStatement(c))
    .filter((s) => s !== undefined);
  return [...calls, ...scope.usingGuards('rcuReadLock')].sort((a, b) => a.pos - b.pos);
}

/** Insert `text` after statement `st` on its line (wrapping both in braces where `st` must stay one statement). */
function insertAfter(scope: FunctionScope, st: ts.Statement, text: string): TextEdit[] {
  if (inStatementList(st)) return [{ start: st.end, end: st.end, text: ` ${text}` }];
  const start = st.getStart(scope.sf);
  return [
    { start, end: start, text: '{ ' },
    { start: st.end, end: st.end, text: ` ${text} }` },
  ];
}

/** How this file can call synchronizeRcu: the local name it is imported by, or an import to add. */
function synchronizeRcuName(scope: FunctionScope, opening: ts.Statement): { name: string; edits: TextEdit[] } {
  for (const st of scope.sf.statements) {
    if (!ts.isImportDeclaration(st) || st.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword) continue;
    const named = st.importClause?.namedBindings;
    if (named === undefined || !ts.isNamedImports(named)) continue;
    for (const spec of named.elements) {
      if (spec.isTypeOnly) continue;
      const sym = scope.checker.getSymbolAtLocation(spec.name);
      const target = sym === undefined ? undefined : scope.primitives.resolveAlias(sym);
      const decl = target?.declarations?.[0];
      if (target?.name === 'synchronizeRcu' && decl !== undefined && isRuntimeFile(decl.getSourceFile().fileName))
        return { name: spec.name.text, edits: [] };
    }
  }
  // Import it from where the section's rcuReadLock comes from (a re-exporting module), if that
  // module exports it, or else from the runtime.
  const spec = moduleOfOpening(scope, opening) ?? `'${RUNTIME}'`;
  const end = scope.sf.end;
  const text = `${scope.text.endsWith('\n') ? '' : '\n'}import { synchronizeRcu as ${SYNCHRONIZE_ALIAS} } from ${spec};\n`;
  return { name: SYNCHRONIZE_ALIAS, edits: [{ start: end, end, text }] };
}

/** The module specifier (quoted) the opening's rcuReadLock was imported from, when it was a named import. */
function moduleOfOpening(scope: FunctionScope, opening: ts.Statement): string | undefined {
  let call: ts.Expression | undefined;
  if (ts.isExpressionStatement(opening)) call = skipParens(opening.expression);
  else if (ts.isVariableStatement(opening)) call = opening.declarationList.declarations[0]?.initializer;
  if (call === undefined || !ts.isCallExpression(skipParens(call))) return undefined;
  const callee = skipParens((skipParens(call) as ts.CallExpression).expression);
  if (!ts.isIdentifier(callee)) return undefined;
  const decl = scope.checker.getSymbolAtLocation(callee)?.declarations?.[0];
  if (decl === undefined || !ts.isImportSpecifier(decl)) return undefined;
  const spec = decl.parent.parent.parent.moduleSpecifier;
  const mod = scope.checker.getSymbolAtLocation(spec);
  const exported = mod === undefined ? [] : scope.checker.getExportsOfModule(mod);
  return exported.some((e) => e.name === 'synchronizeRcu') ? spec.getText(scope.sf) : undefined;
}

export const blockInSection: MutationOperator = {
  id: 'block-in-section',
  rules: ['rcu/blocking-in-read-section'],
  summary: 'Insert `synchronizeRcu();` right after the statement that opens a read-side section.',
  generate(scope) {
    return sectionOpenings(scope).map((st): MutantDraft => {
      const { name, edits } = synchronizeRcuName(scope, st);
      const insert = insertAfter(scope, st, `${name}();`);
      const description = `\`${scope.show(st)}\` → \`${scope.show(st)} synchronizeRcu();\``;
      return { edits: [...insert, ...edits], description, judged: [{ inserted: insert.length - 1 }] };
    });
  },
};

export const awaitInSection: MutationOperator = {
  id: 'await-in-section',
  rules: ['rcu/blocking-in-read-section'],
  summary:
    'Insert `await Promise.resolve();` right after the statement that opens a read-side section, in an async function.',
  generate(scope) {
    const fn = scope.fn;
    if (ts.isSourceFile(fn) || !(ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async)) return [];
    return sectionOpenings(scope).map((st): MutantDraft => {
      const insert = insertAfter(scope, st, 'await Promise.resolve();');
      const description = `\`${scope.show(st)}\` → \`${scope.show(st)} await Promise.resolve();\``;
      return { edits: insert, description, judged: [{ inserted: insert.length - 1 }] };
    });
  },
};
