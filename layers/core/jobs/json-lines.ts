import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FileInfo, FileStore } from '../ports';

/**
 * Streams values as JSON lines into one stored file while they are produced, so the producer
 * never holds them all. A failed upload ends the wait for `drain` instead of leaving it hanging.
 */
export class JsonLinesWriter {
  private readonly stream = new PassThrough();
  private readonly upload: Promise<FileInfo>;

  constructor(files: FileStore, key: string) {
    this.upload = files.put(key, this.stream, { contentType: 'application/x-ndjson' });
    // Awaited in write, close and abort; until then a failure must not count as unhandled.
    this.upload.catch(() => undefined);
  }

  /** Appends one value, waiting while the upload catches up. */
  async write(value: unknown): Promise<void> {
    if (!this.stream.write(`${JSON.stringify(value)}\n`)) await Promise.race([once(this.stream, 'drain'), this.upload]);
  }

  /** Ends the file and waits until it is stored. */
  async close(): Promise<FileInfo> {
    this.stream.end();
    return this.upload;
  }

  /** Stops the upload after a failure. */
  async abort(error: unknown): Promise<void> {
    this.stream.destroy(error instanceof Error ? error : new Error(String(error)));
    await this.upload.catch(() => undefined);
  }
}

/**
 * The values of a JSON-lines file, parsed one line at a time from its bytes: memory holds the
 * file's bytes (a chunk's are a few MB) and one value, never every value at once. The file is
 * read in one go, so no download stays open while the caller works through its values.
 */
export async function* readJsonLines<T>(files: FileStore, key: string): AsyncGenerator<T> {
  const parts: Buffer[] = [];
  for await (const part of await files.get(key)) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part));
  const bytes = Buffer.concat(parts);
  parts.length = 0;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    if (end > start) yield JSON.parse(bytes.toString('utf8', start, end)) as T;
    start = end + 1;
  }
}
