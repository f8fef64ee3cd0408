/**
 * The local stack exactly as `bin/local-stack-main.ts` starts it (same templates, handlers, state
 * machines, API, seed), except that DynamoDB Local keeps its data in memory (`-inMemory`) instead of SQLite
 * files under the data folder. `bench/run.ts --dynamodb memory` uses it to show what the pipeline
 * does when DynamoDB Local's disk persistence is not the bottleneck. Prints the same lines as
 * `bin/local-stack-main.ts` (`DynamoDB <url>`, `READY <url>`). `bench/run.ts` starts it through
 * `bin/local.js`, as `npm start` starts the stack.
 */
import '../lib/local/promise-with-resolvers';
import path from 'node:path';
import { LocalStack, startLocalStack } from '../lib/local/local-stack';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = path.resolve(process.env.DATAIO_DATA_DIR ?? path.join(__dirname, '.data', 'stack'));
  const log = (message: string): void => console.log(`[local] ${message}`);
  const servicePort = (offset: number): number => (port === 0 ? 0 : port + offset);
  const running: { stack?: LocalStack } = {};
  const shutdown = (): void => {
    void (running.stack?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const stack = await startLocalStack({
    port,
    dataDir,
    inMemory: true,
    seed: true,
    log,
    dynamodbPort: servicePort(1),
    s3Port: servicePort(2),
    sfnPort: servicePort(3),
  });
  running.stack = stack;
  console.log(`  API        ${stack.apiUrl}`);
  console.log(`  DynamoDB   ${stack.dynamodbEndpoint}`);
  console.log(`READY ${stack.apiUrl}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
