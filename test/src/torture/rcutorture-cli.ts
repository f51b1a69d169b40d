/**
 * @fileoverview `npm run torture -- [--seconds N] [--readers N] [--fake-writers N] [--busted]`:
 * runs rcutorture and prints its report; exits 0 on SUCCESS, 1 on FAILURE (which `--busted`
 * must produce), 2 on bad arguments.
 */

import { runTorture } from './rcutorture.js';

const USAGE = `usage: npm run torture -- [--seconds N] [--readers N] [--fake-writers N] [--busted]
  --seconds N       how long to run (default 10)
  --readers N       reader workers (default: cores - 1, at least 2)
  --fake-writers N  workers that only wait for grace periods (default 1)
  --busted          use a grace period that does not wait: the run must FAIL (exit 1)`;

interface CliOptions {
  seconds: number;
  readers?: number;
  fakeWriters?: number;
  busted: boolean;
  help: boolean;
}

function parse(argv: string[]): CliOptions {
  const options: CliOptions = { seconds: 10, busted: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = (min: number): number => {
      const text = inline ?? argv[++i];
      const n = Number(text);
      if (text === undefined || text === '' || !Number.isFinite(n) || n < min) {
        throw new Error(`${flag} needs a number of at least ${min}; got ${String(text)}`);
      }
      return n;
    };
    if (flag === '--seconds') options.seconds = value(0.1);
    else if (flag === '--readers') options.readers = Math.floor(value(1));
    else if (flag === '--fake-writers') options.fakeWriters = Math.floor(value(0));
    else if (flag === '--busted') options.busted = true;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

async function main(): Promise<number> {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`rcutorture: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const { help, ...run } = options;
  try {
    const result = await runTorture({ ...run, log: (line) => console.log(line) });
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof RangeError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();
