/**
 * @fileoverview One ESLint rule per rcukit rule, made from the analyzer's rule list: the engine's
 * rules and those about suppression comments, named `@rcukit/<name>` after the part of the id
 * that follows the `/` (`rcu/missing-revalidation` is `@rcukit/missing-revalidation`).
 * `rcukit/syntax-error` has no rule here: ESLint reports a file that does not parse itself.
 *
 * Each rule reports the findings of its id in the linted file, with the CLI's message at the
 * CLI's span. Where the engine offers a fix whose edits all fall in the linted file, and for a
 * dereference outside a read-side section the wraps in one, the rule offers them as
 * suggestions: the language server's quick fixes, from the same code.
 */

import type { Rule } from 'eslint';
import {
  docUrl,
  readSectionWrapFixes,
  readSectionWrapRules,
  type Diagnostic,
  type Fix,
  type RuleInfo,
} from '@rcukit/analyzer';
import { allRules } from '@rcukit/analyzer/check';
import { MissingProgramError, RcukitEslintError } from './errors.js';
import { findingsFor, type Program } from './findings.js';

/** Ids the plugin does not turn into rules, with why in the file's overview. */
const notRules: ReadonlySet<string> = new Set(['rcukit/syntax-error']);

/** `rcu/missing-revalidation` -> `missing-revalidation` */
export function eslintName(ruleId: string): string {
  return ruleId.slice(ruleId.indexOf('/') + 1);
}

/** The rcukit rules the plugin has, each with its ESLint name. */
export function pluginRuleInfos(): { name: string; info: RuleInfo }[] {
  const out = allRules()
    .filter((info) => !notRules.has(info.id))
    .map((info) => ({ name: eslintName(info.id), info }));
  const seen = new Map<string, string>();
  for (const { name, info } of out) {
    const other = seen.get(name);
    if (other !== undefined) {
      throw new RcukitEslintError(
        'RCUKIT_ESLINT_NAME_CLASH',
        `rules ${other} and ${info.id} would both be @rcukit/${name}`,
      );
    }
    seen.set(name, info.id);
  }
  return out;
}

function suggestions(d: Diagnostic, file: string, text: string): Rule.SuggestionReportDescriptor[] {
  const wraps: readonly Fix[] = readSectionWrapRules.has(d.ruleId)
    ? readSectionWrapFixes(file, text, d.span.start, d.span.end)
    : [];
  return [...d.fixes, ...wraps]
    .filter((fix) => fix.edits.length > 0 && fix.edits.every((e) => e.file === file))
    .map((fix) => ({
      desc: fix.title,
      fix: (fixer: Rule.RuleFixer) => fix.edits.map((e) => fixer.replaceTextRange([e.start, e.end], e.newText)),
    }));
}

/** The ESLint rule for one rcukit rule. */
export function makeRule(info: RuleInfo): Rule.RuleModule {
  const url = docUrl(info.docPath);
  return {
    meta: {
      type: 'problem',
      docs: {
        description: info.description,
        recommended: true,
        ...(url !== undefined ? { url } : {}),
      },
      hasSuggestions: true,
      schema: [],
      messages: { finding: '{{message}}' },
    },
    create(context) {
      return {
        Program() {
          const services = context.sourceCode.parserServices as { program?: Program | null } | undefined;
          const program = services?.program;
          if (program === null || program === undefined) throw new MissingProgramError(context.filename);
          const found = findingsFor(program, context.filename, context.sourceCode.text, context.cwd);
          for (const d of found) {
            if (d.ruleId !== info.id) continue;
            context.report({
              loc: {
                start: { line: d.span.startLine, column: d.span.startColumn - 1 },
                end: { line: d.span.endLine, column: d.span.endColumn - 1 },
              },
              messageId: 'finding',
              data: { message: d.message },
              suggest: suggestions(d, d.span.file, context.sourceCode.text),
            });
          }
        },
      };
    },
  };
}
