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
import { acknowledgeNag, acknowledgeWildcardResource } from './nag-acknowledgements';

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

/**
 * A DynamoDB data-plane action a function may be granted. Only the item-level actions the
 * adapters in layers/aws send: no Scan, no table management, no streams.
 */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

/** What a function may do with one table: exactly these actions, on the table and the named indexes. */
export interface TableAccess {
  /** Actions on the table's own items. */
  readonly actions: readonly TableAction[];

  /**
   * Global secondary indexes the function queries (`dynamodb:Query` on `<table>/index/<name>`,
   * each named: no `index/*`).
   * @default none
   */
  readonly indexQueries?: readonly string[];
}

/**
 * What a function may do in the files bucket, by IAM key pattern such as `uploads/*` (a `*` also
 * matches `/`, so one pattern can name a folder inside each organization's job folder).
 * Every pattern starts with a purpose prefix: the organization and job that follow are run-time
 * values, which the data layer checks (`scopeToJob`, the caller's organization in every key).
 */
export interface BucketAccess {
  /** Keys it reads: `s3:GetObject`, which a HEAD and a presigned GET need as well. @default none */
  readonly read?: readonly string[];

  /** Keys it writes: `s3:PutObject`, which signing a presigned PUT needs as well. @default none */
  readonly write?: readonly string[];

  /**
   * Whether its writes stream (multipart uploads): adds `s3:AbortMultipartUpload` on the `write`
   * keys, so a failed stream removes its parts instead of leaving them to the lifecycle rule.
   * @default false
   */
  readonly multipart?: boolean;

  /**
   * Prefixes whose objects it deletes as a whole (`work/`): `s3:ListBucket` limited to the
   * prefix with the `s3:prefix` condition, and `s3:DeleteObject` under it.
   * @default none
   */
  readonly deletePrefixes?: readonly string[];

  /**
   * Grants `s3:ListBucket` on the whole bucket, for a function that must tell a missing key
   * (404, `NoSuchKey`) from a denied one: without it S3 answers 403 for a key that does not
   * exist. It lists key names, never contents.
   * @default false
   */
  readonly listBucket?: boolean;
}

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
    // Its own role instead of AWSLambdaBasicExecutionRole, whose logs:* rights reach every log
    // group of the account: this one writes to the function's own log group only.
    const role = new iam.Role(scope, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `dataio ${entryPath}: its log group, plus what its bind* calls grant`,
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    acknowledgeNag(role, 'AwsSolutions-IAM5[Resource::*]', 'Only the X-Ray statement active tracing adds has Resource "*": xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every data grant names its table, index, key prefix or state machine.');

    super(scope, id, {
      role,
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
    acknowledgeNag(
      this,
      'AwsSolutions-L1',
      'Node.js 22 is a supported runtime (AWS deprecates it on 2027-04-30) and the one the handlers are tested for; moving every function to Node.js 24 is a runtime upgrade of its own, with its own test run.',
    );
  }

  /** Sets `JOBS_TABLE_NAME` and grants exactly `access` on the DataJob table. */
  public bindJobsTable(table: dynamodb.ITable, access: TableAccess): this {
    return this.bindTable('JOBS_TABLE_NAME', table, access);
  }

  /** Sets `RECORDS_TABLE_NAME` and grants exactly `access` on the business records table. */
  public bindRecordsTable(table: dynamodb.ITable, access: TableAccess): this {
    return this.bindTable('RECORDS_TABLE_NAME', table, access);
  }

  /**
   * Sets `FILES_BUCKET_NAME` and grants exactly `access` on the files bucket: named actions on
   * key patterns, never `s3:*Object*` on every key. S3 authorizes a presigned request as the
   * role that signed it, so signing needs the same right as sending.
   */
  public bindFilesBucket(bucket: s3.IBucket, access: BucketAccess): this {
    this.addEnvironment('FILES_BUCKET_NAME', bucket.bucketName);
    const objectStatement = (actions: string[], patterns: readonly string[], why: string) => {
      if (patterns.length === 0) return;
      const resources = patterns.map((pattern) => bucket.arnForObjects(checkKeyPattern(pattern)));
      this.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
      patterns.forEach((pattern, i) => acknowledgeWildcardResource(this.role!, resources[i]!, `${actions.join(', ')} on keys under ${pattern} only: ${why}`));
    };
    const orgScoped = 'every organization keeps its files there, and the organization and job in the key are run-time values checked by the data layer (scopeToJob, the caller\'s organization in each key)';
    objectStatement(['s3:GetObject'], access.read ?? [], orgScoped);
    objectStatement(access.multipart ? ['s3:PutObject', 's3:AbortMultipartUpload'] : ['s3:PutObject'], access.write ?? [], orgScoped);
    const deletePrefixes = (access.deletePrefixes ?? []).map(checkKeyPrefix);
    if (deletePrefixes.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': oneOrMany(deletePrefixes.map((prefix) => `${prefix}*`)) } } }),
      );
      objectStatement(['s3:DeleteObject'], deletePrefixes.map((prefix) => `${prefix}*`), 'a finished job removes its own intermediate files (work/<org>/<job>/), which lie under this prefix');
    }
    if (access.listBucket) this.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    if (access.write?.length) bucket.encryptionKey?.grantEncrypt(this);
    if (access.read?.length) bucket.encryptionKey?.grantDecrypt(this);
    return this;
  }

  /**
   * Sets `IMPORT_STATE_MACHINE_ARN` or `EXPORT_STATE_MACHINE_ARN` and grants starting its
   * executions, nothing more: the API starts a job's workflow, and only cancelling stops one.
   */
  public bindStateMachine(kind: WorkflowKind, stateMachine: sfn.IStateMachine): this {
    this.addEnvironment(`${kind.toUpperCase()}_STATE_MACHINE_ARN`, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this);
    return this;
  }

  /**
   * Grants stopping executions of these state machines, and nothing else: stopping needs only
   * the execution ARN the job recorded, so no ARN goes into the environment.
   */
  public allowStoppingExecutions(...stateMachines: sfn.IStateMachine[]): this {
    for (const stateMachine of stateMachines) {
      stateMachine.grantExecution(this, 'states:StopExecution');
      acknowledgeWildcardResource(this.role!, `${executionArnPrefix(stateMachine)}:*`, 'states:StopExecution on the executions of one state machine: a job records its own execution, started at run time');
    }
    return this;
  }

  /** Sets `JWT_SECRET_ARN` and grants reading the secret value. */
  public bindJwtSecret(secret: secretsmanager.ISecret): this {
    this.addEnvironment('JWT_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  private bindTable(envName: string, table: dynamodb.ITable, access: TableAccess): this {
    this.addEnvironment(envName, table.tableName);
    if (access.actions.length > 0) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: access.actions.map((action) => `dynamodb:${action}`), resources: [table.tableArn] }));
    }
    const indexes = access.indexQueries ?? [];
    if (indexes.length > 0) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes.map((index) => `${table.tableArn}/index/${index}`) }));
    }
    // AWS-owned or AWS-managed keys need no grant; a customer-managed key does.
    if (access.actions.some((action) => !READ_ACTIONS.has(action))) table.encryptionKey?.grantEncryptDecrypt(this);
    else table.encryptionKey?.grantDecrypt(this);
    return this;
  }
}

/** IAM writes a single condition value as a string: keep the policy as people write it. */
function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

const READ_ACTIONS: ReadonlySet<TableAction> = new Set(['GetItem', 'BatchGetItem', 'Query']);

/**
 * The execution ARN prefix of a state machine (`...:execution:<name>`), built the way
 * `grantExecution` builds it, so that `${executionArnPrefix(sm)}:*` names the same resource.
 */
export function executionArnPrefix(stateMachine: sfn.IStateMachine): string {
  return cdk.Stack.of(stateMachine).formatArn({
    resource: 'execution',
    service: 'states',
    resourceName: cdk.Arn.split(stateMachine.stateMachineArn, cdk.ArnFormat.COLON_RESOURCE_NAME).resourceName,
    arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** A key pattern starts with a purpose folder (`uploads/`), never with a wildcard. */
function checkKeyPattern(pattern: string): string {
  if (!/^[a-z][a-z0-9-]*\//.test(pattern)) throw new Error(`A files bucket key pattern must start with a purpose prefix such as "uploads/", got "${pattern}"`);
  return pattern;
}

function checkKeyPrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9-]*\/$/.test(prefix)) throw new Error(`A delete prefix must be one purpose folder such as "work/", got "${prefix}"`);
  return prefix;
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
