import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OPEN_JOBS_INDEX } from '../../layers/aws/dynamodb-job-repository';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '../../lib/local/dynamodb-local';
import type { LocalTable } from '../../lib/local/local-model';
import { startS3Local, type S3Local } from '../../lib/local/s3-local';

const pkSk = (name: string): LocalTable => ({
  logicalId: name,
  name,
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  gsis: [],
  lsis: [],
});

/** The jobs table: pk/sk and the open-jobs index the storage stack gives it. */
const jobsTable = (name: string): LocalTable => {
  const base = pkSk(name);
  return {
    ...base,
    attributeDefinitions: [
      ...base.attributeDefinitions,
      { AttributeName: OPEN_JOBS_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: OPEN_JOBS_INDEX.sortKey, AttributeType: 'S' },
    ],
    gsis: [
      {
        IndexName: OPEN_JOBS_INDEX.indexName,
        KeySchema: [
          { AttributeName: OPEN_JOBS_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: OPEN_JOBS_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...OPEN_JOBS_INDEX.nonKeyAttributes] },
      },
    ],
  };
};

/** DynamoDB Local (in memory) and s3rver for adapter contract tests, with one table each kind. */
export interface Emulators {
  readonly documentClient: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly recordsTable: string;
  readonly jobsTable: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** Starts the emulators the local stack uses, on free ports. */
export async function startEmulators(): Promise<Emulators> {
  const dir = mkdtempSync(join(tmpdir(), 'dataio-emulators-'));
  const dynamo: DynamoDbLocal = await startDynamoDbLocal({ inMemory: true });
  await dynamo.ensureTables([pkSk('records'), jobsTable('jobs')]);
  const s3local: S3Local = await startS3Local({ directory: dir, buckets: ['files'] });
  const region = 'us-east-1';
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: LOCAL_CREDENTIALS }), {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: true },
  });
  const s3 = new S3Client({
    endpoint: s3local.endpoint,
    region,
    // s3rver knows one access key (it does not verify signatures).
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    documentClient,
    s3,
    recordsTable: 'records',
    jobsTable: 'jobs',
    bucket: 'files',
    async stop() {
      documentClient.destroy();
      s3.destroy();
      await Promise.all([dynamo.stop(), s3local.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
