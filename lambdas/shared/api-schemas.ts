/**
 * The API's answers as zod schemas: the OpenAPI document is generated from them (and from the
 * request schemas the handlers validate with), and tests check real answers against them. The
 * type assertions at the bottom keep each schema equal to the type the handlers return, so a
 * change to a core type that is not made here fails to compile.
 */
import { z } from 'zod';
import type { JobStatus } from '../../layers/core/jobs/data-job';
import type { UploadTicket } from '../../layers/core/jobs/create-upload';
import type { ReportSummary } from '../../layers/core/jobs/list-reports';
import type { ExportPreview } from '../../layers/core/jobs/preview-export';
import type { JobView } from '../../layers/core/jobs/read-jobs';
import { FILTER_OPERATORS } from '../../layers/core/filters/filter-tree';
import type { ErrorBody } from './errors-to-http';

const timestamp = z.string().describe('ISO 8601 date-time, UTC');

export const jobStatusSchema = z
  .enum(['PENDING', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'])
  .describe('PENDING (stored) → QUEUED (execution started) → RUNNING (first task) → COMPLETED | FAILED | CANCELLED');

/** A file of a job as clients see it: no storage key; a presigned URL where one is offered. */
export const jobFileSchema = z.object({
  filename: z.string(),
  size: z.number().int().describe('bytes'),
  content_type: z.string(),
  download_url: z.string().optional().describe('presigned S3 GET; only on GET /data-jobs/{job_id}/ and cancel'),
  expires_at: timestamp.optional().describe('when download_url stops working'),
});

export const rowErrorSchema = z.object({
  row: z.number().int().describe('spreadsheet row number: the header is row 1, the first data row is row 2'),
  column: z.string().nullable().describe('the header as written in the file; null for a whole-row problem'),
  field: z.string().nullable().describe('the model field; null for a whole-row problem'),
  value: z.string().nullable().describe('the raw value as read from the file'),
  code: z.string().describe('required, invalid, max_length, min_value, max_value, invalid_choice, invalid_email, invalid_json, not_found, unique, clean'),
  message: z.string(),
});

export const jobWarningSchema = z.object({
  code: z.string().describe('e.g. unmapped_columns'),
  message: z.string(),
  columns: z.array(z.string()).optional(),
});

export const jobTotalsSchema = z.object({
  rows: z.number().int().describe('non-blank data rows'),
  new: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int().describe('rows equal to the stored record'),
  errors: z.number().int().describe('rows with at least one error'),
});

export const resultLogSchema = z.object({
  totals: jobTotalsSchema,
  row_errors: z.array(rowErrorSchema).describe('one entry per row and field, sorted by row then column; at most 1,000'),
  row_errors_truncated: z.number().int().optional().describe('row errors left out of row_errors'),
  summary: z.object({
    warnings: z.array(jobWarningSchema),
    dry_run: z.boolean().optional(),
    skip_errors: z.boolean().optional(),
    committed: z.boolean().optional().describe('whether rows were written'),
  }),
  error: z
    .object({
      code: z.string().describe('file_format, row_errors, workflow_start_failed, task_failed, timeout, internal_error, report_too_large, or an import limit: file_too_large, too_many_rows, too_many_columns, cell_too_long, xlsx_too_large'),
      message: z.string(),
    })
    .optional()
    .describe('why the job failed; only on FAILED jobs'),
  error_report: jobFileSchema
    .extend({ rows: z.number().int() })
    .optional()
    .describe('the failed rows in the input format with an errors column'),
});

export const jobProgressSchema = z.object({
  rows_processed: z.number().int(),
  rows_total: z.number().int().nullable(),
  chunks_done: z.number().int(),
  chunks_total: z.number().int(),
});

export const jobInputParamsSchema = z.object({
  dry_run: z.boolean().optional(),
  skip_errors: z.boolean().optional(),
  skip_unchanged: z.boolean().optional(),
  encoding: z.string().optional(),
  delimiter: z.enum([',', ';', '\t']).optional(),
  sheet: z.string().optional(),
  filters: z.unknown().optional().describe('export: the filter as sent'),
  ordering: z.array(z.string()).optional().describe('export: canonical ordering'),
  fields: z.array(z.string()).optional(),
  report: z.string().optional(),
});

/** A DataJob as `GET /data-jobs/{job_id}/` shows it. */
export const dataJobSchema = z.object({
  job_id: z.string(),
  job_type: z.enum(['IMPORT', 'EXPORT']),
  status: jobStatusSchema,
  model: z.string().describe('plural model name'),
  export_format: z.enum(['csv', 'xlsx', 'pdf']).nullable(),
  organization: z.string(),
  user: z.string(),
  input_params: jobInputParamsSchema,
  input_file: jobFileSchema.nullable(),
  output_file: jobFileSchema.nullable(),
  progress: jobProgressSchema.nullable(),
  result_log: resultLogSchema.nullable(),
  execution_id: z.string().nullable().describe('Step Functions execution ARN'),
  created_at: timestamp,
  updated_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
});

/** 202 answer of an export or import request. */
export const jobAcceptedSchema = z.object({
  job_id: z.string(),
  status: jobStatusSchema.describe('QUEUED, unless the workflow already moved the job on'),
});

export const jobListSchema = z.object({
  items: z.array(dataJobSchema).describe('newest first; no download URLs'),
  next_cursor: z.string().nullable(),
});

export const uploadTicketSchema = z.object({
  upload_id: z.string(),
  url: z.string().describe('presigned S3 PUT URL'),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()).describe('send exactly these headers with the PUT (they are signed)'),
  expires_at: timestamp,
});

export const reportListSchema = z.object({
  items: z.array(z.object({ name: z.string(), title: z.string(), description: z.string(), model: z.string() })),
});

const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const exportPreviewSchema = z.object({
  count: z.number().int().describe('records the filter selects: the export row count'),
  columns: z.array(z.string()),
  rows: z.array(z.array(cellSchema)).describe('the first `limit` rows, in export order'),
  ordering: z.array(z.string()).describe('the ordering applied, canonical; [] without one'),
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('validation_error, file_format, unauthorized, forbidden, not_found, conflict, job_transition, internal_error, bad_request'),
    message: z.string(),
    details: z.unknown().describe('e.g. {"path": "filters.and[1].value"}; null when there is nothing more to say'),
  }),
});

/** One condition of the filter language. */
export const filterConditionSchema = z.object({
  field: z.string().describe('`id`, a field, `<fk>_id`, or a path through up to two relations: `category.code`'),
  op: z.enum(FILTER_OPERATORS),
  value: z.unknown().describe("checked against the field's type; a list for in/not_in/any/all/none, two values for between"),
});

/**
 * The filter language as clients write it (see docs/filters.md). It only documents the shape:
 * requests are checked by `parseFilterTree`, which also checks fields, operators and values
 * against the model.
 */
export const filterTreeSchema: z.ZodType<FilterTreeShape> = z.lazy(() =>
  z.union([
    filterConditionSchema.strict(),
    z.object({ and: z.array(filterTreeSchema) }).strict(),
    z.object({ or: z.array(filterTreeSchema) }).strict(),
    z.object({ not: filterTreeSchema }).strict(),
    z.array(filterTreeSchema).describe('all must hold'),
  ]),
);

type FilterTreeShape =
  | z.infer<typeof filterConditionSchema>
  | { and: FilterTreeShape[] }
  | { or: FilterTreeShape[] }
  | { not: FilterTreeShape }
  | FilterTreeShape[];

// Compile-time checks: each schema describes exactly what the handlers return.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchTypes: [
  Same<z.infer<typeof jobStatusSchema>, JobStatus>,
  Same<z.infer<typeof dataJobSchema>, JobView>,
  Same<z.infer<typeof uploadTicketSchema>, UploadTicket>,
  Same<z.infer<typeof reportListSchema>['items'][number], ReportSummary>,
  Same<z.infer<typeof exportPreviewSchema>, ExportPreview>,
  Same<z.infer<typeof errorBodySchema>, ErrorBody>,
] = [true, true, true, true, true, true];
void schemasMatchTypes;
