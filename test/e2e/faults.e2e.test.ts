/**
 * Faults on the local stack, in process so the test can break an adapter: the synthesized state
 * machine's Retry must finish a chunk that crashed half-way with exact counts and no duplicates.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDbRecordStore } from '../../layers/aws/dynamodb-record-store';
import { issueToken } from '../../lambdas/shared/jwt';
import { startLocalStack, type LocalStack } from '../../lib/local/local-stack';
import { ApiClient } from '../support/api-client';

jest.setTimeout(120_000);

describe('faults, on the local stack', () => {
  let stack: LocalStack;
  let dataDir: string;
  let api: ApiClient;

  beforeAll(async () => {
    process.env.DATAIO_LOG = 'silent';
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-faults-'));
    stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: false, log: () => undefined });
    api = new ApiClient(stack.apiUrl, issueToken({ org: 'acme', user: 'alice', perms: ['*'] }, stack.jwtSecret));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    delete process.env.DATAIO_LOG;
  });

  it('a chunk that crashes mid-commit is retried and writes every row exactly once', async () => {
    const write = DynamoDbRecordStore.prototype.write;
    let crashed = false;
    // The first commit batch writes half its records, then the Lambda "dies".
    jest.spyOn(DynamoDbRecordStore.prototype, 'write').mockImplementation(async function (this: DynamoDbRecordStore, org, model, writes) {
      if (!crashed && model.plural === 'tags' && writes.length > 1) {
        crashed = true;
        await write.call(this, org, model, writes.slice(0, Math.floor(writes.length / 2)));
        throw new Error('simulated crash after a partial write');
      }
      return write.call(this, org, model, writes);
    });
    const names = Array.from({ length: 1200 }, (_, i) => `crash-${String(i).padStart(5, '0')}`);

    const started = await api.importCsv('tags', 'tags.csv', `name\n${names.join('\n')}\n`);
    const job = await api.waitForJob(started.body.job_id, 90_000);
    const { csv } = await api.exportCsv('tags');
    const exported = csv.trim().split('\n').slice(1).map((line) => line.split(',')[1]);

    expect(crashed).toBe(true);
    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toEqual({ rows: 1200, new: 1200, updated: 0, skipped: 0, errors: 0 });
    expect(exported).toHaveLength(1200);
    expect(new Set(exported).size).toBe(1200);
    expect(exported.sort()).toEqual(names);
  });
});
