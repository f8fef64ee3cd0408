import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { StartArgs } from '../args';

/**
 * `dataio start`: what `npm start` does — `prestart` (bin/ensure-deps.js: dependencies, Java),
 * then bin/local.ts in this process, which runs until Ctrl-C.
 */
export function runStart(args: StartArgs): Promise<number> {
  if (args.port !== undefined) process.env.PORT = String(args.port);
  if (args.dataDir !== undefined) process.env.DATAIO_DATA_DIR = resolve(args.dataDir);
  try {
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'ensure-deps.js')], { stdio: 'inherit' });
  } catch (error) {
    return Promise.resolve((error as { status?: number }).status ?? 1);
  }
  // require, not import(): under tsx's CommonJS loader a dynamic import resolves as ESM and needs
  // the file extension, which TypeScript does not allow here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../local');
  // bin/local.ts owns the process from here: it exits on SIGINT/SIGTERM after stopping the stack.
  return new Promise<number>(() => undefined);
}
