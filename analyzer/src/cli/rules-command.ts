/**
 * @fileoverview `rcukit rules`: every rule the checker knows (the engine's and the CLI's own
 * suppression rules), with its default severity, its precision and where its doc page is.
 */

import path from 'node:path';
import type { RuleInfo } from '../engine/api.js';
import { displayPath } from '../format/paths.js';
import { CliError } from './cli-error.js';
import type { CheckIo } from './check-command.js';
import { ExitCode } from './exit-codes.js';
import { docFile } from './package-info.js';

export interface RulesFlags {
  readonly format?: string;
}

export async function runRules(flags: RulesFlags, io: CheckIo): Promise<ExitCode> {
  const format = flags.format ?? 'text';
  if (format !== 'text' && format !== 'json')
    throw new CliError(`--format ${format}: unknown format for rules (use text or json)`);
  // The engine loads only now (ts-morph and TypeScript), through the pipeline `check` runs.
  const rules: RuleInfo[] = (await import('../check/pipeline.js')).allRules();
  const cwd = path.resolve(io.cwd);
  const doc = (r: RuleInfo) =>
    displayPath(cwd, docFile(r.docPath)) + (r.docPath.includes('#') ? r.docPath.slice(r.docPath.indexOf('#')) : '');
  if (format === 'json') {
    io.stdout.write(
      JSON.stringify(
        rules.map((r) => ({ ...r, docFile: doc(r) })),
        null,
        2,
      ) + '\n',
    );
    return ExitCode.Clean;
  }
  const idWidth = Math.max(...rules.map((r) => r.id.length));
  const lines: string[] = [];
  for (const r of rules) {
    lines.push(`${r.id.padEnd(idWidth)}  ${(r.defaultSeverity === 'error' ? 'error' : 'warn').padEnd(5)}  ${doc(r)}`);
    lines.push(`${' '.repeat(idWidth)}  ${r.description}`);
  }
  lines.push(
    '',
    `${rules.length} rules. Change a severity with --rule <id>=off|warn|error or "rules" in rcukit.config.json.`,
  );
  io.stdout.write(lines.join('\n') + '\n');
  return ExitCode.Clean;
}
