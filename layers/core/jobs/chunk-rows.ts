import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import type { FileInfo, FileStore } from '../ports';
import type { ImportRow } from '../resources/validate-rows';
import type { DataJob } from './data-job';
import { fileKeys } from './file-keys';

/**
 * Writes an import's data rows as one JSON-lines file per chunk (`[row, cells]` a line), streaming
 * each file to the store while the next rows are read.
 */
export class ChunkRowsWriter {
  private stream?: PassThrough;
  private upload?: Promise<FileInfo>;

  constructor(
    private readonly files: FileStore,
    private readonly job: Pick<DataJob, 'organization' | 'job_id'>,
  ) {}

  /** Ends the current chunk's file and starts the next one's. */
  async startChunk(index: number): Promise<void> {
    await this.close();
    this.stream = new PassThrough();
    this.upload = this.files.put(fileKeys.chunkRows(this.job.organization, this.job.job_id, index), this.stream, { contentType: 'application/x-ndjson' });
  }

  /** Appends a row to the current chunk, waiting while the upload catches up. */
  async write(row: ImportRow): Promise<void> {
    if (!this.stream) throw new Error('ChunkRowsWriter.write before startChunk');
    if (!this.stream.write(`${JSON.stringify([row.row, row.cells])}\n`)) await once(this.stream, 'drain');
  }

  /** Ends the current chunk's file and waits until it is stored. */
  async close(): Promise<void> {
    this.stream?.end();
    await this.upload;
    this.stream = undefined;
    this.upload = undefined;
  }

  /** Stops the current upload after a failure. */
  async abort(error: unknown): Promise<void> {
    this.stream?.destroy(error as Error);
    await this.upload?.catch(() => undefined);
  }
}

/** Reads one chunk's data rows, as `ChunkRowsWriter` wrote them. */
export async function* readChunkRows(files: FileStore, job: Pick<DataJob, 'organization' | 'job_id'>, index: number): AsyncIterable<ImportRow> {
  const lines = createInterface({ input: await files.get(fileKeys.chunkRows(job.organization, job.job_id, index)), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const [row, cells] = JSON.parse(line) as [number, string[]];
    yield { row, cells };
  }
}
