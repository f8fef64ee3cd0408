import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_CREDENTIALS } from '../../lib/local/dynamodb-local';
import { S3Local, startS3Local, tolerateDirectoryCleanupRaces } from '../../lib/local/s3-local';

describe('s3rver as the local stack runs it', () => {
  let s3: S3Local;
  let dir: string;
  let client: S3Client;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-s3-local-'));
    s3 = await startS3Local({ directory: dir, buckets: ['files'] });
    client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deletes a thousand keys of a few directories in one DeleteObjects, as a job cleanup does', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `work/acme/job/${i % 2 === 0 ? 'chunks' : 'rows'}/${i}.json`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => client.send(new PutObjectCommand({ Bucket: 'files', Key, Body: '{}' }))));
    }

    const deleted = await client.send(new DeleteObjectsCommand({ Bucket: 'files', Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    const left = await client.send(new ListObjectsV2Command({ Bucket: 'files', Prefix: 'work/' }));

    expect(deleted.Errors ?? []).toEqual([]);
    expect(left.KeyCount).toBe(0);
  });
});

describe('tolerateDirectoryCleanupRaces', () => {
  const failingWith = (code: string) => {
    const store = {
      deleteObject: async (_bucket: string, _key: string): Promise<void> => {
        throw Object.assign(new Error(`${code}: directory cleanup`), { code });
      },
    };
    tolerateDirectoryCleanupRaces(store);
    return store;
  };

  it('treats a lost race over an emptied directory as a successful delete', async () => {
    await expect(failingWith('ENOENT').deleteObject('files', 'work/a/b.json')).resolves.toBeUndefined();
    await expect(failingWith('ENOTEMPTY').deleteObject('files', 'work/a/b.json')).resolves.toBeUndefined();
  });

  it('still fails on any other error', async () => {
    await expect(failingWith('EACCES').deleteObject('files', 'work/a/b.json')).rejects.toThrow('EACCES');
  });
});
