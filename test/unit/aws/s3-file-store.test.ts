/* eslint-disable @typescript-eslint/no-explicit-any -- scripted SDK answers are untyped on purpose */
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3FileStore, UPLOAD_PART_BYTES } from '../../../layers/aws/s3-file-store';

const CHUNK = 64 * 1024;

/** A body that makes `total` bytes only when read, counting what was read so far. */
function countedSource(total: number) {
  const state = { read: 0 };
  const stream = new Readable({
    read() {
      if (state.read >= total) return void this.push(null);
      const size = Math.min(CHUNK, total - state.read);
      const chunk = Buffer.alloc(size, state.read / CHUNK);
      state.read += size;
      this.push(chunk);
    },
  });
  return { stream, state };
}

/**
 * An S3 client whose UploadPart calls stay pending until the test lets them finish, so the sink
 * is as slow as the test wants. Records, at each UploadPart, how many bytes the store had read
 * from its body beyond the parts S3 had acknowledged.
 */
function slowClient(source: { read: number }, options: { failPart?: number } = {}) {
  const commands: Array<{ name: string; input: any }> = [];
  const pending: Array<() => void> = [];
  const uploaded = new Map<number, Buffer>();
  let acknowledged = 0;
  let maxOutstanding = 0;
  const client = {
    send: jest.fn(async (command: { constructor: { name: string }; input: any }) => {
      const name = command.constructor.name;
      commands.push({ name, input: command.input });
      if (name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' };
      if (name === 'UploadPartCommand') {
        const body = Buffer.from(command.input.Body as Buffer);
        maxOutstanding = Math.max(maxOutstanding, source.read - acknowledged);
        await new Promise<void>((resolve) => pending.push(resolve));
        if (command.input.PartNumber === options.failPart) throw new Error('part refused');
        uploaded.set(command.input.PartNumber, body);
        acknowledged += body.length;
        return { ETag: `"e${command.input.PartNumber}"` };
      }
      return {};
    }),
  } as unknown as S3Client;
  /** Lets the pending parts finish one by one until `done` settles. */
  const drive = async (done: Promise<unknown>) => {
    let settled = false;
    void done.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      pending.shift()?.();
    }
  };
  return { client, commands, uploaded, drive, maxOutstanding: () => maxOutstanding };
}

describe('S3FileStore.put of a stream', () => {
  it('reads no further ahead of a slow S3 than the part being filled and the one in flight', async () => {
    const total = 4 * UPLOAD_PART_BYTES + 123_456;
    const { stream, state } = countedSource(total);
    const s3 = slowClient(state);
    const store = new S3FileStore({ client: s3.client, bucket: 'b' });

    const done = store.put('k', stream, { contentType: 'text/csv' });
    await s3.drive(done);
    const info = await done;

    expect(info).toEqual({ size: total, contentType: 'text/csv' });
    // One part in flight and one being filled, plus what the body's own buffer holds.
    expect(s3.maxOutstanding()).toBeLessThanOrEqual(2 * UPLOAD_PART_BYTES + 4 * CHUNK);
    expect(s3.maxOutstanding()).toBeGreaterThanOrEqual(UPLOAD_PART_BYTES);
    const complete = s3.commands.find((c) => c.name === 'CompleteMultipartUploadCommand')!;
    expect(complete.input.MultipartUpload.Parts.map((p: any) => p.PartNumber)).toEqual([1, 2, 3, 4, 5]);
    const bytes = Buffer.concat([1, 2, 3, 4, 5].map((n) => s3.uploaded.get(n)!));
    expect(bytes.length).toBe(total);
    expect(bytes.equals(Buffer.concat(Array.from({ length: Math.ceil(total / CHUNK) }, (_, i) => Buffer.alloc(Math.min(CHUNK, total - i * CHUNK), i))))).toBe(true);
    expect([1, 2, 3, 4].every((n) => s3.uploaded.get(n)!.length === UPLOAD_PART_BYTES)).toBe(true);
  });

  it('stores a body smaller than one part with a single PutObject', async () => {
    const s3 = slowClient({ read: 0 });
    const store = new S3FileStore({ client: s3.client, bucket: 'b' });
    const info = await store.put('k', Readable.from(['a,b\n', Buffer.from('1,2\n')]), { contentType: 'text/csv' });
    expect(info.size).toBe(8);
    expect(s3.commands.map((c) => c.name)).toEqual(['PutObjectCommand']);
    expect(Buffer.from(s3.commands[0]!.input.Body).toString()).toBe('a,b\n1,2\n');
  });

  it('aborts the multipart upload when a part fails, and rejects', async () => {
    const { stream, state } = countedSource(3 * UPLOAD_PART_BYTES);
    const s3 = slowClient(state, { failPart: 2 });
    const store = new S3FileStore({ client: s3.client, bucket: 'b' });
    const done = store.put('k', stream);
    await s3.drive(done);
    await expect(done).rejects.toThrow('part refused');
    expect(s3.commands.map((c) => c.name)).toContain('AbortMultipartUploadCommand');
    expect(s3.commands.map((c) => c.name)).not.toContain('CompleteMultipartUploadCommand');
  });
});
