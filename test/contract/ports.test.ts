import { DynamoDbJobRepository } from '../../layers/aws/dynamodb-job-repository';
import { DynamoDbRecordStore } from '../../layers/aws/dynamodb-record-store';
import { S3FileStore } from '../../layers/aws/s3-file-store';
import { InMemoryFileStore } from '../support/in-memory-file-store';
import { InMemoryJobRepository } from '../support/in-memory-job-repository';
import { InMemoryRecordStore } from '../support/in-memory-record-store';
import { startEmulators, type Emulators } from '../support/emulators';
import { fileStoreContract } from './file-store.contract';
import { jobRepositoryContract } from './job-repository.contract';
import { recordStoreContract } from './record-store.contract';

jest.setTimeout(60_000);

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await emulators?.stop();
});

recordStoreContract('in-memory', async () => new InMemoryRecordStore());
recordStoreContract('DynamoDB (DynamoDB Local)', async () => new DynamoDbRecordStore({ client: emulators.documentClient, tableName: emulators.recordsTable }));

jobRepositoryContract('in-memory', async () => new InMemoryJobRepository());
jobRepositoryContract('DynamoDB (DynamoDB Local)', async () => new DynamoDbJobRepository({ client: emulators.documentClient, tableName: emulators.jobsTable }));

fileStoreContract('in-memory', async () => new InMemoryFileStore());
fileStoreContract('S3 (s3rver)', async () => new S3FileStore({ client: emulators.s3, bucket: emulators.bucket }), { downloadsOverHttp: true });
