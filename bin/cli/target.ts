import { userInfo } from 'node:os';
import { issueToken } from '../../lambdas/shared/jwt';
import { localJwtSecret } from '../../lib/local/jwt-secret';
import type { ConnectionArgs } from './args';
import { ConnectionError, UsageError } from './errors';
import { findLocalStack, processAlive, type LocalState } from './local-state';

/** The API a command talks to and the token it sends. */
export interface Target {
  readonly apiUrl: string;
  readonly token: string;
  /** Whether this is the local stack recorded in the data folder. */
  readonly local: boolean;
  /** Where the token came from, for hints when it is refused. */
  readonly tokenSource: 'DATAIO_TOKEN' | 'minted';
}

/** What target resolution reads besides the arguments. */
export interface TargetContext {
  readonly env: Record<string, string | undefined>;
  /** The local stack's data folder (DATAIO_DATA_DIR or `.dataio`). */
  readonly dataDir: string;
  readonly isAlive?: (pid: number) => boolean;
  readonly secret?: (dataDir: string) => string;
  readonly now?: number;
}

/** Minted local tokens live an hour: long enough for a big import with --wait. */
const LOCAL_TOKEN_TTL_SECONDS = 3600;

export const NO_LOCAL_STACK = 'no local stack running: run `npx dataio start` or pass --api';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * Decides where to send requests and with which token.
 *
 * 1. The API is `--api`, else DATAIO_API_URL, else the local stack recorded in
 *    `<dataDir>/local.json` (which must belong to a live process).
 * 2. The token is DATAIO_TOKEN when set. For the local stack the CLI can mint one itself from the
 *    stack's secret (org `--org`/DATAIO_ORG/acme, user `--user`/DATAIO_USER/the login name,
 *    permission `*`); `--org`/`--user` ask for a minted token even when DATAIO_TOKEN is set.
 */
export function resolveTarget(args: ConnectionArgs, context: TargetContext): Target {
  const { env } = context;
  const explicit = args.api ?? (env.DATAIO_API_URL || undefined);
  const found = findLocalStack(context.dataDir, context.isAlive ?? processAlive);
  const running = 'missing' in found ? undefined : found.state;
  if (explicit === undefined && !running) {
    const stale = 'missing' in found && found.missing === 'stale' ? ` (the stack recorded in ${context.dataDir}/local.json, pid ${found.state?.pid}, is gone)` : '';
    throw new ConnectionError(`${NO_LOCAL_STACK}${stale}`);
  }
  const apiUrl = trimSlash(explicit ?? running!.api_url);
  const local = running !== undefined && trimSlash(running.api_url) === apiUrl;
  const wantsMinted = args.org !== undefined || args.user !== undefined;
  if (wantsMinted && !local) {
    throw new UsageError(`--org and --user make a token for the local stack; for ${apiUrl} set DATAIO_TOKEN instead`);
  }
  const envToken = env.DATAIO_TOKEN?.trim() || undefined;
  if (envToken && !wantsMinted) return { apiUrl, token: envToken, local, tokenSource: 'DATAIO_TOKEN' };
  if (!local) throw new UsageError(`no token for ${apiUrl}: set DATAIO_TOKEN (the CLI mints tokens only for the local stack)`);
  return { apiUrl, token: mintLocalToken(args, context, running!), local, tokenSource: 'minted' };
}

function mintLocalToken(args: ConnectionArgs, context: TargetContext, state: LocalState): string {
  const org = args.org ?? (context.env.DATAIO_ORG || 'acme');
  const user = args.user ?? (context.env.DATAIO_USER || loginName());
  const secret = (context.secret ?? localJwtSecret)(context.dataDir);
  return issueToken({ org, user, perms: ['*'], ttlSeconds: LOCAL_TOKEN_TTL_SECONDS }, secret, {
    issuer: state.jwt_issuer,
    audience: state.jwt_audience,
    now: context.now,
  });
}

function loginName(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}
