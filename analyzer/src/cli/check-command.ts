/**
 * @fileoverview `rcukit check`: flags -> pipeline -> baseline -> format -> exit code. Resolve
 * what to check and at which severities, run check/pipeline.ts (the engine, inline
 * suppressions and the findings about the comments, de-duplicated and sorted: the same steps
 * the language server runs), then what only CI does. The order matters and is fixed:
 *
 *   pipeline findings -> baseline (accepted findings dropped) -> --quiet (warnings dropped)
 *   -> formatter -> exit code (errors, or warnings over --max-warnings).
 *
 * A function the engine could not analyze is never passed over in silence: each is named on
 * stderr (file:line, name, reason), the summary says the analysis is incomplete, and the run
 * exits 2 unless --allow-incomplete makes the exit code about findings only.
 *
 * --update-baseline records what is left after suppressions, warnings included, whatever
 * --quiet says, so a later run with --quiet or without it agrees with the file.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult } from '../check/pipeline.js';
import type { Diagnostic, Severity } from '../diagnostic.js';
import type { RuleInfo, SkippedFunction } from '../engine/api.js';
import { matchBaseline, readBaseline, writeBaseline, BaselineError } from '../baseline/baseline-file.js';
import { fingerprintAll, lineReader } from '../baseline/fingerprint.js';
import { checkConfigRuleIds, isFileSelected, loadConfig, suggest, ConfigError } from '../config/config.js';
import { parseSeverity, severityWords } from '../config/severity-setting.js';
import { formatJson } from '../format/json.js';
import { displayPath } from '../format/paths.js';
import type { Report } from '../format/report.js';
import { countSeverities } from '../format/report.js';
import { formatSarif } from '../format/sarif.js';
import { colorEnabled, formatText } from '../format/text.js';
import { CliError } from './cli-error.js';
import { describeError } from './describe-error.js';
import { ExitCode } from './exit-codes.js';
import { docUrl, readDoc, packageVersion } from './package-info.js';
import { startProgress } from './progress.js';

export type Format = 'text' | 'json' | 'sarif';
const formats: readonly Format[] = ['text', 'json', 'sarif'];

/** The flags of `rcukit check`, as commander hands them over. */
export interface CheckFlags {
  readonly project?: string;
  readonly format?: string;
  readonly output?: string;
  readonly maxWarnings?: string;
  readonly rule?: readonly string[];
  readonly config?: string;
  readonly baseline?: string;
  readonly updateBaseline?: boolean;
  readonly quiet?: boolean;
  readonly allowIncomplete?: boolean;
}

/** Where the command reads and writes; process's own in main.ts, injectable for tests. */
export interface CheckIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { isTTY?: boolean; write(s: string): unknown };
  readonly stderr: { isTTY?: boolean; write(s: string): unknown };
}

export async function runCheck(paths: readonly string[], flags: CheckFlags, io: CheckIo): Promise<ExitCode> {
  const cwd = path.resolve(io.cwd);
  const display = (abs: string) => displayPath(cwd, abs);
  const warn = (line: string) => io.stderr.write(`rcukit: warning: ${line}\n`);

  // Flags first: a usage error should not wait for the engine to load.
  const format = parseFormat(flags.format);
  const maxWarnings = parseMaxWarnings(flags.maxWarnings);
  const cliRules = parseRuleFlags(flags.rule ?? []);
  if (flags.updateBaseline && flags.baseline === undefined)
    throw new CliError('--update-baseline needs --baseline <file> to say which file to write');

  const config = wrapConfig(() => loadConfig(cwd, flags.config, display));
  // The project next: a missing or broken tsconfig is reported before the engine loads. The
  // modules that need TypeScript load only now, so flag and config errors come back at once.
  const { resolveTargets } = await import('./project-files.js');
  const { scanSources } = await import('./source-scan.js');
  const resolved = resolveTargets(cwd, paths, flags.project, display);
  const pipeline = await import('../check/pipeline.js');
  const rules = pipeline.allRules();
  const knownIds = new Set(rules.map((r) => r.id));
  wrapConfig(() => checkConfigRuleIds(config, knownIds, display));
  for (const id of cliRules.keys()) {
    if (!knownIds.has(id))
      throw new CliError(`--rule ${id}: unknown rule${suggest(id, knownIds)}`, 'run `rcukit rules` for the list');
  }
  const severities: Record<string, Severity> = { ...config.rules, ...Object.fromEntries(cliRules) };

  for (const w of resolved.warnings) warn(w);
  const targets = resolved.targets
    .map((t) => ({ project: t.project, files: t.files.filter((f) => isFileSelected(config, f)) }))
    .filter((t) => t.files.length > 0);
  const files = [...new Set(targets.flatMap((t) => t.files))];
  if (files.length === 0) {
    const beforeFilter = resolved.targets.reduce((n, t) => n + t.files.length, 0);
    throw new CliError(
      beforeFilter > 0 && config.file !== undefined
        ? `no files to check: the include/exclude globs of ${display(config.file)} leave none of ${beforeFilter}`
        : 'no files to check',
    );
  }

  // Read and parse every file once, before the engine: encoding, syntax errors, suppressions.
  const scan = scanSources(files, display, warn, pipeline.severityLookup(severities, rules));
  const texts = scan.texts;

  const progress = startProgress(
    io.stderr,
    files.length,
    targets.length === 1 && targets[0]!.project ? display(targets[0]!.project) : `${targets.length} targets`,
  );
  let outcome: CheckResult;
  try {
    outcome = pipeline.runPipeline({
      cwd,
      targets,
      severities,
      comments: scan.comments,
      preFindings: scan.syntaxErrors,
    });
  } catch (e) {
    if (!(e instanceof pipeline.TargetAnalysisError)) throw e;
    // A file the engine names (ProjectLoadError.file) is shown relative, as everywhere else.
    const file = (e.cause as { file?: unknown } | undefined)?.file;
    const detail =
      typeof file === 'string' ? describeError(e.cause).replace(file, display(file)) : describeError(e.cause);
    throw new CliError(
      `analysis of ${e.target.project !== undefined ? display(e.target.project) : 'loose files'} failed: ${detail}`,
    );
  } finally {
    progress.done();
  }
  let findings = outcome.diagnostics;
  const skipped = uniqueSkipped(outcome.skipped);
  for (const s of skipped) {
    io.stderr.write(
      `rcukit: ${flags.allowIncomplete ? 'warning' : 'error'}: ${display(s.file)}:${s.line}: \`${s.name}\` was not analyzed (${s.reason}); findings in it are missing\n`,
    );
  }

  const relative = (abs: string) => path.relative(cwd, abs).split(path.sep).join('/');
  const lines = lineReader((f) => texts.get(f) ?? tryRead(f));
  const fingerprints = fingerprintAll([...findings, ...outcome.suppressed.map((s) => s.diagnostic)], relative, lines);
  const fingerprintOf = (d: Diagnostic) => fingerprints.get(d) ?? '';

  let baselined = 0;
  let stale = 0;
  if (flags.baseline !== undefined) {
    const baselineFile = path.resolve(cwd, flags.baseline);
    if (flags.updateBaseline) {
      try {
        writeBaseline(
          baselineFile,
          findings.map((d) => ({
            ruleId: d.ruleId,
            file: relative(d.span.file),
            fingerprint: fingerprintOf(d),
            message: d.message,
          })),
        );
      } catch (e) {
        throw new CliError(`${display(baselineFile)}: cannot write baseline: ${describeError(e)}`);
      }
      io.stderr.write(
        `rcukit: wrote ${findings.length} finding${findings.length === 1 ? '' : 's'} to ${display(baselineFile)}\n`,
      );
      baselined = findings.length;
      findings = [];
    } else {
      let entries;
      try {
        entries = readBaseline(baselineFile, display(baselineFile));
      } catch (e) {
        if (e instanceof BaselineError) throw new CliError(e.message);
        throw e;
      }
      const m = matchBaseline(findings, entries, fingerprintOf, relative);
      findings = m.fresh;
      baselined = m.baselined;
      stale = m.stale;
    }
  }

  if (flags.quiet) findings = findings.filter((d) => d.severity === 'error');

  const report: Report = {
    tool: { name: 'rcukit', version: packageVersion() },
    rootDir: cwd,
    diagnostics: findings,
    suppressed: outcome.suppressed,
    baselined,
    staleBaselineEntries: stale,
    fingerprints,
    rules,
    ruleDocs: format === 'sarif' ? loadDocs(rules) : new Map(),
    ruleHelpUris: format === 'sarif' ? helpUris(rules) : new Map(),
    filesChecked: files.length,
    filesInProgram: outcome.filesInProgram,
    skipped,
  };
  const toFile = flags.output !== undefined;
  const text =
    format === 'json'
      ? formatJson(report)
      : format === 'sarif'
        ? formatSarif(report)
        : formatText(report, { color: !toFile && colorEnabled(io.stdout, io.env) });
  if (toFile) {
    const out = path.resolve(cwd, flags.output);
    try {
      writeFileSync(out, text);
    } catch (e) {
      throw new CliError(`${display(out)}: cannot write output: ${describeError(e)}`);
    }
  } else {
    io.stdout.write(text);
  }

  if (skipped.length > 0 && !flags.allowIncomplete) {
    io.stderr.write(
      `rcukit: the analysis is incomplete (${skipped.length} function${skipped.length === 1 ? '' : 's'} not analyzed); pass --allow-incomplete to let findings alone decide the exit code\n`,
    );
    return ExitCode.Failure;
  }
  const { errors, warnings } = countSeverities(findings);
  if (errors > 0) return ExitCode.Findings;
  if (maxWarnings !== undefined && warnings > maxWarnings) {
    io.stderr.write(`rcukit: ${warnings} warnings, more than --max-warnings ${maxWarnings} allows\n`);
    return ExitCode.Findings;
  }
  return ExitCode.Clean;
}

export function parseFormat(value: string | undefined): Format {
  if (value === undefined) return 'text';
  if ((formats as readonly string[]).includes(value)) return value as Format;
  throw new CliError(`--format ${value}: unknown format (use one of ${formats.join(', ')})`);
}

export function parseMaxWarnings(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`--max-warnings ${value}: expected a whole number of 0 or more`);
  return Number(value);
}

/** `--rule rcu/x=warn` entries; the last one for a rule wins. Ids are checked once rules are known. */
export function parseRuleFlags(values: readonly string[]): Map<string, Severity> {
  const out = new Map<string, Severity>();
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const id = eq < 0 ? '' : v.slice(0, eq).trim();
    const severity = eq < 0 ? undefined : parseSeverity(v.slice(eq + 1).trim());
    if (id === '' || severity === undefined) {
      throw new CliError(
        `--rule ${v}: expected <rule-id>=<${severityWords.join('|')}>, e.g. --rule rcu/missing-revalidation=warn`,
      );
    }
    out.set(id, severity);
  }
  return out;
}

/** The same function skipped under two targets (a file in two projects) is named once. */
function uniqueSkipped(skipped: readonly SkippedFunction[]): SkippedFunction[] {
  const seen = new Set<string>();
  return skipped.filter((s) => {
    const key = `${s.file}\0${s.line}\0${s.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function wrapConfig<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function helpUris(rules: readonly RuleInfo[]): Map<string, string> {
  const uris = new Map<string, string>();
  for (const r of rules) {
    const uri = docUrl(r.docPath);
    if (uri !== undefined) uris.set(r.id, uri);
  }
  return uris;
}

function loadDocs(rules: readonly RuleInfo[]): Map<string, string> {
  const docs = new Map<string, string>();
  for (const r of rules) {
    const text = readDoc(r.docPath);
    if (text !== undefined) docs.set(r.id, text);
  }
  return docs;
}
