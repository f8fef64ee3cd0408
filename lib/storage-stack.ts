import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export type StorageStackProps = cdk.StackProps;

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

  /** HS256 signing key for the API's bearer tokens. */
  public readonly jwtSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props?: StorageStackProps) {
    super(scope, id, {
      description: 'dataio stateful resources: DynamoDB tables, files bucket, JWT secret',
      ...props,
    });

    this.jobsTable = newTable(this, 'JobsTable');
    this.recordsTable = newTable(this, 'RecordsTable');

    this.filesBucket = new s3.Bucket(this, 'FilesBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
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
      lifecycleRules: [
        // Export assembly uses multipart uploads; a crashed one must not bill forever.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: cdk.Duration.days(7) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: cdk.Duration.days(30) },
        // Intermediate files of a job that was cancelled or crashed before cleaning up.
        { id: 'expire-work-files', prefix: 'work/', expiration: cdk.Duration.days(3) },
        // Presigned uploads that never became an import.
        { id: 'expire-unused-uploads', prefix: 'uploads/', expiration: cdk.Duration.days(7) },
      ],
    });

    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSecret', {
      description: 'dataio API HS256 JWT signing key',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
  }
}

/** Single-table layout (`pk`/`sk`); items carrying an epoch-seconds `ttl` expire on their own. */
function newTable(scope: Construct, id: string): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    timeToLiveAttribute: 'ttl',
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
}
