/** DynamoDB Local (in memory) and s3rver, provisioned from the synthesized templates. */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from '../../lib/local/dynamodb-local';
import { buildLocalModel, LocalModel } from '../../lib/local/local-model';
import { S3Local, startS3Local } from '../../lib/local/s3-local';
import { synthStackTemplates } from '../../lib/local/synth';

describe('DynamoDB Local and s3rver from the template', () => {
  let model: LocalModel;
  let dynamodb: DynamoDbLocal | undefined;
  let s3: S3Local | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-services-'));
    model = buildLocalModel(synthStackTemplates());
    [dynamodb, s3] = await Promise.all([
      startDynamoDbLocal({ inMemory: true }),
      startS3Local({ directory: path.join(dir, 's3'), buckets: model.buckets }),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([dynamodb?.stop(), s3?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the template tables (idempotently) with their keys and TTL', async () => {
    await dynamodb!.ensureTables(model.tables);
    await dynamodb!.ensureTables(model.tables);
    const client = new DynamoDBClient({ endpoint: dynamodb!.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    try {
      const { TableNames } = await client.send(new ListTablesCommand({}));
      expect(TableNames?.sort()).toEqual(model.tables.map((t) => t.name).sort());
      for (const table of model.tables) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: table.name }));
        expect(Table?.KeySchema).toEqual(table.keySchema);
        expect(Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName) ?? []).toEqual(table.gsis.map((g) => g.IndexName));
        if (table.ttlAttribute) {
          const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table.name }));
          expect(ttl.TimeToLiveDescription?.AttributeName).toBe(table.ttlAttribute);
        }
      }
    } finally {
      client.destroy();
    }
  });

  it('serves the template buckets to an S3 client configured as the handlers are', async () => {
    const client = new S3Client({
      endpoint: s3!.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const { Buckets } = await client.send(new ListBucketsCommand({}));
      expect(Buckets?.map((b) => b.Name)).toEqual(model.buckets);
      await client.send(new PutObjectCommand({ Bucket: model.buckets[0], Key: 'uploads/a.csv', Body: 'id,name\n1,x\n' }));
      const object = await client.send(new GetObjectCommand({ Bucket: model.buckets[0], Key: 'uploads/a.csv' }));
      expect(await object.Body?.transformToString()).toBe('id,name\n1,x\n');
    } finally {
      client.destroy();
    }
  });
});
