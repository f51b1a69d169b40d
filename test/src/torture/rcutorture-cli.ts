/**
 * @fileoverview `npm run torture -- [--seconds N] [--readers N] [--busted]`: runs rcutorture and
 * prints its report; exits 0 on SUCCESS, 1 on FAILURE (which `--busted` must produce), 2 on
 * bad arguments.
 */

import { runTorture } from './rcutorture.js';

const USAGE = 'usage: npm run torture -- [--seconds N] [--readers N] [--busted]';

function parse(argv: string[]): { seconds: number; readers?: number; busted: boolean } {
  let seconds = 10;
  let readers: number | undefined;
  let busted = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = (): number => {
      const text = inline ?? argv[++i];
      const n = Number(text);
      if (text === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number; got ${String(text)}`);
      return n;
    };
    if (flag === '--seconds') seconds = value();
    else if (flag === '--readers') readers = Math.floor(value());
    else if (flag === '--busted') busted = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return readers === undefined ? { seconds, busted } : { seconds, readers, busted };
}

async function main(): Promise<number> {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`rcutorture: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const result = await runTorture({ ...options, log: (line) => console.log(line) });
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
