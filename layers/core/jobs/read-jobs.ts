import { NotFoundError } from '../errors';
import type { ModelDefinition } from '../model/types';
import { withoutSensitiveValue } from '../resources/validate-rows';
import type { DataJob, JobFile, ResultLog } from './data-job';
import type { JobDeps } from './deps';
import { canSeeJob, filePermissionOf, hasPermission, requireJobAccess } from './permissions';

/** A job file as API clients see it: no storage key; outputs carry a download URL. */
export interface JobFileView {
  readonly filename: string;
  readonly size: number;
  readonly content_type: string;
  readonly download_url?: string;
  readonly expires_at?: string;
}

/** A result log as API clients see it: the error report carries a download URL, not a key. */
export type ResultLogView = Omit<ResultLog, 'error_report'> & { readonly error_report?: JobFileView & { readonly rows: number } };

/** A job as API clients see it. */
export type JobView = Omit<DataJob, 'input_file' | 'output_file' | 'result_log'> & {
  readonly input_file: JobFileView | null;
  readonly output_file: JobFileView | null;
  readonly result_log: ResultLogView | null;
};

/** The caller, for job reads. */
export interface JobReader {
  readonly org: string;
  readonly user: string;
  readonly perms: readonly string[];
}

/**
 * Returns one job of the caller's organization, with fresh download URLs for its files.
 *
 * 1. Check `data-jobs:read` (or `data-jobs:admin`).
 * 2. Load the job in the caller's organization; another organization's job is simply not found.
 * 3. Hide jobs of other users unless the caller is a jobs admin (not found as well, so ids reveal
 *    nothing).
 * 4. Presign the downloads of the output and the error report, when the caller also holds the
 *    permission that produces them (`<model>:export` for an export, `<model>:import` for an
 *    import): a jobs admin without it sees the job, not the model's data.
 */
export async function getJob(deps: Pick<JobDeps, 'jobs' | 'files' | 'settings' | 'models'>, reader: JobReader, jobId: string): Promise<JobView> {
  const access = requireJobAccess(reader.perms);
  const job = await deps.jobs.get(reader.org, jobId);
  if (!job || !canSeeJob(reader, access, job)) {
    throw new NotFoundError(`data job '${jobId}' not found`);
  }
  const model = deps.models.get(job.model);
  if (!hasPermission(reader.perms, filePermissionOf(job))) return toJobView(job, model);
  return toJobView(job, model, async (file) => {
    const url = await deps.files.presignDownload(file.key, { filename: file.filename, expiresInSeconds: deps.settings.downloadUrlTtlSeconds });
    return { download_url: url.url, expires_at: url.expiresAt };
  });
}

/**
 * Lists the caller's jobs (all of the organization's for jobs admins), newest first.
 * Requires `data-jobs:read` or `data-jobs:admin`. Download URLs are left out of lists: `getJob`
 * gives them.
 */
export async function listJobs(
  deps: Pick<JobDeps, 'jobs' | 'models'>,
  reader: JobReader,
  page: { limit: number; cursor?: string },
): Promise<{ items: JobView[]; next_cursor: string | null }> {
  const access = requireJobAccess(reader.perms);
  const result = await deps.jobs.list(reader.org, {
    limit: page.limit,
    cursor: page.cursor,
    user: access === 'all' ? undefined : reader.user,
  });
  // The store filtered already; checking again keeps a store bug from leaking another's job.
  const items = await Promise.all(result.items.filter((job) => canSeeJob(reader, access, job)).map((job) => toJobView(job, deps.models.get(job.model))));
  return { items, next_cursor: result.nextCursor };
}

async function toJobView(
  job: DataJob,
  model: ModelDefinition | undefined,
  presign?: (file: JobFile) => Promise<{ download_url: string; expires_at: string }>,
): Promise<JobView> {
  const view = (file: JobFile | null): JobFileView | null =>
    file && { filename: file.filename, size: file.size, content_type: file.content_type };
  const output = view(job.output_file);
  // Explicit order: stores return attributes in any order, people read the JSON top to bottom.
  return {
    job_id: job.job_id,
    job_type: job.job_type,
    status: job.status,
    model: job.model,
    export_format: job.export_format,
    organization: job.organization,
    user: job.user,
    input_params: job.input_params,
    input_file: view(job.input_file),
    output_file: output && job.output_file && presign ? { ...output, ...(await presign(job.output_file)) } : output,
    progress: job.progress ?? null,
    result_log: job.result_log && (await orderedLog(job.result_log, model, presign)),
    execution_id: job.execution_id,
    created_at: job.created_at,
    updated_at: job.updated_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
  };
}

async function orderedLog(log: ResultLog, model: ModelDefinition | undefined, presign?: (file: JobFile) => Promise<{ download_url: string; expires_at: string }>): Promise<ResultLogView> {
  // Values of sensitive fields never leave through the API, whichever step wrote the error.
  const shown = (e: ResultLog['row_errors'][number]) => (model ? withoutSensitiveValue(model, e) : e);
  const report = log.error_report;
  return {
    totals: { rows: log.totals.rows, new: log.totals.new, updated: log.totals.updated, skipped: log.totals.skipped, errors: log.totals.errors },
    row_errors: log.row_errors.map(shown).map((e) => ({ row: e.row, column: e.column, field: e.field, value: e.value, code: e.code, message: e.message })),
    ...(log.row_errors_truncated !== undefined ? { row_errors_truncated: log.row_errors_truncated } : {}),
    summary: log.summary,
    ...(log.error ? { error: log.error } : {}),
    ...(report
      ? {
          error_report: {
            filename: report.filename,
            size: report.size,
            content_type: report.content_type,
            rows: report.rows,
            ...(presign ? await presign(report) : {}),
          },
        }
      : {}),
  };
}
