#!/usr/bin/env node
/**
 * @fileoverview The `rcukit` executable (package.json `bin`): runs the program (program.ts) on
 * this process and sets its exit code. Setting process.exitCode rather than calling
 * process.exit() lets stdout finish writing a large report first.
 */

import { main } from './program.js';

// `rcukit check | head` closes the pipe early: stop quietly instead of dying on EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
