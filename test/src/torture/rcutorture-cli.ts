/**
 * @fileoverview `npm run torture -- [--seconds N] [--readers N] [--fake-writers N] [--busted]`:
 * runs rcutorture and prints its report; with `--kill`, the kill torture (kill-torture.ts)
 * instead. Exits 0 on SUCCESS, 1 on FAILURE (which `--busted` must produce), 2 on bad
 * arguments.
 */

import { runKillTorture } from './kill-torture.js';
import { KILL_OP_GROUPS, type KillOpGroup } from './kill-layout.js';
import { runTorture } from './rcutorture.js';

const USAGE = `usage: npm run torture -- [--seconds N] [--readers N] [--fake-writers N] [--busted]
       npm run torture -- --kill [--seconds N] [--victims N] [--ops GROUP,...] [--seed N] [--busted]
  --seconds N       how long to run (default 10)
  --readers N       reader workers (default: cores - 1, at least 2)
  --fake-writers N  workers that only wait for grace periods (default 1)
  --busted          rcutorture: use a grace period that does not wait; --kill: skip undoing a
                    dead worker's half-done update. Either way the run must FAIL (exit 1)
  --kill            terminate workers at random points inside every operation, checking the
                    heap after each kill
  --victims N       --kill: workers running at once (default 2)
  --ops GROUPS      --kill: operation groups to mix, of ${Object.keys(KILL_OP_GROUPS).join(',')} (default all)
  --seed N          --kill: seed of the random choices (default from the clock)`;

interface CliOptions {
  seconds: number;
  kill: boolean;
  victims?: number;
  groups?: KillOpGroup[];
  seed?: number;
  readers?: number;
  fakeWriters?: number;
  busted: boolean;
  help: boolean;
}

function parse(argv: string[]): CliOptions {
  const options: CliOptions = { seconds: 10, kill: false, busted: false, help: false };
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
    else if (flag === '--kill') options.kill = true;
    else if (flag === '--victims') options.victims = Math.floor(value(1));
    else if (flag === '--seed') options.seed = Math.floor(value(1));
    else if (flag === '--ops') {
      const text = inline ?? argv[++i] ?? '';
      const groups = text.split(',').filter((g) => g !== '');
      const bad = groups.find((g) => !(g in KILL_OP_GROUPS));
      if (groups.length === 0 || bad !== undefined) throw new Error(`--ops: unknown group ${bad ?? '(none)'}`);
      options.groups = groups as KillOpGroup[];
    } else if (flag === '--help' || flag === '-h') options.help = true;
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
  const { help, kill, victims, groups, seed, ...run } = options;
  const log = (line: string): void => console.log(line);
  try {
    if (kill) {
      const killOptions = { seconds: run.seconds, busted: run.busted, victims, groups, seed, log };
      return (await runKillTorture(killOptions)).ok ? 0 : 1;
    }
    const result = await runTorture({ ...run, log });
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
