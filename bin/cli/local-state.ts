import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The file a running local stack leaves in its data folder so the CLI can find it. */
export const LOCAL_STATE_FILE = 'local.json';

const localStateSchema = z.object({
  api_url: z.string().url(),
  pid: z.number().int().positive(),
  started_at: z.string(),
  /** The token claims the stack's authorizer expects, so the CLI mints tokens it accepts. */
  jwt_issuer: z.string().optional(),
  jwt_audience: z.string().optional(),
});

/** What `bin/local-stack-main.ts` writes to `<dataDir>/local.json` once the stack is READY. */
export type LocalState = z.infer<typeof localStateSchema>;

/** Records the running stack; written atomically enough for a reader (one small write). */
export function writeLocalState(dataDir: string, state: LocalState): void {
  writeFileSync(join(dataDir, LOCAL_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Removes the record, but only when it is this process's: a stack that lost a race for the data
 * folder must not delete the record of the one that runs.
 */
export function removeLocalState(dataDir: string, pid: number = process.pid): void {
  const state = readLocalStateFile(dataDir);
  if (state && state.pid !== pid) return;
  rmSync(join(dataDir, LOCAL_STATE_FILE), { force: true });
}

/** The recorded stack, or undefined when there is no readable record. */
export function readLocalStateFile(dataDir: string): LocalState | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCAL_STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = localStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running local stack, or why there is none: no record, or a record left by a stack that
 * was killed (its process is gone).
 */
export function findLocalStack(
  dataDir: string,
  isAlive: (pid: number) => boolean = processAlive,
): { state: LocalState } | { missing: 'no-record' | 'stale'; state?: LocalState } {
  const state = readLocalStateFile(dataDir);
  if (!state) return { missing: 'no-record' };
  if (!isAlive(state.pid)) return { missing: 'stale', state };
  return { state };
}
