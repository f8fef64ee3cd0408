import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { ApiError, ConnectionError } from './errors';

const fileSchema = z.looseObject({
  filename: z.string(),
  size: z.number(),
  content_type: z.string(),
  download_url: z.string().optional(),
  expires_at: z.string().optional(),
});

const rowErrorSchema = z.looseObject({
  row: z.number(),
  column: z.string().nullable().optional(),
  field: z.string().nullable().optional(),
  value: z.string().nullable().optional(),
  code: z.string(),
  message: z.string(),
});

/**
 * The parts of a DataJob the CLI reads. Loose on purpose: fields the API adds later pass through
 * to `--json` output untouched.
 */
export const jobSchema = z.looseObject({
  job_id: z.string(),
  job_type: z.string(),
  status: z.string(),
  model: z.string(),
  export_format: z.string().nullable().optional(),
  user: z.string().optional(),
  input_params: z.record(z.string(), z.unknown()).nullable().optional(),
  input_file: fileSchema.nullable().optional(),
  output_file: fileSchema.nullable().optional(),
  result_log: z
    .looseObject({
      totals: z.looseObject({ rows: z.number(), new: z.number(), updated: z.number(), skipped: z.number(), errors: z.number() }).optional(),
      row_errors: z.array(rowErrorSchema).optional(),
      row_errors_truncated: z.number().optional(),
      summary: z.looseObject({ warnings: z.array(z.looseObject({ code: z.string(), message: z.string() })).optional() }).optional(),
      error_report: fileSchema.extend({ rows: z.number().optional() }).optional(),
      error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
    })
    .nullable()
    .optional(),
  progress: z
    .looseObject({ rows_processed: z.number(), rows_total: z.number().nullable(), chunks_done: z.number(), chunks_total: z.number() })
    .nullable()
    .optional(),
  created_at: z.string(),
  started_at: z.string().nullable().optional(),
  finished_at: z.string().nullable().optional(),
});

/** A DataJob as the API returns it. */
export type Job = z.infer<typeof jobSchema>;
/** One row error of a job's result log. */
export type JobRowError = z.infer<typeof rowErrorSchema>;

const startedSchema = z.looseObject({ job_id: z.string(), status: z.string() });
const uploadSchema = z.looseObject({
  upload_id: z.string(),
  url: z.string(),
  method: z.string().default('PUT'),
  headers: z.record(z.string(), z.string()).default({}),
  expires_at: z.string().optional(),
});
const jobListSchema = z.looseObject({ items: z.array(jobSchema), next_cursor: z.string().nullable().optional() });

/** A job that was just created. */
export type StartedJob = z.infer<typeof startedSchema>;
/** The answer to `POST …/import/uploads/`. */
export type UploadTicket = z.infer<typeof uploadSchema>;

/** Import options in the API's spelling (form fields or JSON fields). */
export interface ImportOptions {
  readonly dry_run?: boolean;
  readonly skip_errors?: boolean;
  readonly skip_unchanged?: boolean;
  readonly encoding?: string;
  readonly delimiter?: string;
  readonly sheet?: string;
}

/** The body of `POST …/export/`. */
export interface ExportBody {
  readonly format: string;
  readonly filters?: unknown;
  readonly report?: string;
  readonly fields?: string[];
  readonly ordering?: string[];
}

/** A client of the dataio REST API v1 (docs/api.md), with the API's errors as ApiError. */
export class DataioClient {
  constructor(
    readonly apiUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Multipart import of a small file (the API takes up to 4 MB this way). */
  async importFile(model: string, file: { name: string; blob: Blob }, options: ImportOptions): Promise<StartedJob> {
    const form = new FormData();
    form.append('file', file.blob, file.name);
    for (const [name, value] of Object.entries(options)) if (value !== undefined) form.append(name, String(value));
    return startedSchema.parse(await this.call('POST', `/${seg(model)}/import/`, { body: form }));
  }

  /**
   * Asks for a presigned upload URL; the content type defaults to the format's own. The size is
   * announced so the API refuses a file over its limit before the upload, and signs the length.
   */
  async createUpload(model: string, filename: string, size: number): Promise<UploadTicket> {
    return uploadSchema.parse(await this.call('POST', `/${seg(model)}/import/uploads/`, { json: { filename, size } }));
  }

  /** PUTs the file's bytes to a presigned URL with exactly the signed headers. */
  async putUpload(ticket: UploadTicket, blob: Blob): Promise<void> {
    let response: Response;
    try {
      response = await this.fetchImpl(ticket.url, { method: ticket.method, headers: ticket.headers, body: blob });
    } catch (error) {
      throw new ConnectionError(`cannot upload to ${new URL(ticket.url).origin}: ${causeOf(error)}`, { cause: error });
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'upload_failed';
      const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? (text.slice(0, 200) || response.statusText);
      throw new ApiError(response.status, code, `the presigned upload was refused: ${message}`);
    }
  }

  /** Starts an import of a file PUT to an upload URL. */
  async importUpload(model: string, uploadId: string, options: ImportOptions): Promise<StartedJob> {
    return startedSchema.parse(await this.call('POST', `/${seg(model)}/import/`, { json: { upload_id: uploadId, ...options } }));
  }

  /** Starts an export. */
  async createExport(model: string, body: ExportBody): Promise<StartedJob> {
    return startedSchema.parse(await this.call('POST', `/${seg(model)}/export/`, { json: body }));
  }

  async getJob(id: string): Promise<Job> {
    return jobSchema.parse(await this.call('GET', `/data-jobs/${seg(id)}/`));
  }

  async listJobs(page: { limit: number; cursor?: string }): Promise<z.infer<typeof jobListSchema>> {
    const query = new URLSearchParams({ limit: String(page.limit), ...(page.cursor ? { cursor: page.cursor } : {}) });
    return jobListSchema.parse(await this.call('GET', `/data-jobs/?${query}`));
  }

  async cancelJob(id: string): Promise<Job> {
    return jobSchema.parse(await this.call('POST', `/data-jobs/${seg(id)}/cancel/`));
  }

  /**
   * Streams a presigned download to `path` through a temporary file, so an interrupted download
   * never leaves a truncated file under the final name. Returns the bytes written.
   */
  async download(url: string, path: string): Promise<number> {
    let response: Response;
    try {
      response = await this.fetchImpl(url);
    } catch (error) {
      throw new ConnectionError(`cannot download from ${new URL(url).origin}: ${causeOf(error)}`, { cause: error });
    }
    if (!response.ok || !response.body) throw new ApiError(response.status, 'download_failed', `the download answered ${response.status} ${response.statusText}`);
    const partial = `${path}.part`;
    let bytes = 0;
    const counted = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>).on('data', (chunk: Buffer) => (bytes += chunk.length));
    try {
      await pipeline(counted, createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return bytes;
  }

  private async call(method: string, path: string, request: { json?: unknown; body?: FormData } = {}): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    let body: FormData | string | undefined = request.body;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    }
    const url = `${this.apiUrl}/api/v1${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body });
    } catch (error) {
      throw new ConnectionError(`cannot reach ${this.apiUrl}: ${causeOf(error)}`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = z.object({ error: z.looseObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }) }).safeParse(parsed);
      if (error.success) throw new ApiError(response.status, error.data.error.code, error.data.error.message, error.data.error.details);
      const message = (parsed as { message?: unknown } | undefined)?.message;
      throw new ApiError(response.status, `http_${response.status}`, typeof message === 'string' ? message : text.slice(0, 200) || response.statusText);
    }
    if (parsed === undefined) throw new ApiError(response.status, 'bad_response', `${method} ${path} answered ${response.status} without JSON`);
    return parsed;
  }
}

const seg = (value: string) => encodeURIComponent(value);

/** fetch wraps the reason (ECONNREFUSED, ENOTFOUND) in `cause`. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
