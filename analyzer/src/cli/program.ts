/**
 * @fileoverview The `rcukit` program: argument parsing (commander) and the one place that turns
 * failures into exit codes. main.ts runs it on the process; tests run it in-process with
 * their own working directory and captured output. Every failure ends as one line on stderr and exit code 2: a usage
 * error (commander's message), a CliError (what is wrong and where), or anything unexpected
 * ("internal error: ..."; the stack only with RCUKIT_DEBUG=stack). See exit-codes.ts.
 */

import { Command, CommanderError, Option } from 'commander';
import type { CheckFlags, CheckIo } from './check-command.js';
import { CliError } from './cli-error.js';
import { describeError } from './describe-error.js';
import { registerLspCommand } from './lsp-command.js';
import { ExitCode } from './exit-codes.js';
import { packageVersion } from './package-info.js';
import type { RulesFlags } from './rules-command.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The process's own working directory, environment and streams. */
export function processIo(): CheckIo {
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
}

/** The program, built fresh per call. */
export function buildProgram(onExit: (code: ExitCode) => void, io: CheckIo): Command {
  const program = new Command('rcukit')
    .description('Static checker for RCU and type-stable memory (SLAB_TYPESAFE_BY_RCU) mistakes in TypeScript.')
    .version(packageVersion(), '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (message, write) => write(`rcukit: ${message}`),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes:
  0  no findings that fail the run
  1  findings at error severity, or more warnings than --max-warnings
  2  usage or configuration error, unreadable project, internal failure,
     or a function that could not be analyzed (unless --allow-incomplete)`,
    );

  program
    .command('check')
    .description('check a TypeScript project (or files) and report findings')
    .argument('[paths...]', 'files or folders to check (default: the whole project)')
    .option(
      '-p, --project <tsconfig>',
      'tsconfig.json of the project (default: ./tsconfig.json, or the nearest one above each path)',
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--max-warnings <n>', 'fail (exit 1) when there are more than n warnings')
    .option('--rule <id=severity>', 'set a rule to off, warn or error (repeatable)', collect)
    .option('-c, --config <file>', 'config file (default: nearest rcukit.config.json, or "rcukit" in package.json)')
    .option('--baseline <file>', 'ignore findings recorded in this baseline file')
    .option('--update-baseline', 'write the current findings to the --baseline file and exit 0')
    .option('-q, --quiet', 'report errors only, not warnings')
    .option(
      '--allow-incomplete',
      'exit by findings alone when some function could not be analyzed (default: exit 2, analysis incomplete)',
    )
    // Commands load on use: --help, --version and usage errors never load TypeScript.
    .action(async (paths: string[], flags: CheckFlags) =>
      onExit(await (await import('./check-command.js')).runCheck(paths, flags, io)),
    );

  program
    .command('rules')
    .description('list the rules with their default severity and doc page')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: RulesFlags) => onExit(await (await import('./rules-command.js')).runRules(flags, io)));

  registerLspCommand(program);

  return program;
}

/** Run `rcukit <argv>`; resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], io: CheckIo = processIo()): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Clean;
  const program = buildProgram((c) => (code = c), io);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.Failure;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, successfully; commander has printed the rest.
      return e.exitCode === 0 ? ExitCode.Clean : ExitCode.Failure;
    }
    if (e instanceof CliError) {
      io.stderr.write(`rcukit: error: ${e.message}\n${e.hint ? `rcukit: hint: ${e.hint}\n` : ''}`);
      return ExitCode.Failure;
    }
    const detail = describeError(e);
    io.stderr.write(`rcukit: internal error: ${detail} (set RCUKIT_DEBUG=stack for details)\n`);
    if (io.env['RCUKIT_DEBUG']?.split(',').includes('stack') && e instanceof Error) io.stderr.write(`${e.stack}\n`);
    return ExitCode.Failure;
  }
}
