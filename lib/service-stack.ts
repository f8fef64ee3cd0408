import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DataioApi } from './constructs/dataio-api';
import { DataioMonitoring } from './constructs/dataio-monitoring';
import type { DataioIdentity } from './constructs/dataio-identity';
import { ExportWorkflow } from './constructs/export-workflow';
import { ImportWorkflow } from './constructs/import-workflow';
import { StuckJobSweeper } from './constructs/stuck-job-sweeper';
import { WorkflowFunction, assertPositiveInteger } from './constructs/workflow-function';

export interface ServiceStackProps extends cdk.StackProps {
  /** DataJob table from the StorageStack. */
  readonly jobsTable: dynamodb.ITable;

  /** Business records table from the StorageStack. */
  readonly recordsTable: dynamodb.ITable;

  /** Files bucket from the StorageStack. */
  readonly filesBucket: s3.IBucket;

  /** JWT signing key from the StorageStack. */
  readonly jwtSecret: secretsmanager.ISecret;

  /**
   * Rows per import chunk.
   * @default 5000
   */
  readonly importChunkRows?: number;

  /**
   * Parallel export segments.
   * @default 4
   */
  readonly exportSegments?: number;

  /**
   * Parallel iterations of each workflow Map state.
   * @default 10
   */
  readonly mapMaxConcurrency?: number;
  /** Parallel chunk tasks of an import (Distributed Map). @default 200 */
  readonly chunkMaxConcurrency?: number;

  /**
   * The identity provider whose tokens the API accepts: a JWKS URL (Cognito, any OIDC provider),
   * issuer, audience and claim names. See `DataioIdentity` and `cognitoIdentity()`.
   * @default - dataio's own HS256 tokens signed with `jwtSecret`
   */
  readonly identity?: DataioIdentity;

  /**
   * Expected `iss` claim of bearer tokens.
   * @default 'dataio'
   */
  readonly jwtIssuer?: string;

  /**
   * Expected `aud` claim of bearer tokens.
   * @default 'dataio-api'
   */
  readonly jwtAudience?: string;

  /**
   * Lifetime of presigned download URLs.
   * @default 900
   */
  readonly downloadUrlTtlSeconds?: number;

  /**
   * Lifetime of presigned upload URLs.
   * @default 900
   */
  readonly uploadUrlTtlSeconds?: number;

  /**
   * Largest import file accepted from a presigned upload, in bytes (at most 5 GiB).
   * @default 5 GiB
   */
  readonly maxUploadBytes?: number;

  /**
   * Steady-state requests per second the API stage accepts (API Gateway throttles the rest with 429).
   * @default 100
   */
  readonly apiRateLimit?: number;

  /**
   * Requests the API stage accepts in a burst above the steady rate.
   * @default 200
   */
  readonly apiBurstLimit?: number;

  /**
   * Retention of every log group of the stack.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Days a DataJob item lives after its creation (`StorageStack.jobTtlDays`).
   * @default 90
   */
  readonly jobTtlDays?: number;

  /**
   * Email address notified of alarms (it must confirm the SNS subscription).
   * @default - none; subscribe to the `AlarmTopicArn` output
   */
  readonly alarmEmail?: string;

  /**
   * CloudWatch namespace of the business metrics; give each deployment in one account its own.
   * @default 'Dataio'
   */
  readonly metricsNamespace?: string;

  /**
   * How long a job may stay RUNNING before the sweeper fails it with `stuck_timeout`.
   * @default Duration.hours(6)
   */
  readonly stuckJobRunningTimeout?: cdk.Duration;

  /**
   * How long a job may wait PENDING or QUEUED before the sweeper fails it.
   * @default Duration.hours(1)
   */
  readonly stuckJobQueuedTimeout?: cdk.Duration;
}

/**
 * The stateless half of dataio: functions, state machines and the REST API. It can be destroyed
 * and redeployed at will; the data lives in the StorageStack.
 */
export class ServiceStack extends cdk.Stack {
  public readonly importWorkflow: ImportWorkflow;
  public readonly exportWorkflow: ExportWorkflow;
  public readonly api: DataioApi;
  /** Shared by both workflows' failure branches. */
  public readonly jobFailFunction: WorkflowFunction;
  /** Fails jobs stuck past their limit, every few minutes. */
  public readonly stuckJobSweeper: StuckJobSweeper;
  /** Dashboard, alarms and the alarm topic. */
  public readonly monitoring: DataioMonitoring;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, {
      description: 'dataio stateless service: API Gateway, Lambda functions, Step Functions workflows',
      ...props,
    });

    const data = {
      jobsTable: props.jobsTable,
      recordsTable: props.recordsTable,
      filesBucket: props.filesBucket,
      importChunkRows: props.importChunkRows,
      exportSegments: props.exportSegments,
      logRetention: props.logRetention,
    };
    // job-fail marks the job FAILED and removes its work/ files: no records, no other files.
    this.jobFailFunction = new WorkflowFunction(this, 'JobFailFunction', {
      ...data,
      entry: 'lambdas/workflow/job-fail.ts',
      files: { deletePrefixes: ['work/'] },
    });
    const machine = { jobFailFunction: this.jobFailFunction, maxConcurrency: props.mapMaxConcurrency, chunkMaxConcurrency: props.chunkMaxConcurrency, logRetention: props.logRetention };

    this.importWorkflow = new ImportWorkflow(this, 'ImportWorkflow', { ...data, ...machine });
    this.exportWorkflow = new ExportWorkflow(this, 'ExportWorkflow', { ...data, ...machine });

    this.api = new DataioApi(this, 'Api', {
      jobsTable: props.jobsTable,
      recordsTable: props.recordsTable,
      filesBucket: props.filesBucket,
      jwtSecret: props.jwtSecret,
      importStateMachine: this.importWorkflow.stateMachine,
      exportStateMachine: this.exportWorkflow.stateMachine,
      identity: props.identity,
      jwtIssuer: props.jwtIssuer,
      jwtAudience: props.jwtAudience,
      downloadUrlTtlSeconds: props.downloadUrlTtlSeconds,
      uploadUrlTtlSeconds: props.uploadUrlTtlSeconds,
      maxUploadBytes: props.maxUploadBytes,
      throttlingRateLimit: props.apiRateLimit,
      throttlingBurstLimit: props.apiBurstLimit,
      logRetention: props.logRetention,
    });

    // Only the functions that create jobs set their expiry.
    const jobTtlDays = props.jobTtlDays ?? 90;
    assertPositiveInteger('jobTtlDays', jobTtlDays);
    for (const fn of [this.api.functions.createImport, this.api.functions.createExport]) fn.addEnvironment('JOB_TTL_DAYS', String(jobTtlDays));

    const stateMachines = [this.importWorkflow.stateMachine, this.exportWorkflow.stateMachine];
    this.stuckJobSweeper = new StuckJobSweeper(this, 'StuckJobSweeper', {
      jobsTable: props.jobsTable,
      filesBucket: props.filesBucket,
      stateMachines,
      runningTimeout: props.stuckJobRunningTimeout,
      queuedTimeout: props.stuckJobQueuedTimeout,
      logRetention: props.logRetention,
    });
    this.monitoring = new DataioMonitoring(this, 'Monitoring', {
      stateMachines: { Import: this.importWorkflow.stateMachine, Export: this.exportWorkflow.stateMachine },
      functions: {
        ...labelled('Api', this.api.functions),
        ...labelled('Import', this.importWorkflow.functions),
        ...labelled('Export', this.exportWorkflow.functions),
        JobFail: this.jobFailFunction,
        StuckJobSweeper: this.stuckJobSweeper.function,
      },
      chunkFunctions: {
        ValidateChunk: this.importWorkflow.functions.validateChunk,
        CommitChunk: this.importWorkflow.functions.commitChunk,
        ExportSegment: this.exportWorkflow.functions.exportSegment,
      },
      tables: { Jobs: props.jobsTable, Records: props.recordsTable },
      api: this.api.api,
      metricsNamespace: props.metricsNamespace,
      alarmEmail: props.alarmEmail,
      sweepInterval: this.stuckJobSweeper.interval,
    });

    new cdk.CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the dataio REST API (paths start with /api/v1)',
      value: this.api.api.url,
    });
    new cdk.CfnOutput(this, 'ImportStateMachineArn', { value: this.importWorkflow.stateMachine.stateMachineArn });
    new cdk.CfnOutput(this, 'ExportStateMachineArn', { value: this.exportWorkflow.stateMachine.stateMachineArn });
  }
}

/** `{ getJob: fn }` → `{ ApiGetJob: fn }`: readable alarm names. */
function labelled<T extends object>(prefix: string, functions: T): Record<string, T[keyof T]> {
  return Object.fromEntries((Object.entries(functions) as Array<[string, T[keyof T]]>).map(([name, fn]) => [`${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`, fn]));
}
