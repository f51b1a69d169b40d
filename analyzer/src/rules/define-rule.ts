/**
 * @fileoverview defineRule and the RuleContext a rule's `check` receives: the analysis of one
 * function (its CFG and the events of the facts dataflow) and a `report` that turns a node and
 * a message id into a Diagnostic. A rule never re-runs the dataflow and never prints.
 */

import { ts } from 'ts-morph';
import type { Diagnostic, RelatedLocation, Severity, SourceSpan } from '../diagnostic.js';
import type { FactEvent } from '../dataflow/events.js';
import type { CallerSite, FunctionAnalysis } from '../summaries/function-analysis.js';
import type { FunctionLike } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';
import type { GuardedByModel } from '../summaries/guarded-by.js';
import type { FunctionSummary } from '../summaries/summary.js';

export interface RuleMeta<M extends string> {
  /** One sentence; the rule's doc page opens with exactly this text. */
  readonly description: string;
  /** camelCase message id -> template with `{{name}}` placeholders. */
  readonly messages: Readonly<Record<M, string>>;
}

export interface ReportDescriptor<M extends string> {
  readonly node: ts.Node;
  readonly messageId: M;
  readonly data?: Readonly<Record<string, string | number>>;
  /** Places on the path the message speaks of ("lock taken here"). */
  readonly related?: ReadonlyArray<{ readonly node: ts.Node; readonly message: string }>;
  /** Mechanical fixes: insert `text` at `pos` in the reported file. */
  readonly fixes?: ReadonlyArray<{
    readonly title: string;
    readonly inserts: ReadonlyArray<{ readonly pos: number; readonly text: string }>;
  }>;
}

export interface RuleContext<M extends string> {
  readonly analysis: FunctionAnalysis;
  readonly events: readonly FactEvent[];
  readonly sourceFile: ts.SourceFile;
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  /** The summary of a project function called here, if known. */
  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined;
  /** Every use of a struct member in the program, for the guarded-by inference. */
  readonly guards: GuardedByModel;
  /**
   * Where this function (or `fn`) is called, when it is a private helper whose every call the
   * project holds (summaries/call-sites.ts), each call with its caller's analysis; undefined
   * otherwise.
   */
  callersOf(fn?: FunctionLike): readonly CallerSite[] | undefined;
  /**
   * Every call of this function the program holds, exported or not, each with its caller's
   * analysis: evidence of its contract, where callersOf() is the complete list of a private one.
   */
  visibleCallersOf(): readonly CallerSite[];
  report(d: ReportDescriptor<M>): void;
  /** 1-based line of a node, for messages. */
  line(node: ts.Node): number;
  /** A node's source text, shortened for messages. */
  text(node: ts.Node): string;
}

export interface RuleDefinition<M extends string = string> {
  /** `rcu/missing-revalidation`; the part after the slash is the file name of the rule, its doc and its fixtures. */
  readonly id: string;
  readonly meta: RuleMeta<M>;
  readonly defaultSeverity: Exclude<Severity, 'off'>;
  /** SARIF precision: how often a finding is a true positive. */
  readonly precision: 'very-high' | 'high' | 'medium' | 'low';
  check(ctx: RuleContext<M>): void;
}

export function defineRule<M extends string>(rule: RuleDefinition<M>): RuleDefinition<M> {
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Building diagnostics
// ---------------------------------------------------------------------------------------------

/**
 * The span of a node, cut at the end of its first line: a multi-line statement is reported on
 * the line it starts, where editors and the fixture carets point.
 */
export function spanOf(node: ts.Node, sf: ts.SourceFile): SourceSpan {
  const start = node.getStart(sf);
  let end = node.getEnd();
  const text = sf.text;
  const nl = text.indexOf('\n', start);
  if (nl >= 0 && nl < end) end = text[nl - 1] === '\r' ? nl - 1 : nl;
  const s = sf.getLineAndCharacterOfPosition(start);
  const e = sf.getLineAndCharacterOfPosition(end);
  return {
    file: sf.fileName,
    startLine: s.line + 1,
    startColumn: s.character + 1,
    endLine: e.line + 1,
    endColumn: e.character + 1,
    start,
    end,
  };
}

export function formatMessage(template: string, data: Readonly<Record<string, string | number>> | undefined): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (all, key: string) =>
    data !== undefined && key in data ? String(data[key]) : all,
  );
}

export function shortText(node: ts.Node, sf: ts.SourceFile, max = 60): string {
  const t = node.getText(sf).replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

export function makeDiagnostic<M extends string>(
  rule: RuleDefinition<M>,
  severity: Exclude<Severity, 'off'>,
  sf: ts.SourceFile,
  d: ReportDescriptor<M>,
): Diagnostic {
  const related: RelatedLocation[] = (d.related ?? []).map((r) => ({
    span: spanOf(r.node, r.node.getSourceFile()),
    message: r.message,
  }));
  return {
    ruleId: rule.id,
    messageId: d.messageId,
    severity,
    message: formatMessage(rule.meta.messages[d.messageId], d.data),
    span: spanOf(d.node, sf),
    related,
    fixes: (d.fixes ?? []).map((f) => ({
      title: f.title,
      edits: f.inserts.map((i) => ({ file: sf.fileName, start: i.pos, end: i.pos, newText: i.text })),
    })),
  };
}

/**
 * A fix that inserts `statement` on its own line before `stmt`, with the same indentation.
 * Offered only when `stmt` cannot read anything the inserted release would unprotect: a bare
 * `return;`, or a return of a literal.
 */
export function insertBeforeStatement(
  stmt: ts.Node,
  statement: string,
  title: string,
): NonNullable<ReportDescriptor<string>['fixes']> {
  if (!ts.isReturnStatement(stmt)) return [];
  const e = stmt.expression;
  const safe =
    e === undefined ||
    ts.isLiteralExpression(e) ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand));
  if (!safe) return [];
  const sf = stmt.getSourceFile();
  const start = stmt.getStart(sf);
  const lineStart = sf.text.lastIndexOf('\n', start - 1) + 1;
  const before = sf.text.slice(lineStart, start);
  // Alone on its line: a new line with the same indentation. After other code (`if (x) return;`): wrap in a block.
  if (/^\s*$/.test(before)) return [{ title, inserts: [{ pos: start, text: `${statement}\n${before}` }] }];
  return [
    {
      title,
      inserts: [
        { pos: start, text: `{ ${statement} ` },
        { pos: stmt.getEnd(), text: ' }' },
      ],
    },
  ];
}
