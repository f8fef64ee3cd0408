import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Repository root: handler entries and the lock file are resolved against it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * CloudFormation Metadata key carrying the repo-relative handler path of a function.
 * The local stack reads it to run the very same handler file in-process.
 */
export const HANDLER_METADATA_KEY = 'dataio:handler';

/**
 * Lambda runtime of every dataio function. nodejs20.x is deprecated (no new functions from
 * 2027-02-01), so functions run on 22; the bundle targets node20, the Node.js the local stack
 * and the tests run the same handlers on, so one bundle is valid on both.
 */
export const DATAIO_RUNTIME = lambda.Runtime.NODEJS_22_X;
const BUNDLE_TARGET = 'node20';

/** Powertools service name of every function: the `service` key of log lines and metric dimension. */
export const DATAIO_SERVICE_NAME = 'dataio';

/** CloudWatch namespace of the business metrics, unless the monitoring construct sets another. */
export const DEFAULT_METRICS_NAMESPACE = 'Dataio';

/** How much of a table or bucket a function may touch. */
export type DataAccess = 'read' | 'readwrite';

/** Which workflow a state machine runs. */
export type WorkflowKind = 'import' | 'export';

export interface DataioFunctionProps {
  /**
   * Repo-relative path of the handler file, e.g. `lambdas/api/get-job.ts`.
   * The file must export `handler`.
   */
  readonly entry: string;

  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Copy these files from node_modules into the bundle's `fonts/` folder (the PDF fonts: esbuild
   * bundles code, not font files).
   * @default none
   */
  readonly bundledFiles?: readonly string[];

  /**
   * Function timeout.
   * @default Duration.seconds(29) — the API Gateway integration limit
   */
  readonly timeout?: cdk.Duration;

  /**
   * Retention of the function's own log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Extra environment variables (the bind* methods add the resource ones).
   * @default - only NODE_OPTIONS
   */
  readonly environment?: Record<string, string>;

  /**
   * Function description.
   * @default - the entry path
   */
  readonly description?: string;
}

/**
 * A Node.js 22 / arm64 Lambda function with the project's defaults fixed once: active X-Ray
 * tracing, its own log group, Powertools' service name and metrics namespace, and one minified
 * CommonJS bundle with source maps that holds the AWS SDK and Powertools too (their CommonJS
 * builds: the versions tested are the versions deployed). Resources are wired with `bind*`
 * methods that set the env var and grant access together.
 */
export class DataioFunction extends nodejs.NodejsFunction {
  /** Repo-relative handler path, also stored as the `dataio:handler` Metadata. */
  public readonly entryPath: string;

  /** The log group the function writes to. */
  public readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DataioFunctionProps) {
    const entryPath = normalizeEntry(props.entry);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    super(scope, id, {
      entry: path.join(REPO_ROOT, entryPath),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description ?? `dataio ${entryPath}`,
      runtime: DATAIO_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? cdk.Duration.seconds(29),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: DATAIO_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: BUNDLE_TARGET,
        // Bundle the SDK too: the versions tested here are the versions deployed.
        externalModules: [],
        ...(props.bundledFiles?.length ? { commandHooks: copyIntoBundle(props.bundledFiles) } : {}),
      },
    });

    this.entryPath = entryPath;
    this.functionLogGroup = logGroup;
    (this.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, entryPath);
  }

  /** Sets `JOBS_TABLE_NAME` and grants data access to the DataJob table. */
  public bindJobsTable(table: dynamodb.ITable, access: DataAccess): this {
    return this.bindTable('JOBS_TABLE_NAME', table, access);
  }

  /** Sets `RECORDS_TABLE_NAME` and grants data access to the business records table. */
  public bindRecordsTable(table: dynamodb.ITable, access: DataAccess): this {
    return this.bindTable('RECORDS_TABLE_NAME', table, access);
  }

  /**
   * Sets `FILES_BUCKET_NAME` and grants object access to the files bucket, to every key or to the
   * keys matching `keyPattern` (e.g. `uploads/*`). `put` grants `s3:PutObject` only: what signing
   * a presigned upload needs, since S3 authorizes a presigned request as the signing role.
   */
  public bindFilesBucket(bucket: s3.IBucket, access: DataAccess | 'put', keyPattern = '*'): this {
    this.addEnvironment('FILES_BUCKET_NAME', bucket.bucketName);
    if (access === 'read') bucket.grantRead(this, keyPattern);
    else if (access === 'readwrite') bucket.grantReadWrite(this, keyPattern);
    else {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(keyPattern)] }));
      bucket.encryptionKey?.grantEncrypt(this);
    }
    return this;
  }

  /**
   * Sets `IMPORT_STATE_MACHINE_ARN` or `EXPORT_STATE_MACHINE_ARN` and grants starting,
   * stopping and describing its executions.
   */
  public bindStateMachine(kind: WorkflowKind, stateMachine: sfn.IStateMachine): this {
    this.addEnvironment(`${kind.toUpperCase()}_STATE_MACHINE_ARN`, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this);
    stateMachine.grantExecution(this, 'states:StopExecution', 'states:DescribeExecution');
    return this;
  }

  /**
   * Grants stopping executions of these state machines, and nothing else: stopping needs only
   * the execution ARN the job recorded, so no ARN goes into the environment.
   */
  public allowStoppingExecutions(...stateMachines: sfn.IStateMachine[]): this {
    for (const stateMachine of stateMachines) stateMachine.grantExecution(this, 'states:StopExecution');
    return this;
  }

  /** Sets `JWT_SECRET_ARN` and grants reading the secret value. */
  public bindJwtSecret(secret: secretsmanager.ISecret): this {
    this.addEnvironment('JWT_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  private bindTable(envName: string, table: dynamodb.ITable, access: DataAccess): this {
    this.addEnvironment(envName, table.tableName);
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    return this;
  }
}

function normalizeEntry(entry: string): string {
  const normalized = path.posix.normalize(entry.replace(/\\/g, '/'));
  if (path.isAbsolute(entry) || normalized.startsWith('../')) {
    throw new Error(`DataioFunction entry must be a repo-relative path, got "${entry}"`);
  }
  if (!/\.(ts|js|mjs|cjs)$/.test(normalized)) {
    throw new Error(`DataioFunction entry must name a .ts or .js handler file, got "${entry}"`);
  }
  return normalized;
}

/** Bundling hooks that copy files from node_modules into `<bundle>/fonts/`. */
function copyIntoBundle(files: readonly string[]): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      `mkdir -p "${outputDir}/fonts"`,
      ...files.map((file) => `cp "${inputDir}/node_modules/${file}" "${outputDir}/fonts/"`),
    ],
  };
}
