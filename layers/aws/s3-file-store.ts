import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { FileNotFoundError } from '../core/errors';
import type { FileInfo, FileStore, PresignedUpload, PresignedUrl } from '../core/ports';

/**
 * A streamed upload holds at most (queue size + 1) parts: the one being filled and those in
 * flight, each one preallocated buffer the stream's bytes are copied into. S3's smallest part,
 * one in flight: 10 MB per stream. A second part in flight buys nothing here: a segment produces
 * its part at DynamoDB's read rate and Assemble renders CSV at ~10 MB/s, while one PUT to S3
 * moves 5 MB in well under a second; and an export runs four segments at once, each with its
 * own stream. (lib-storage's `Upload` held up to 25 MB a stream with two in flight: the filling
 * part as the stream's small chunks, then their `Buffer.concat` copy, besides the parts in
 * flight.) 10,000 parts of 5 MB allow 48 GB, beyond any file a Lambda can write in 15 minutes.
 */
export const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_QUEUE_SIZE = 1;

/** Files in one S3 bucket. Streams go up as multipart uploads, so memory stays flat. */
export class S3FileStore implements FileStore {
  constructor(private readonly options: { client: S3Client; bucket: string; presignClient?: S3Client }) {}

  async put(key: string, body: Readable | Buffer | string, options: { contentType?: string } = {}): Promise<FileInfo> {
    const { client, bucket } = this.options;
    if (body instanceof Readable) return this.putStream(key, body, options.contentType);
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: buffer, ContentType: options.contentType }));
    return { size: buffer.length, contentType: options.contentType };
  }

  /**
   * Reads `body` into part buffers and uploads each full one, reading no further while
   * `UPLOAD_QUEUE_SIZE` parts are in flight (the body's producer then waits on its own
   * backpressure). A body smaller than one part is a single PutObject. On any failure the
   * multipart upload is aborted, so S3 keeps no orphaned parts.
   */
  private async putStream(key: string, body: Readable, contentType: string | undefined): Promise<FileInfo> {
    const { client, bucket } = this.options;
    let uploadId: string | undefined;
    const completed: CompletedPart[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let part = Buffer.allocUnsafe(UPLOAD_PART_BYTES);
    let filled = 0;
    let partNumber = 0;
    let size = 0;
    const send = async (data: Buffer) => {
      // Waiting for a slot here is what stops the loop below from reading ahead.
      while (inFlight.size >= UPLOAD_QUEUE_SIZE) await Promise.race(inFlight);
      if (failure) throw failure.error;
      uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }))).UploadId;
      partNumber += 1;
      const PartNumber = partNumber;
      const sent: Promise<void> = client
        .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: data, ContentLength: data.length }))
        .then((result) => void completed.push({ PartNumber, ETag: result.ETag }))
        .catch((error: unknown) => void (failure ??= { error }))
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    };
    try {
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += data.length;
        while (data.length > 0) {
          const copied = data.copy(part, filled);
          filled += copied;
          data = data.subarray(copied);
          if (filled < UPLOAD_PART_BYTES) continue;
          await send(part);
          part = Buffer.allocUnsafe(UPLOAD_PART_BYTES);
          filled = 0;
        }
      }
      if (uploadId === undefined) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: part.subarray(0, filled), ContentType: contentType }));
        return { size, contentType };
      }
      if (filled > 0) await send(part.subarray(0, filled));
      await Promise.all(inFlight);
      if (failure) throw failure.error;
      completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
      return { size, contentType };
    } catch (error) {
      body.destroy();
      await Promise.all(inFlight);
      if (uploadId !== undefined) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
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
