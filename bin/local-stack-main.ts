/**
 * The embedded local stack, which `bin/local.js` runs (`npm start`). PORT (default 3000) is the
 * API; DynamoDB Local, S3 and Step Functions listen on PORT+1..PORT+3. DATAIO_DATA_DIR (default
 * `.dataio`) keeps the data. Prints `READY <apiUrl>` last once everything is up, after recording
 * the stack in `<dataDir>/local.json` (API URL, pid) for the `dataio` CLI; the record is removed
 * on exit.
 */
import '../lib/local/promise-with-resolvers';
import path from 'node:path';
import { issueToken } from '../lambdas/shared/jwt';
import { LocalStack, startLocalStack } from '../lib/local/local-stack';
import { removeLocalState, writeLocalState } from './cli/local-state';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65532) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  const dataDir = path.resolve(process.env.DATAIO_DATA_DIR ?? path.join(__dirname, '..', '.dataio'));
  const log = (message: string): void => console.log(`[local] ${message}`);
  const servicePort = (offset: number): number => (port === 0 ? 0 : port + offset);
  // LOCAL_DYNAMODB=memory: DynamoDB Local keeps its data in memory, not under dataDir (the
  // benchmark's `--dynamodb memory`: persisted, DynamoDB Local writes 5-10 times slower).
  const dynamodb = process.env.LOCAL_DYNAMODB ?? 'disk';
  if (dynamodb !== 'disk' && dynamodb !== 'memory') throw new Error(`LOCAL_DYNAMODB must be disk or memory, got ${dynamodb}`);

  const running: { stack?: LocalStack } = {};
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    removeLocalState(dataDir);
    void (running.stack?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // bin/local.js started this process: when it is gone (however it ended), so is the stack.
  if (process.connected) process.once('disconnect', () => shutdown('launcher exited'));

  const stack = await startLocalStack({
    port,
    dataDir,
    inMemory: dynamodb === 'memory',
    seed: true,
    log,
    dynamodbPort: servicePort(1),
    s3Port: servicePort(2),
    sfnPort: servicePort(3),
  });
  running.stack = stack;
  if (stopping) return;

  const token = issueToken({ org: 'acme', user: 'admin', perms: ['*'] }, stack.jwtSecret, {
    issuer: process.env.JWT_ISSUER,
    audience: process.env.JWT_AUDIENCE,
  });
  console.log('');
  console.log(`dataio local stack (data in ${dataDir})`);
  console.log(`  API        ${stack.apiUrl}`);
  console.log(`  DynamoDB   ${stack.dynamodbEndpoint}`);
  console.log(`  S3         ${stack.s3Endpoint}`);
  console.log(`  SFN        ${stack.sfnEndpoint}`);
  console.log('');
  console.log('Admin token for org acme (valid 12 h):');
  console.log(`  export DATAIO_TOKEN=${token}`);
  const example = stack.model.api.routes.find((r) => r.method === 'GET' && r.functionLogicalId && !r.pathTemplate.includes('{'));
  if (example) console.log(`  curl -H "Authorization: Bearer $DATAIO_TOKEN" ${stack.apiUrl}${example.pathTemplate}`);
  console.log('');
  writeLocalState(dataDir, {
    api_url: stack.apiUrl,
    pid: process.pid,
    started_at: new Date().toISOString(),
    jwt_issuer: process.env.JWT_ISSUER,
    jwt_audience: process.env.JWT_AUDIENCE,
  });
  // Whatever ends the process (a signal, a crash, process.exit), the record goes with it.
  process.on('exit', () => removeLocalState(dataDir));
  console.log(`READY ${stack.apiUrl}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
