import type { ModelRegistry } from '../model/define-model';
import type { FontSource } from '../formats/pdf/fonts';
import { DEFAULT_READ_LIMITS } from '../formats/limits';
import type { ReadLimits } from '../formats/types';
import type { FileStore, JobRepository, MetricsRecorder, RecordStore, WorkflowEngine } from '../ports';

/** Tunables of the job workflows, supplied by the composition root. */
export interface JobSettings {
  /** Data rows per import chunk (one chunk = one parallel validate/commit task). */
  readonly importChunkRows: number;
  /** Rows validated per batch inside a chunk: one set of lookups per batch. */
  readonly validateBatchRows: number;
  /** Number of parallel segments an export is read in. */
  readonly exportSegments: number;
  /** Lifetime of presigned download URLs. */
  readonly downloadUrlTtlSeconds: number;
  /** Largest accepted import file on the direct (multipart) route, in bytes. */
  readonly maxDirectUploadBytes: number;
  /** Lifetime of presigned upload URLs. */
  readonly uploadUrlTtlSeconds: number;
  /** Largest accepted import file uploaded with a presigned URL, in bytes. */
  readonly maxUploadBytes: number;
  /** A PDF export fails with `report_too_large` rather than grow past this many pages (its memory bound). */
  readonly pdfMaxPages: number;
  /**
   * Bounds an import file is read within (rows, columns, cell length, XLSX inflated bytes and zip
   * entries; its byte count is bounded by `maxUploadBytes`). A file over one fails its job with the
   * limit's code (`too_many_rows`, ...) before anything is written.
   */
  readonly importLimits: Omit<ReadLimits, 'maxFileBytes'>;
}

/** Everything the job use cases need, as ports. Each use case takes only the part it uses. */
export interface JobDeps {
  readonly jobs: JobRepository;
  readonly files: FileStore;
  readonly workflow: WorkflowEngine;
  readonly records: RecordStore;
  readonly models: ModelRegistry;
  readonly settings: JobSettings;
  /** The font files PDF exports embed. */
  readonly fonts: FontSource;
  /** Business metrics (jobs started and ended, rows, durations). */
  readonly metrics: MetricsRecorder;
  /** The current time; injected so tests control it. */
  readonly now: () => Date;
  /** New record and job ids. */
  readonly newId: () => string;
}

/** Default settings, safe for Lambda memory and time limits. */
export const DEFAULT_JOB_SETTINGS: JobSettings = {
  importChunkRows: 5000,
  validateBatchRows: 500,
  exportSegments: 4,
  downloadUrlTtlSeconds: 900,
  // A Lambda event holds at most 6 MB, and API Gateway sends binary bodies base64-encoded (4/3).
  maxDirectUploadBytes: 4 * 1024 * 1024,
  uploadUrlTtlSeconds: 900,
  // A single S3 PUT stores at most 5 GiB.
  maxUploadBytes: 5 * 1024 * 1024 * 1024,
  // 50,000 demo products take 2,127 pages (about 270 MB peak); past the limit a runaway report
  // fails within seconds, its memory bounded by the flushed pages: see docs/reports.md.
  pdfMaxPages: 5000,
  importLimits: {
    maxRows: DEFAULT_READ_LIMITS.maxRows,
    maxColumns: DEFAULT_READ_LIMITS.maxColumns,
    maxCellChars: DEFAULT_READ_LIMITS.maxCellChars,
    maxXlsxInflatedBytes: DEFAULT_READ_LIMITS.maxXlsxInflatedBytes,
    maxXlsxEntries: DEFAULT_READ_LIMITS.maxXlsxEntries,
  },
};
