import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The local stack's data folder: `DATAIO_DATA_DIR`, else `.dataio` at the repository root. */
export function localDataDir(): string {
  return resolve(process.env.DATAIO_DATA_DIR ?? join(__dirname, '..', '..', '.dataio'));
}

/**
 * The HS256 secret shared by the local stack's authorizer and `dataio token`, created on first
 * use in `<dataDir>/jwt-secret` so tokens stay valid across restarts.
 */
export function localJwtSecret(dataDir: string = localDataDir()): string {
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}
