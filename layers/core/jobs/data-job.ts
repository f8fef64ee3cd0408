/** Kinds of DataJob. */
export type JobType = 'IMPORT' | 'EXPORT';

/** Lifecycle of a DataJob: PENDING → QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED. */
export type JobStatus = 'PENDING' | 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** Statuses a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Export formats. */
export type ExportFormat = 'csv' | 'xlsx' | 'pdf';

/** A file attached to a job (an import's input, an export's output). */
export interface JobFile {
  /** Storage key; never shown to API clients. */
  readonly key: string;
  readonly filename: string;
  readonly size: number;
  readonly content_type: string;
}

/** One problem of one row and field of an import. */
export interface RowError {
  /** Spreadsheet row number: the header is row 1, the first data row is row 2. */
  readonly row: number;
  /** The column as written in the file's header, or null when the problem is not one column's. */
  readonly column: string | null;
  /** The model field, or null for a whole-row problem. */
  readonly field: string | null;
  /** The raw value as read from the file, or null. */
  readonly value: string | null;
  /** Machine-readable code, e.g. `required`, `invalid`, `not_found`, `unique`, `max_length`, `clean`. */
  readonly code: string;
  readonly message: string;
}

/** A non-fatal remark on a whole job. */
export interface JobWarning {
  readonly code: string;
  readonly message: string;
  readonly columns?: string[];
}

/** Row counts of a job. */
export interface JobTotals {
  readonly rows: number;
  readonly new: number;
  readonly updated: number;
  readonly skipped: number;
  readonly errors: number;
}

/** What a job did, kept on the job item (bounded in size). */
export interface ResultLog {
  readonly totals: JobTotals;
  readonly row_errors: RowError[];
  /** How many row errors were left out of `row_errors` to keep the job item small. */
  readonly row_errors_truncated?: number;
  readonly summary: {
    readonly warnings: JobWarning[];
    readonly dry_run?: boolean;
    readonly skip_errors?: boolean;
    /** Whether rows were written. */
    readonly committed?: boolean;
  };
  /** Why the job failed, when it did. */
  readonly error?: { readonly code: string; readonly message: string };
  /**
   * The failed rows as a file in the input's format, with an `errors` column: fix and re-import.
   * Stored with its key; API clients get a presigned `download_url` instead.
   */
  readonly error_report?: JobFile & { readonly rows: number };
}

/** Progress of a running job. */
export interface JobProgress {
  readonly rows_processed: number;
  readonly rows_total: number | null;
  readonly chunks_done: number;
  readonly chunks_total: number;
}

/** The parameters a job was started with. */
export interface JobInputParams {
  readonly dry_run?: boolean;
  readonly skip_errors?: boolean;
  /** Count rows equal to the stored record as skipped and leave them alone. @default the resource's setting */
  readonly skip_unchanged?: boolean;
  /** CSV text encoding (WHATWG label). */
  readonly encoding?: string;
  /** CSV delimiter; detected when absent. */
  readonly delimiter?: ',' | ';' | '\t';
  /** XLSX sheet name; the first sheet when absent. */
  readonly sheet?: string;
  /** Export: the filter tree as the client sent it. */
  readonly filters?: unknown;
  /** Export: the ordering as `["-price", "name"]` (validated, canonical); segment order when absent. */
  readonly ordering?: string[];
  /** Export: the columns, in order. */
  readonly fields?: string[];
  /** PDF export: the registered report drawn; the generic report when absent. */
  readonly report?: string;
}

/** A DataJob as stored. */
export interface DataJob {
  readonly job_id: string;
  readonly job_type: JobType;
  readonly status: JobStatus;
  readonly organization: string;
  readonly user: string;
  /** Plural model name. */
  readonly model: string;
  readonly export_format: ExportFormat | null;
  readonly input_params: JobInputParams;
  readonly input_file: JobFile | null;
  readonly output_file: JobFile | null;
  readonly result_log: ResultLog | null;
  readonly progress: JobProgress | null;
  /** Step Functions execution ARN (the seed's `celery_task_id`). */
  readonly execution_id: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
}
