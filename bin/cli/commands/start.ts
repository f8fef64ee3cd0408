import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { StartArgs } from '../args';

/**
 * `dataio start`: what `npm start` does — `prestart` (bin/ensure-deps.js: dependencies, Java),
 * then bin/local.js's launcher, which runs the stack in a child process until Ctrl-C.
 */
export function runStart(args: StartArgs): Promise<number> {
  if (args.port !== undefined) process.env.PORT = String(args.port);
  if (args.dataDir !== undefined) process.env.DATAIO_DATA_DIR = resolve(args.dataDir);
  try {
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'ensure-deps.js')], { stdio: 'inherit' });
  } catch (error) {
    return Promise.resolve((error as { status?: number }).status ?? 1);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { launch } = require('../../local.js') as { launch: () => Promise<number> };
  return launch();
}
