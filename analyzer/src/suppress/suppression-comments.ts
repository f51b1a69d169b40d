/**
 * @fileoverview Finds `rcukit-ignore-next-line` comments in a file's text.
 *
 *     // rcukit-ignore-next-line rcu/missing-revalidation, rcu/reference-escape -- held by caller
 *
 * The directive must open a comment (`//` or a block comment); it names one or more rule ids
 * separated by commas or spaces, then ` -- ` and the reason. It applies to the line after the
 * comment's last line. Only real comments count: the file is parsed (only files that contain
 * the word at all, so this costs nothing elsewhere) and comments are read from the trivia
 * before each token, so the word inside a string or a template literal is not a directive.
 */

import { ts } from 'ts-morph';

export const directive = 'rcukit-ignore-next-line';

/** One directive as written. Lines and columns are 1-based, like Diagnostic spans. */
export interface SuppressionComment {
  /** Rule ids it names, in order (may be empty: that is reported as invalid). */
  readonly ruleIds: readonly string[];
  /** Text after `--`, trimmed; undefined when there is no `--` or nothing follows it. */
  readonly reason: string | undefined;
  /** The line whose findings it suppresses. */
  readonly targetLine: number;
  /** Where the comment is, for findings about the comment itself. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly start: number;
  readonly end: number;
}

/** All directives in `text`, in file order. `fileName` only picks the parser's script kind. */
export function findSuppressionComments(fileName: string, text: string, parsed?: ts.SourceFile): SuppressionComment[] {
  if (!text.includes(directive)) return [];
  let sf: ts.SourceFile;
  try {
    sf = parsed ?? parseSource(fileName, text);
  } catch (e) {
    // TypeScript's parser is recursive; code nested thousands deep overflows it. The engine will
    // fail on that file too and say so; here, fall back to reading comments line by line.
    if (e instanceof RangeError) return scanLines(text);
    throw e;
  }
  const seen = new Set<number>();
  const out: SuppressionComment[] = [];
  // Every comment is leading trivia of exactly one token, so visiting each token's full start
  // finds them all. Iterative, not recursive: deeply nested code must not overflow the stack.
  const stack: ts.Node[] = [sf];
  while (stack.length > 0) {
    const node = stack.pop()!;
    // JSDoc nodes sit inside a comment; that comment is found as trivia of the next token.
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) continue;
    const children = node.getChildren(sf);
    if (children.length === 0 || node.kind === ts.SyntaxKind.EndOfFileToken) {
      // Comments on the previous token's line are "trailing" to TypeScript, the rest "leading".
      const ranges = [
        ...(ts.getTrailingCommentRanges(text, node.pos) ?? []),
        ...(ts.getLeadingCommentRanges(text, node.pos) ?? []),
      ];
      for (const range of ranges) {
        if (seen.has(range.pos)) continue;
        seen.add(range.pos);
        const parsed = parseComment(text.slice(range.pos, range.end), range.kind);
        if (!parsed) continue;
        const start = sf.getLineAndCharacterOfPosition(range.pos);
        const end = sf.getLineAndCharacterOfPosition(range.end);
        out.push({
          ...parsed,
          targetLine: end.line + 2,
          line: start.line + 1,
          column: start.character + 1,
          endLine: end.line + 1,
          endColumn: end.character + 1,
          start: range.pos,
          end: range.end,
        });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The fallback for files the parser cannot take: `//` comments that open a line. It cannot tell
 * a comment from the inside of a multi-line string, a small price for a file that deep.
 */
function scanLines(text: string): SuppressionComment[] {
  const out: SuppressionComment[] = [];
  let offset = 0;
  text.split('\n').forEach((lineText, i) => {
    const column = lineText.search(/\S/);
    if (column >= 0 && lineText.startsWith('//', column)) {
      const parsed = parseComment(lineText.slice(column).replace(/\r$/, ''), ts.SyntaxKind.SingleLineCommentTrivia);
      if (parsed) {
        const end = lineText.replace(/\r$/, '').length;
        out.push({
          ...parsed,
          targetLine: i + 2,
          line: i + 1,
          column: column + 1,
          endLine: i + 1,
          endColumn: end + 1,
          start: offset + column,
          end: offset + end,
        });
      }
    }
    offset += lineText.length + 1;
  });
  return out;
}

/** The rule ids and reason of a comment, or undefined when it is not a directive. */
export function parseComment(
  comment: string,
  kind: ts.CommentKind,
): { ruleIds: string[]; reason: string | undefined } | undefined {
  let body = kind === ts.SyntaxKind.SingleLineCommentTrivia ? comment.slice(2) : comment.slice(2, -2);
  body = body.replace(/^[\s*]*/, '');
  if (!body.startsWith(directive)) return undefined;
  const rest = body.slice(directive.length);
  // `rcukit-ignore-next-line-foo` is some other word, not our directive.
  if (rest.length > 0 && !/^\s/.test(rest)) return undefined;
  const sep = rest.search(/(^|\s)--(\s|$)/);
  const idsPart = sep < 0 ? rest : rest.slice(0, sep);
  const reasonPart =
    sep < 0
      ? undefined
      : rest
          .slice(sep)
          .replace(/^\s*--/, '')
          .replace(/\s*\*?\s*$/, '')
          .trim();
  const ruleIds = idsPart.split(/[\s,]+/).filter((s) => s.length > 0);
  return { ruleIds, reason: reasonPart ? reasonPart : undefined };
}

/** Parse a file the way the engine's program will (parent pointers set: getChildren needs them). */
export function parseSource(fileName: string, text: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKind(fileName));
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.[cm]?tsx$/.test(fileName)) return ts.ScriptKind.TSX;
  if (/\.[cm]?jsx?$/.test(fileName)) return fileName.endsWith('x') ? ts.ScriptKind.JSX : ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}
