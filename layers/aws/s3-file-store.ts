import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { FileNotFoundError } from '../core/errors';
import type { FileInfo, FileStore, PresignedUpload, PresignedUrl } from '../core/ports';

/**
 * A streamed upload holds up to (queue size + 1) parts in memory: the one being filled and those
 * in flight. S3's smallest part, two in flight: at most ~15 MB per stream, where 8 MB parts four
 * at a time held ~40 MB, and an export's four segments each stream one. Two parallel 5 MB PUTs
 * still outpace what a task produces (CSV renders at ~20 MB/s a core), and 10,000 parts of 5 MB
 * allow 48 GB, beyond any file a Lambda can write in 15 minutes.
 */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_QUEUE_SIZE = 2;

/** Files in one S3 bucket. Streams go up as multipart uploads, so memory stays flat. */
export class S3FileStore implements FileStore {
  constructor(private readonly options: { client: S3Client; bucket: string; presignClient?: S3Client }) {}

  async put(key: string, body: Readable | Buffer | string, options: { contentType?: string } = {}): Promise<FileInfo> {
    const { client, bucket } = this.options;
    if (body instanceof Readable) {
      let size = 0;
      const counted = new Transform({
        transform(chunk: Buffer | string, _encoding, callback) {
          size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
          callback(null, chunk);
        },
      });
      body.on('error', (error) => counted.destroy(error));
      body.pipe(counted);
      await new Upload({ client, params: { Bucket: bucket, Key: key, Body: counted, ContentType: options.contentType }, queueSize: UPLOAD_QUEUE_SIZE, partSize: UPLOAD_PART_BYTES }).done();
      return { size, contentType: options.contentType };
    }
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: buffer, ContentType: options.contentType }));
    return { size: buffer.length, contentType: options.contentType };
  }

  async get(key: string): Promise<Readable> {
    try {
      const result = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return result.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey) throw new FileNotFoundError(key, { cause: error });
      throw error;
    }
  }

  async head(key: string): Promise<FileInfo | undefined> {
    try {
      const result = await this.options.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { size: result.ContentLength ?? 0, contentType: result.ContentType };
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
      throw error;
    }
  }

  async presignDownload(key: string, options: { filename: string; expiresInSeconds: number }): Promise<PresignedUrl> {
    const client = this.options.presignClient ?? this.options.client;
    const command = new GetObjectCommand({
      Bucket: this.options.bucket,
      Key: key,
      ResponseContentDisposition: `attachment; filename="${options.filename.replace(/["\\]/g, '_')}"`,
    });
    const url = await getSignedUrl(client, command, { expiresIn: options.expiresInSeconds });
    return { url, expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString() };
  }

  async presignUpload(key: string, options: { contentType: string; expiresInSeconds: number; contentLength?: number }): Promise<PresignedUpload> {
    const client = this.options.presignClient ?? this.options.client;
    const length = options.contentLength;
    const command = new PutObjectCommand({ Bucket: this.options.bucket, Key: key, ContentType: options.contentType, ...(length !== undefined ? { ContentLength: length } : {}) });
    // The presigner leaves these headers unsigned unless asked: signed, S3 refuses any other type or
    // size (the only size limit a presigned PUT can carry; a POST policy could give a range).
    const signableHeaders = new Set(length !== undefined ? ['content-type', 'content-length'] : ['content-type']);
    const url = await getSignedUrl(client, command, { expiresIn: options.expiresInSeconds, signableHeaders });
    return {
      url,
      method: 'PUT',
      headers: { 'Content-Type': options.contentType, ...(length !== undefined ? { 'Content-Length': String(length) } : {}) },
      expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString(),
    };
  }

  async deletePrefix(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.options.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (keys.length > 0) await this.options.client.send(new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
