/**
 * The embedded local stack: the synthesized templates run on one machine with no AWS account.
 * DynamoDB Local, s3rver, an in-process Step Functions and API Gateway, all running the same
 * handlers and state machine definitions `cdk deploy` ships.
 */
import './promise-with-resolvers';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { startApiServer } from './api-local';
import { DynamoDbLocal, freePort, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb-local';
import { localJwtSecret } from './jwt-secret';
import { createLambdaInvoker, limitConcurrency, type InvocationReport, type LambdaIsolation } from './lambda-invoker';
import { buildLocalModel, LocalFunction, LocalModel } from './local-model';
import { startMemoryLog } from './memory-log';
import { S3Local, startS3Local } from './s3-local';
import { RunningServer, startSfnEndpoint } from './sfn-endpoint';
import { LocalStepFunctions } from './step-functions-local';
import { REPO_ROOT, synthStackTemplates } from './synth';
import { LOCAL_REGION, StackTemplate } from './template-resolver';

export interface LocalStackOptions {
  /** Port of the API (0 picks a free one). */
  readonly port: number;
  /** Persistent state: `dynamodb/`, `s3/`, `jwt-secret`, the `seeded` marker. */
  readonly dataDir: string;
  /** Keep DynamoDB in memory (tests); S3 objects still go under dataDir. */
  readonly inMemory?: boolean;
  /** Seed the demo data once (a `seeded` marker in dataDir remembers it). */
  readonly seed?: boolean;
  readonly log?: (message: string) => void;
  /** Ports of the emulated services. @default free ports */
  readonly dynamodbPort?: number;
  readonly s3Port?: number;
  readonly sfnPort?: number;
  /**
   * Delay before an execution's first state runs, like the service's own start latency.
   * @default 100
   */
  readonly executionStartDelayMs?: number;
  /**
   * Workflow tasks running at once in this process (the local stand-in for Lambda concurrency).
   * @default 4 (LOCAL_WORKFLOW_CONCURRENCY)
   */
  readonly workflowConcurrency?: number;
  /** Templates to run instead of synthesizing the CDK app (tests). */
  readonly templates?: readonly StackTemplate[];
  /**
   * Where handlers run (`lambda-invoker.ts`). `process` gives each function warm worker processes
   * of its own, like Lambda environments, and logs a `lambda report` JSON line per invocation
   * with its memory. @default LOCAL_LAMBDA_ISOLATION, else 'in-process'
   */
  readonly lambdaIsolation?: LambdaIsolation;
  /**
   * V8's heap growing factor for this process, as `1 + percent / 100` (0 leaves V8's own). The
   * process hosts every function at once with the default heap limit of a large machine (about
   * 4 GB), for which V8 lets the heap grow to four times what survived the last full collection;
   * a 1,024 MB Lambda function's heap grows by about 1.6 times. @default LOCAL_HEAP_GROWING_PERCENT, else 60
   */
  readonly heapGrowingPercent?: number;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly sfnEndpoint: string;
  /** The HS256 secret the local authorizer verifies tokens with. */
  readonly jwtSecret: string;
  readonly model: LocalModel;
  readonly stepFunctions: LocalStepFunctions;
  /** Stops every service (DynamoDB Local's Java process included) and restores process.env. */
  stop(): Promise<void>;
}

/** See `LocalStackOptions.heapGrowingPercent`: close to a 1,024 MB function's heap growth. */
export const DEFAULT_HEAP_GROWING_PERCENT = 60;

/** Workflow tasks run at once by default: enough to overlap DynamoDB waits on a small machine. */
export const DEFAULT_WORKFLOW_CONCURRENCY = Number(process.env.LOCAL_WORKFLOW_CONCURRENCY ?? 4);

/** Thrown when the templates cannot run locally as one process (e.g. conflicting env values). */
export class LocalStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

/**
 * Env vars that only matter when a process starts (NODE_OPTIONS) cannot be applied to the running
 * process; setting them would only leak into child processes such as DynamoDB Local.
 */
const PROCESS_LEVEL_ENV = new Set(['NODE_OPTIONS']);

/**
 * Starts the local stack.
 *
 * 1. Synthesize the app (bundling skipped) and build the local model from its templates.
 * 2. Start DynamoDB Local and s3rver; create the tables and buckets.
 * 3. Point the AWS SDK at them (AWS_ENDPOINT_URL_*) and export the functions' resolved env.
 * 4. Start the Step Functions endpoint and the API; seed the demo data on first start.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const model = buildLocalModel(options.templates ?? synthStackTemplates());
  const functionEnv = mergeFunctionEnv([...model.functions.values()]);
  const jwtSecret = localJwtSecret(dataDir);

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        log(`stop: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  const growing = options.heapGrowingPercent ?? Number(process.env.LOCAL_HEAP_GROWING_PERCENT ?? DEFAULT_HEAP_GROWING_PERCENT);
  if (Number.isInteger(growing) && growing > 0) {
    // A GC heuristic read at every heap limit computation, so it takes effect at run time too.
    v8.setFlagsFromString(`--heap-growing-percent=${growing}`);
    stops.push(async () => v8.setFlagsFromString('--heap-growing-percent=0'));
  }
  if (process.env.DATAIO_MEMORY_LOG) {
    const stopMemoryLog = startMemoryLog(process.env.DATAIO_MEMORY_LOG);
    stops.push(async () => stopMemoryLog());
  }

  try {
    const dynamodb: DynamoDbLocal = await startDynamoDbLocal({
      port: options.dynamodbPort,
      inMemory: options.inMemory,
      dbPath: path.join(dataDir, 'dynamodb'),
      log,
    });
    stops.push(() => dynamodb.stop());
    await dynamodb.ensureTables(model.tables);

    const s3: S3Local = await startS3Local({ directory: path.join(dataDir, 's3'), buckets: model.buckets, port: options.s3Port, log });
    stops.push(() => s3.stop());

    const sfnPort = options.sfnPort || (await freePort());
    const restoreEnv = applyEnv({
      ...functionEnv,
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${sfnPort}`,
      JWT_SECRET: jwtSecret,
      // No X-Ray daemon here, and EMF metric documents would only clutter the console.
      POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_METRICS_DISABLED: 'true',
    });
    stops.push(async () => restoreEnv());

    const isolation = options.lambdaIsolation ?? (process.env.LOCAL_LAMBDA_ISOLATION === 'process' ? 'process' : 'in-process');
    const invoker = createLambdaInvoker({ functions: model.functions, repoRoot: REPO_ROOT, isolation, onReport: printReport });
    stops.push(async () => invoker.close?.());
    if (isolation === 'process') log('lambda: handlers run in worker processes, one per concurrent invocation (LOCAL_LAMBDA_ISOLATION=process)');
    const stepFunctions = new LocalStepFunctions({
      stateMachines: model.stateMachines,
      functions: model.functions,
      // The API keeps answering while workflow tasks queue for their concurrency.
      invoker: limitConcurrency(invoker, options.workflowConcurrency ?? DEFAULT_WORKFLOW_CONCURRENCY),
      log,
      startDelayMs: options.executionStartDelayMs ?? 100,
    });
    const sfn: RunningServer = await startSfnEndpoint(stepFunctions, { port: sfnPort });
    stops.push(() => sfn.close());
    stops.push(() => stepFunctions.close());

    const api = await startApiServer({ api: model.api, invoker, port: options.port, log });
    stops.push(() => api.close());

    if (options.seed) await seedOnce(dataDir, Boolean(options.inMemory), log);

    log(`local stack ready: API ${api.url}, DynamoDB ${dynamodb.endpoint}, S3 ${s3.endpoint}, SFN ${sfn.url}`);
    return {
      apiUrl: api.url,
      s3Endpoint: s3.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      sfnEndpoint: sfn.url,
      jwtSecret,
      model,
      stepFunctions,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * All functions share one process env: the union of their resolved variables. Two functions
 * giving one name different values cannot both be honoured, so that fails loudly.
 */
export function mergeFunctionEnv(functions: readonly LocalFunction[]): Record<string, string> {
  const merged: Record<string, string> = {};
  const owner: Record<string, string> = {};
  for (const fn of functions) {
    for (const [name, value] of Object.entries(fn.env)) {
      if (PROCESS_LEVEL_ENV.has(name)) continue;
      if (name in merged && merged[name] !== value) {
        throw new LocalStackError(
          `env ${name} is ${JSON.stringify(merged[name])} for ${owner[name]} but ${JSON.stringify(value)} for ${fn.logicalId}; ` +
            'the local stack runs every function in one process, so function env values must agree',
        );
      }
      merged[name] = value;
      owner[name] = fn.logicalId;
    }
  }
  return merged;
}

/**
 * One JSON line per invocation in a worker process, like the REPORT line Lambda writes after each
 * invocation: `npm run bench` reads them to tell each function's memory from the emulators'.
 */
function printReport(report: InvocationReport): void {
  if (process.env.DATAIO_LOG === 'silent') return;
  const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  console.log(
    JSON.stringify({
      level: 'info',
      message: 'lambda report',
      time: new Date().toISOString(),
      function: path.basename(report.handlerPath).replace(/\.[jt]s$/, ''),
      ok: report.ok,
      cold_start: report.coldStart,
      duration_ms: report.durationMs,
      memory_size_mb: report.memorySize,
      max_memory_used_mb: Math.round(report.maxRssKb / 1024),
      peak_heap_used_mb: mb(report.peakHeapUsed),
      peak_array_buffers_mb: mb(report.peakArrayBuffers),
    }),
  );
}

/** Sets (or, for undefined, deletes) env vars; returns a function that restores the previous values. */
function applyEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const set = (entries: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  set(values);
  return () => set(previous);
}

async function seedOnce(dataDir: string, inMemory: boolean, log: (message: string) => void): Promise<void> {
  const marker = path.join(dataDir, 'seeded');
  // An in-memory database starts empty every time, whatever the marker says.
  if (!inMemory && fs.existsSync(marker)) return;
  // Loaded lazily: seeding pulls in the ERP layer, which a stack started without seed never needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { seedDemoData } = require('./seed') as { seedDemoData: (log?: (m: string) => void) => Promise<void> };
  log('seeding demo data…');
  await seedDemoData(log);
  if (!inMemory) fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
}
