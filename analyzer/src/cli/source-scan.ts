/**
 * @fileoverview The CLI's own pass over each checked file, before the engine runs: decode it
 * (warning when it is not UTF-8), parse it once, and collect its suppression comments and its
 * first syntax error. The engine analyzes what TypeScript recovers from a broken file and says
 * nothing about the breakage, so without this a typo could silently hide real findings.
 *
 * Parsing here costs a few percent of a run (TypeScript's binder and checker, which the engine
 * needs, cost far more). A file nested too deeply for TypeScript's recursive parser is an error
 * that stops the run (exit 2): the engine's program could not be built from it either.
 */

import { readFileSync } from 'node:fs';
import { ts } from 'ts-morph';
import type { Diagnostic, Severity } from '../diagnostic.js';
import { syntaxError } from '../suppress/meta-rules.js';
import { findSuppressionComments, parseSource, type SuppressionComment } from '../suppress/suppression-comments.js';
import { CliError } from './cli-error.js';
import { describeError } from './describe-error.js';

export interface SourceScan {
  /** Decoded text per file. */
  readonly texts: Map<string, string>;
  /** Suppression comments per file (files without any are absent). */
  readonly comments: Map<string, SuppressionComment[]>;
  /** One `rcukit/syntax-error` finding per file that does not parse. */
  readonly syntaxErrors: Diagnostic[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function scanSources(
  files: readonly string[],
  display: (abs: string) => string,
  warn: (line: string) => void,
  severityOf: (ruleId: string) => Severity,
): SourceScan {
  const texts = new Map<string, string>();
  const comments = new Map<string, SuppressionComment[]>();
  const syntaxErrors: Diagnostic[] = [];
  const syntaxSeverity = severityOf(syntaxError);
  for (const file of files) {
    const text = readSource(file, display, warn);
    texts.set(file, text);
    let sf: ts.SourceFile;
    try {
      sf = parseSource(file, text);
    } catch (e) {
      throw new CliError(`${display(file)}: cannot parse: ${describeError(e)}`);
    }
    const c = findSuppressionComments(file, text, sf);
    if (c.length > 0) comments.set(file, c);
    // parseDiagnostics is not in TypeScript's public typings but has been on every SourceFile
    // for a decade; typescript-eslint reads it the same way. Absent, we report nothing.
    const first = (sf as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics?.[0];
    if (first !== undefined && syntaxSeverity !== 'off') {
      const start = sf.getLineAndCharacterOfPosition(first.start);
      const end = sf.getLineAndCharacterOfPosition(first.start + first.length);
      syntaxErrors.push({
        ruleId: syntaxError,
        messageId: 'syntaxError',
        severity: syntaxSeverity,
        message: `syntax error: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')} (findings in this file may be missing until it parses)`,
        span: {
          file,
          startLine: start.line + 1,
          startColumn: start.character + 1,
          endLine: end.line + 1,
          endColumn: end.character + 1,
          start: first.start,
          end: first.start + first.length,
        },
        related: [],
        fixes: [],
      });
    }
  }
  return { texts, comments, syntaxErrors };
}

/** A source file's text; warns (and decodes leniently, as TypeScript will) when it is not UTF-8. */
function readSource(file: string, display: (abs: string) => string, warn: (line: string) => void): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CliError(`${display(file)}: cannot read: ${describeError(e)}`);
  }
  // UTF-16 with a byte order mark is legal TypeScript input; TypeScript decodes it itself.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(bytes);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    warn(`${display(file)}: not valid UTF-8; read with replacement characters, so findings in it may be misplaced`);
    return new TextDecoder('utf-8').decode(bytes);
  }
}
