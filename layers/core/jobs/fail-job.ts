import type { WorkflowInput } from '../ports';
import { FINAL_STATUSES, type JobStatus } from './data-job';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';

/** The error a state machine's Catch hands over: `{Error, Cause}`. */
export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

const OPEN_STATUSES: JobStatus[] = ['PENDING', 'QUEUED', 'RUNNING'];

/**
 * Marks a job FAILED after its workflow caught an error, keeping the reason.
 *
 * 1. Turn the caught error into a code and a readable message (Lambda errors carry a JSON cause).
 * 2. Move the job from any open status to FAILED; a job already finished is left as it is.
 * 3. Remove the job's intermediate files.
 */
export async function failJob(deps: Pick<JobDeps, 'jobs' | 'files' | 'now'>, input: WorkflowInput & { error?: CaughtError }): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || FINAL_STATUSES.includes(job.status)) return;
  const { code, message } = describeError(input.error);
  await deps.jobs.transition(input.org, input.job_id, OPEN_STATUSES, 'FAILED', {
    finished_at: deps.now().toISOString(),
    result_log: {
      totals: job.result_log?.totals ?? { rows: 0, new: 0, updated: 0, skipped: 0, errors: 0 },
      row_errors: job.result_log?.row_errors ?? [],
      summary: job.result_log?.summary ?? { warnings: [] },
      error: { code, message },
    },
  });
  await deps.files.deletePrefix(fileKeys.work(input.org, input.job_id));
}

/** Extracts a stable code and a message from a Step Functions error. */
export function describeError(error: CaughtError | undefined): { code: string; message: string } {
  const name = error?.Error ?? 'Error';
  let message = error?.Cause ?? 'the workflow failed';
  let type = name;
  try {
    const cause = JSON.parse(message) as { errorMessage?: string; errorType?: string };
    if (cause.errorMessage) message = cause.errorMessage;
    if (cause.errorType) type = cause.errorType;
  } catch {
    // The cause is plain text.
  }
  const code = codeOf(type);
  // Internal failures keep their details in the logs, not in what clients read.
  return { code, message: code === 'internal_error' ? `the job failed because of an internal error (${type})` : message };
}

function codeOf(errorType: string): string {
  const known: Record<string, string> = {
    FileFormatError: 'file_format',
    // Read limits (see ReadLimits), one error name each so the code survives the Catch.
    FileTooLargeError: 'file_too_large',
    TooManyRowsError: 'too_many_rows',
    TooManyColumnsError: 'too_many_columns',
    CellTooLongError: 'cell_too_long',
    XlsxTooLargeError: 'xlsx_too_large',
    ReportTooLargeError: 'report_too_large',
    ValidationError: 'validation_error',
    'States.Timeout': 'timeout',
    'States.TaskFailed': 'task_failed',
  };
  return known[errorType] ?? 'internal_error';
}
