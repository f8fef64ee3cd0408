import { Readable } from 'node:stream';
import { FileNotFoundError } from '../../layers/core/errors';
import type { FileInfo, FileStore, PresignedUpload, PresignedUrl } from '../../layers/core/ports';

/** A FileStore held in memory, for use-case tests and the contract suite. */
export class InMemoryFileStore implements FileStore {
  readonly files = new Map<string, { body: Buffer; contentType?: string }>();

  async put(key: string, body: Readable | Buffer | string, options: { contentType?: string } = {}): Promise<FileInfo> {
    let buffer: Buffer;
    if (body instanceof Readable) {
      const parts: Buffer[] = [];
      for await (const chunk of body) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      buffer = Buffer.concat(parts);
    } else {
      buffer = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    }
    this.files.set(key, { body: buffer, contentType: options.contentType });
    return { size: buffer.length, contentType: options.contentType };
  }

  async get(key: string): Promise<Readable> {
    const file = this.files.get(key);
    if (!file) throw new FileNotFoundError(key);
    return Readable.from([file.body]);
  }

  async head(key: string): Promise<FileInfo | undefined> {
    const file = this.files.get(key);
    return file && { size: file.body.length, contentType: file.contentType };
  }

  async presignDownload(key: string, options: { filename: string; expiresInSeconds: number }): Promise<PresignedUrl> {
    return { url: `memory://${key}?filename=${encodeURIComponent(options.filename)}`, expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString() };
  }

  async presignUpload(key: string, options: { contentType: string; expiresInSeconds: number; contentLength?: number }): Promise<PresignedUpload> {
    return {
      url: `memory://${key}?upload=1`,
      method: 'PUT',
      headers: { 'Content-Type': options.contentType, ...(options.contentLength !== undefined ? { 'Content-Length': String(options.contentLength) } : {}) },
      expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString(),
    };
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.files.keys()]) if (key.startsWith(prefix)) this.files.delete(key);
  }

  /** The text of a stored file (test helper). */
  text(key: string): string {
    const file = this.files.get(key);
    if (!file) throw new FileNotFoundError(key);
    return file.body.toString('utf8');
  }
}
