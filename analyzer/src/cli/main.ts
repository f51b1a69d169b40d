#!/usr/bin/env node
/**
 * @fileoverview The `rcukit` executable (package.json `bin`): runs the program (program.ts) on
 * this process and sets its exit code. Setting process.exitCode rather than calling
 * process.exit() lets stdout finish writing a large report first.
 */

import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
