import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { REPO_ROOT } from './constructs/dataio-function';
import type { DataioIdentity } from './constructs/dataio-identity';
import { ServiceStack } from './service-stack';
import { StorageStack } from './storage-stack';

export interface CreateAppOptions {
  /** Context entries; they override cdk.json's. Tests pass `'aws:cdk:bundling-stacks': []`. */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory. */
  readonly outdir?: string;
}

export interface DataioApp {
  readonly app: cdk.App;
  readonly storage: StorageStack;
  readonly service: ServiceStack;
}

/**
 * Builds the dataio CDK app: `DataioStorage` (stateful) and `DataioService` (stateless).
 *
 * cdk.json's context (feature flags and `dataio:*` settings) is applied here too, so the CLI,
 * the tests and the local stack all synthesize the same templates. Settings read from context:
 * `dataio:importChunkRows`, `dataio:exportSegments`, `dataio:mapMaxConcurrency`, `dataio:chunkMaxConcurrency`,
 * `dataio:jwtIssuer`, `dataio:jwtAudience`, `dataio:downloadUrlTtlSeconds`, `dataio:apiRateLimit`, `dataio:apiBurstLimit`, `dataio:logRetentionDays`,
 * `dataio:jobTtlDays`, `dataio:exportRetentionDays`, `dataio:importRetentionDays`, `dataio:alarmEmail`,
 * `dataio:metricsNamespace`, `dataio:stuckJobRunningMinutes` (see docs/operations.md),
 * and for an identity provider `dataio:jwksUrl`, `dataio:jwtUserClaim`, `dataio:jwtOrgClaim`,
 * `dataio:jwtPermsClaim` (see docs/security.md), and `dataio:nag` (run the cdk-nag AwsSolutions checks).
 */
export function createApp(options: CreateAppOptions = {}): DataioApp {
  const app = new cdk.App({
    context: { ...readCdkJsonContext(), ...options.context },
    outdir: options.outdir,
  });
  cdk.Tags.of(app).add('project', 'dataio');

  const storage = new StorageStack(app, 'DataioStorage', {
    jobTtlDays: numberContext(app, 'dataio:jobTtlDays'),
    exportRetentionDays: numberContext(app, 'dataio:exportRetentionDays'),
    importRetentionDays: numberContext(app, 'dataio:importRetentionDays'),
  });
  const service = new ServiceStack(app, 'DataioService', {
    jobsTable: storage.jobsTable,
    recordsTable: storage.recordsTable,
    filesBucket: storage.filesBucket,
    jwtSecret: storage.jwtSecret,
    importChunkRows: numberContext(app, 'dataio:importChunkRows'),
    exportSegments: numberContext(app, 'dataio:exportSegments'),
    mapMaxConcurrency: numberContext(app, 'dataio:mapMaxConcurrency'),
    chunkMaxConcurrency: numberContext(app, 'dataio:chunkMaxConcurrency'),
    identity: identityContext(app),
    jwtIssuer: stringContext(app, 'dataio:jwtIssuer'),
    jwtAudience: stringContext(app, 'dataio:jwtAudience'),
    downloadUrlTtlSeconds: numberContext(app, 'dataio:downloadUrlTtlSeconds'),
    apiRateLimit: numberContext(app, 'dataio:apiRateLimit'),
    apiBurstLimit: numberContext(app, 'dataio:apiBurstLimit'),
    logRetention: retentionContext(app, 'dataio:logRetentionDays'),
    jobTtlDays: storage.jobTtlDays,
    alarmEmail: stringContext(app, 'dataio:alarmEmail'),
    metricsNamespace: stringContext(app, 'dataio:metricsNamespace'),
    stuckJobRunningTimeout: minutesContext(app, 'dataio:stuckJobRunningMinutes'),
  });

  // Opt-in on `cdk synth`/`deploy` (`-c dataio:nag=true`): the checks walk every resource, and
  // test/cdk/nag.test.ts already runs them on each test run. With the flag, an unacknowledged
  // finding fails the synth.
  if (booleanContext(app, 'dataio:nag')) cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  return { app, storage, service };
}

function booleanContext(app: cdk.App, key: string): boolean {
  const raw: unknown = app.node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw new Error(`Context ${key} must be true or false, got ${JSON.stringify(raw)}`);
}

/** An identity provider from context; issuer and audience come from `dataio:jwtIssuer`/`dataio:jwtAudience`. */
function identityContext(app: cdk.App): DataioIdentity | undefined {
  const identity = {
    jwksUrl: stringContext(app, 'dataio:jwksUrl'),
    userClaim: stringContext(app, 'dataio:jwtUserClaim'),
    orgClaim: stringContext(app, 'dataio:jwtOrgClaim'),
    permsClaim: stringContext(app, 'dataio:jwtPermsClaim'),
  };
  return Object.values(identity).some((value) => value !== undefined) ? identity : undefined;
}

function readCdkJsonContext(): Record<string, unknown> {
  const file = path.join(REPO_ROOT, 'cdk.json');
  if (!fs.existsSync(file)) return {};
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return parsed.context ?? {};
}

// `cdk synth -c key=value` passes strings; cdk.json passes numbers.
function numberContext(app: cdk.App, key: string): number | undefined {
  const raw: unknown = app.node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(value)) throw new Error(`Context ${key} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

function minutesContext(app: cdk.App, key: string): cdk.Duration | undefined {
  const minutes = numberContext(app, key);
  return minutes === undefined ? undefined : cdk.Duration.minutes(minutes);
}

function stringContext(app: cdk.App, key: string): string | undefined {
  const raw: unknown = app.node.tryGetContext(key);
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || raw === '') throw new Error(`Context ${key} must be a non-empty string`);
  return raw;
}

function retentionContext(app: cdk.App, key: string): logs.RetentionDays | undefined {
  const days = numberContext(app, key);
  if (days === undefined) return undefined;
  if (!Object.values(logs.RetentionDays).includes(days)) {
    throw new Error(`Context ${key} must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...), got ${days}`);
  }
  return days as logs.RetentionDays;
}
