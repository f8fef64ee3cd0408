import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../../lambdas/shared/jwt';
import { freePort } from '../../lib/local/dynamodb-local';
import { localJwtSecret } from '../../lib/local/jwt-secret';

const ROOT = join(__dirname, '..', '..');

/** A local stack started the way a user starts it (`node bin/local.js`), in a child process. */
export interface LocalStackProcess {
  readonly apiUrl: string;
  readonly dataDir: string;
  /** The launcher's process (`bin/local.js`); the stack runs in its child. */
  readonly pid: number;
  /** A token for the local stack, signed with its secret. */
  token(claims: { org: string; user: string; perms: string[]; ttlSeconds?: number }): string;
  /** Everything the stack printed so far. */
  output(): string;
  stop(): Promise<void>;
}


/** Starts `bin/local.js` with a fresh data folder and waits for its `READY <url>` line. */
export async function startLocalStackProcess(options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<LocalStackProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dataio-e2e-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'local.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATAIO_DATA_DIR: dataDir, DATAIO_LOG: 'silent', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not print READY within ${options.timeoutMs ?? 300000} ms:\n${output}`)), options.timeoutMs ?? 300000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^READY (\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with ${code}:\n${output}`));
    });
  });
  const secret = localJwtSecret(dataDir);
  return {
    apiUrl,
    dataDir,
    pid: child.pid!,
    token: (claims) => issueToken(claims, secret),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timeout = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timeout);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
