import { parseArgs } from 'node:util';
import { issueToken } from '../lambdas/shared/jwt';
import { localJwtSecret } from '../lib/local/jwt-secret';

const USAGE = `usage: dataio <command> [options]

commands:
  token --org <org> --user <user> --perms <perms> [--ttl <seconds>]
        print a token for the local stack (perms: comma or space separated, '*' for all)
  start start the local stack (same as npm start)`;

/** The `dataio` command line. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'token':
      return token(rest);
    case 'start': {
      await import('./local');
      return new Promise<number>(() => undefined);
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

function token(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { org: { type: 'string' }, user: { type: 'string' }, perms: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  });
  if (!values.org || !values.user) {
    process.stderr.write('dataio token: --org and --user are required\n');
    return 2;
  }
  const perms = (values.perms ?? '*').split(/[\s,]+/).filter(Boolean);
  const ttlSeconds = values.ttl ? Number(values.ttl) : undefined;
  if (ttlSeconds !== undefined && !(ttlSeconds > 0)) {
    process.stderr.write('dataio token: --ttl must be a positive number of seconds\n');
    return 2;
  }
  process.stdout.write(`${issueToken({ org: values.org, user: values.user, perms, ttlSeconds }, localJwtSecret())}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`dataio: ${error.message}\n`);
      process.exit(1);
    },
  );
}
