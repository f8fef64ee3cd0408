/**
 * AWS's DynamoDB Local (the jar shipped inside `amplify-dynamodb-simulator`) as a child process,
 * with the template's tables created on start. Unlike dynalite it supports transactions.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GlobalSecondaryIndexDescription,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { LocalTable } from './local-model';

export interface DynamoDbLocalOptions {
  /** @default a free port */
  readonly port?: number;
  /** Directory of the persistent database (`-dbPath`); ignored when `inMemory`. */
  readonly dbPath?: string;
  readonly inMemory?: boolean;
  readonly log?: (message: string) => void;
  /** @default 30000 */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** Creates missing tables (and GSIs missing from existing tables). */
  ensureTables(tables: readonly LocalTable[]): Promise<void>;
  /** Kills the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Thrown when DynamoDB Local cannot be started (no Java, port taken, jar missing). */
export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

/**
 * The fake credentials of the whole local stack: s3rver knows only the key id `S3RVER` (it checks
 * the id, not the signature) and DynamoDB Local 2.x wants letters and digits only.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Where the DynamoDB Local jar lives inside node_modules. */
export function dynamoDbLocalDir(): string {
  return path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const log = options.log ?? (() => undefined);
  const dir = dynamoDbLocalDir();
  const jar = path.join(dir, 'DynamoDBLocal.jar');
  if (!fs.existsSync(jar)) throw new DynamoDbLocalError(`DynamoDB Local jar not found at ${jar}`);
  const port = options.port || (await freePort());
  const storage = options.inMemory ? ['-inMemory'] : ['-dbPath', ensureDir(requireDbPath(options.dbPath))];
  const args = [`-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`, '-jar', jar, '-port', String(port), '-sharedDb', ...storage];
  const child = spawn('java', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const remember = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  // No orphaned Java if the parent exits without calling stop().
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    client.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(forced);
    }
  };

  try {
    await waitUntilReady(client, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new DynamoDbLocalError(`DynamoDB Local did not start on port ${port}: ${(error as Error).message}\n${output.join('')}`, { cause: error });
  }
  log(`dynamodb: DynamoDB Local on ${endpoint} (${options.inMemory ? 'in memory' : options.dbPath})`);

  return {
    endpoint,
    port,
    ensureTables: (tables) => ensureTables(client, tables, log),
    stop,
  };
}

async function waitUntilReady(client: DynamoDBClient, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  for (;;) {
    if (spawnError) throw new DynamoDbLocalError(`cannot run java (is Java 17 on PATH?): ${spawnError.message}`, { cause: spawnError });
    if (child.exitCode !== null) throw new DynamoDbLocalError(`java exited with code ${child.exitCode}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function ensureTables(client: DynamoDBClient, tables: readonly LocalTable[], log: (message: string) => void): Promise<void> {
  for (const table of tables) {
    const existing = await describe(client, table.name);
    if (!existing) {
      await client.send(
        new CreateTableCommand({
          TableName: table.name,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: table.keySchema,
          AttributeDefinitions: table.attributeDefinitions,
          ...(table.gsis.length ? { GlobalSecondaryIndexes: table.gsis } : {}),
          ...(table.lsis.length ? { LocalSecondaryIndexes: table.lsis } : {}),
        }),
      );
      if (table.ttlAttribute) {
        await client.send(new UpdateTimeToLiveCommand({
          TableName: table.name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }));
      }
      log(`dynamodb: created table ${table.name}`);
      continue;
    }
    // A persisted database predates GSIs added to the template since: add the missing ones.
    const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((g: GlobalSecondaryIndexDescription) => g.IndexName));
    for (const gsi of table.gsis.filter((g) => !present.has(g.IndexName))) {
      const used = new Set(gsi.KeySchema.map((k) => k.AttributeName));
      await client.send(
        new UpdateTableCommand({
          TableName: table.name,
          AttributeDefinitions: table.attributeDefinitions.filter((a) => used.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: gsi }],
        }),
      );
      log(`dynamodb: added index ${gsi.IndexName} to ${table.name}`);
    }
  }
}

async function describe(client: DynamoDBClient, tableName: string) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

function requireDbPath(dbPath: string | undefined): string {
  if (!dbPath) throw new DynamoDbLocalError('dbPath is required unless inMemory is set');
  return dbPath;
}

function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
