import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { issueToken } from '../lambdas/shared/jwt';
import { localDataDir, localJwtSecret } from '../lib/local/jwt-secret';
import { DataioClient } from './cli/api-client';
import { parseExportArgs, parseImportArgs, parseJobArgs, parseJobsArgs, parseStartArgs, wantsHelp, type ConnectionArgs } from './cli/args';
import type { CommandContext } from './cli/commands/context';
import { runExport } from './cli/commands/export';
import { runImport } from './cli/commands/import';
import { runCancel, runJob, runJobs } from './cli/commands/jobs';
import { runStart } from './cli/commands/start';
import { ApiError, ConnectionError, EXIT, UsageError } from './cli/errors';
import { processIo, type CliIo } from './cli/io';
import { InterruptedError } from './cli/progress';
import { NO_LOCAL_STACK, resolveTarget, type Target } from './cli/target';
import { USAGE } from './cli/usage';

/**
 * The `dataio` command line: runs one command and returns its exit code (docs/cli.md). `io` is
 * the process unless a test passes its own.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' && rest[0] && USAGE[rest[0]] ? rest[0] : 'main';
    io.stdout.write(`${USAGE[topic]}\n`);
    return EXIT.ok;
  }
  if (USAGE[command] && command !== 'main' && wantsHelp(rest)) {
    io.stdout.write(`${USAGE[command]}\n`);
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'token':
        return token(rest, io);
      case 'start':
        return await runStart(parseStartArgs(rest));
      case 'import':
        return await withApi(parseImportArgs(rest), io, runImport);
      case 'export':
        return await withApi(parseExportArgs(rest), io, runExport);
      case 'jobs':
        return await withApi(parseJobsArgs(rest), io, runJobs);
      case 'job':
        return await withApi(parseJobArgs('job', rest), io, runJob);
      case 'cancel':
        return await withApi(parseJobArgs('cancel', rest), io, runCancel);
      default:
        io.stderr.write(`dataio: unknown command '${command}'\n\n${USAGE.main}\n`);
        return EXIT.usage;
    }
  } catch (error) {
    return report(error, command, io);
  }
}

/** Resolves the API and token, then runs an API command; a local stack that stopped answering is named as such. */
async function withApi<A extends ConnectionArgs>(args: A, io: CliIo, run: (args: A, context: CommandContext) => Promise<number>): Promise<number> {
  const dataDir = io.env.DATAIO_DATA_DIR ? resolve(io.cwd, io.env.DATAIO_DATA_DIR) : localDataDir();
  const target = resolveTarget(args, { env: io.env, dataDir });
  try {
    return await run(args, { io, target, client: new DataioClient(target.apiUrl, target.token, io.fetch) });
  } catch (error) {
    throw explain(error, target);
  }
}

function explain(error: unknown, target: Target): unknown {
  if (error instanceof ConnectionError && target.local) {
    return new ConnectionError(`${NO_LOCAL_STACK} (${target.apiUrl} does not answer: ${error.message})`, { cause: error });
  }
  if (error instanceof ApiError && error.status === 401 && target.tokenSource === 'DATAIO_TOKEN') {
    const hint = target.local ? 'unset DATAIO_TOKEN to let the CLI mint a token for the local stack' : 'DATAIO_TOKEN was refused: is it for this API, and not expired?';
    return new ApiError(error.status, error.code, `${error.message} (${hint})`, error.details);
  }
  return error;
}

/** Prints an error the way a user can act on it and picks the exit code. */
function report(error: unknown, command: string, io: CliIo): number {
  if (error instanceof UsageError) {
    const name = error.command ?? command;
    io.stderr.write(`dataio ${name}: ${error.message}\nrun 'dataio ${name} --help' for the options\n`);
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    io.stderr.write(`dataio: the API answered ${error.status} ${error.code}: ${error.message}\n`);
    return EXIT.apiError;
  }
  if (error instanceof ConnectionError) {
    io.stderr.write(`dataio: ${error.message}\n`);
    return EXIT.apiError;
  }
  if (error instanceof InterruptedError) {
    io.stderr.write(`\ndataio: ${error.message}: 'dataio job ${error.jobId}' shows it, 'dataio cancel ${error.jobId}' stops it\n`);
    return EXIT.interrupted;
  }
  io.stderr.write(`dataio: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.software;
}

function token(args: string[], io: CliIo): number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { org: { type: 'string' }, user: { type: 'string' }, perms: { type: 'string' }, ttl: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, 'token', { cause: error });
  }
  if (!values.org || !values.user) throw new UsageError('--org and --user are required', 'token');
  const perms = (values.perms ?? '*').split(/[\s,]+/).filter(Boolean);
  const ttlSeconds = values.ttl ? Number(values.ttl) : undefined;
  if (ttlSeconds !== undefined && !(ttlSeconds > 0)) throw new UsageError('--ttl must be a positive number of seconds', 'token');
  io.stdout.write(`${issueToken({ org: values.org, user: values.user, perms, ttlSeconds }, localJwtSecret())}\n`);
  return EXIT.ok;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`dataio: ${error.message}\n`);
      process.exit(EXIT.software);
    },
  );
}
