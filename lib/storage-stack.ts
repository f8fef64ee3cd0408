import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { OPEN_JOBS_INDEX } from '../layers/aws/dynamodb-job-repository';

/** How long DataJobs and their files are kept. */
export interface StorageStackProps extends cdk.StackProps {
  /**
   * Days a DataJob item lives after its creation (the `ttl` its writers set; DynamoDB deletes it
   * within a few days after). The ServiceStack gives it to the functions that create jobs.
   * @default 90
   */
  readonly jobTtlDays?: number;

  /**
   * Days an export's output file is kept (`exports/`). At most `jobTtlDays`: a job that is still
   * listed should still be able to hand out its file.
   * @default jobTtlDays
   */
  readonly exportRetentionDays?: number;

  /**
   * Days an import's files are kept (`imports/`: the uploaded input and the error report next to
   * it). At most `jobTtlDays`.
   * @default jobTtlDays
   */
  readonly importRetentionDays?: number;

  /**
   * Days a presigned upload that never became an import is kept (`uploads/`).
   * @default 7
   */
  readonly uploadRetentionDays?: number;

  /**
   * Days the intermediate files of a cancelled or crashed job are kept (`work/`).
   * @default 3
   */
  readonly workFileRetentionDays?: number;

  /**
   * Days a deleted or overwritten file's previous version is kept (the bucket is versioned).
   * Work files and unused uploads keep theirs one day.
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;

  /**
   * Days the files bucket's server access logs are kept in the access log bucket.
   * @default 365
   */
  readonly accessLogRetentionDays?: number;
}

/**
 * The stateful half of dataio: everything here outlives a redeploy and is retained when the
 * stack is deleted. The stateless ServiceStack receives these resources through typed props.
 */
export class StorageStack extends cdk.Stack {
  /** DataJob items (status, progress, result_log); `ttl` expires finished jobs. */
  public readonly jobsTable: dynamodb.Table;

  /** The business records imported into and exported from dataio. */
  public readonly recordsTable: dynamodb.Table;

  /** Uploaded import files, chunk manifests, error reports and export outputs. */
  public readonly filesBucket: s3.Bucket;

  /** Server access logs of the files bucket: who read or wrote which file, and when. */
  public readonly accessLogsBucket: s3.Bucket;

  /** HS256 signing key for the API's bearer tokens. */
  public readonly jwtSecret: secretsmanager.Secret;

  /** Days a DataJob item lives, for the functions that create jobs. */
  public readonly jobTtlDays: number;

  constructor(scope: Construct, id: string, props: StorageStackProps = {}) {
    super(scope, id, {
      description: 'dataio stateful resources: DynamoDB tables, files bucket, JWT secret',
      ...props,
    });
    const retention = retentionDays(props);
    this.jobTtlDays = retention.jobTtlDays;

    this.jobsTable = newTable(this, 'JobsTable');
    // Sparse: only open jobs carry the keys, so the stuck-job sweeper reads the jobs in flight
    // and never the finished ones. Status changes are rare next to row writes: three partition
    // key values do not make a hot partition.
    this.jobsTable.addGlobalSecondaryIndex({
      indexName: OPEN_JOBS_INDEX.indexName,
      partitionKey: { name: OPEN_JOBS_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: OPEN_JOBS_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...OPEN_JOBS_INDEX.nonKeyAttributes],
    });
    this.recordsTable = newTable(this, 'RecordsTable');

    // S3 delivers server access logs only to an SSE-S3 bucket (not SSE-KMS), in the same region.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: cdk.Duration.days(retention.accessLogRetentionDays) }],
    });
    cdk.Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access log bucket itself: logging its own reads would log into itself; S3 writes to it as the logging service, and only administrators read it.',
    });

    // One versioned bucket for every file (see docs/security.md, Infrastructure): versioning
    // keeps an overwritten or deleted input or output recoverable, and the lifecycle rules below
    // bound what it costs: noncurrent versions expire, sooner for work files and unused uploads.
    this.filesBucket = new s3.Bucket(this, 'FilesBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'files/',
      // Browsers upload import files and download exports straight from S3 with presigned URLs.
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
          allowedOrigins: ['*'],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      // Prefix filters, since every key starts with its purpose (see fileKeys). An expired object
      // of this versioned bucket becomes a noncurrent version, which the noncurrent rules remove.
      lifecycleRules: [
        // Export assembly uses multipart uploads; a crashed one must not bill forever.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: cdk.Duration.days(7) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: cdk.Duration.days(retention.noncurrentVersionRetentionDays) },
        // Once the noncurrent version of an expired file is gone, its delete marker is too.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
        // Intermediate files of a job that was cancelled or crashed before cleaning up.
        {
          id: 'expire-work-files',
          prefix: 'work/',
          expiration: cdk.Duration.days(retention.workFileRetentionDays),
          noncurrentVersionExpiration: cdk.Duration.days(1),
        },
        // Presigned uploads that never became an import.
        {
          id: 'expire-unused-uploads',
          prefix: 'uploads/',
          expiration: cdk.Duration.days(retention.uploadRetentionDays),
          noncurrentVersionExpiration: cdk.Duration.days(1),
        },
        // Export outputs.
        { id: 'expire-export-outputs', prefix: 'exports/', expiration: cdk.Duration.days(retention.exportRetentionDays) },
        // Import inputs and their error reports (`imports/<org>/<job>/input|errors/`).
        { id: 'expire-import-files', prefix: 'imports/', expiration: cdk.Duration.days(retention.importRetentionDays) },
      ],
    });

    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSecret', {
      description: 'dataio API HS256 JWT signing key',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    cdk.Validations.of(this.jwtSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The HS256 key is shared with whoever issues dataio tokens: rotating it on a schedule would invalidate every token they hold without telling them. It is rotated by hand with the issuer (docs/security.md), and unused when an identity provider (JWKS) is configured.',
    });
  }
}

/** The retention settings with their defaults, checked against each other at synth. */
function retentionDays(props: StorageStackProps): Required<Omit<StorageStackProps, keyof cdk.StackProps>> {
  const jobTtlDays = props.jobTtlDays ?? 90;
  const days = {
    jobTtlDays,
    exportRetentionDays: props.exportRetentionDays ?? jobTtlDays,
    importRetentionDays: props.importRetentionDays ?? jobTtlDays,
    uploadRetentionDays: props.uploadRetentionDays ?? 7,
    workFileRetentionDays: props.workFileRetentionDays ?? 3,
    noncurrentVersionRetentionDays: props.noncurrentVersionRetentionDays ?? 30,
    accessLogRetentionDays: props.accessLogRetentionDays ?? 365,
  };
  for (const [name, value] of Object.entries(days)) {
    if (!cdk.Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1)) throw new Error(`${name} must be a positive whole number of days, got ${value}`);
  }
  for (const name of ['exportRetentionDays', 'importRetentionDays'] as const) {
    // Files kept longer than their job would belong to no listed job: paid for, never reachable.
    if (days[name] > jobTtlDays) throw new Error(`${name} (${days[name]}) must not exceed jobTtlDays (${jobTtlDays}): the files would outlive the jobs that reference them`);
  }
  return days;
}

/**
 * Single-table layout (`pk`/`sk`); items carrying an epoch-seconds `ttl` expire on their own.
 * Encrypted (AWS-managed key), point-in-time recovery, deletion protection, retained.
 */
function newTable(scope: Construct, id: string): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    timeToLiveAttribute: 'ttl',
    removalPolicy: cdk.RemovalPolicy.RETAIN,
    // Retained tables are also protected from a delete call, by a person or a stack.
    deletionProtection: true,
  });
}
