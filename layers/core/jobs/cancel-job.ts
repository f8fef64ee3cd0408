import { JobTransitionError, NotFoundError } from '../errors';
import { FINAL_STATUSES, type DataJob, type JobStatus } from './data-job';
import type { JobDeps } from './deps';
import { canSeeJob, requireJobAccess } from './permissions';
import { getJob, type JobReader, type JobView } from './read-jobs';

/** Statuses a job can be cancelled from. */
export const CANCELLABLE_STATUSES: readonly JobStatus[] = ['PENDING', 'QUEUED', 'RUNNING'];

/** A cancelled job, and why its execution could not be stopped, when it could not. */
export interface CancelledJob {
  readonly job: JobView;
  /**
   * The error of stopping the execution. The job stays CANCELLED regardless: every workflow
   * task does nothing unless the job is RUNNING, so the execution winds down on its own.
   */
  readonly stopError?: unknown;
}

/**
 * Cancels an open job of the caller's organization.
 *
 * 1. Allow jobs admins (`data-jobs:admin`) on every job of the organization, and callers with
 *    `data-jobs:read` on their own jobs; any other job, like another organization's, is not found.
 * 2. Refuse a job that already ended (COMPLETED, FAILED or CANCELLED).
 * 3. Move PENDING/QUEUED/RUNNING → CANCELLED with `finished_at`, conditioned on the status, so a
 *    job that finishes meanwhile is refused rather than overwritten.
 * 4. Stop the execution, when one is recorded (a job cancelled before its execution id was
 *    recorded is only marked: its tasks see CANCELLED and do nothing).
 * 5. Return the job as `GET /data-jobs/{job_id}` shows it.
 */
export async function cancelJob(deps: Pick<JobDeps, 'jobs' | 'files' | 'workflow' | 'settings' | 'models' | 'now'>, reader: JobReader, jobId: string): Promise<CancelledJob> {
  const access = requireJobAccess(reader.perms);
  const job = await deps.jobs.get(reader.org, jobId);
  if (!job || !canSeeJob(reader, access, job)) throw new NotFoundError(`data job '${jobId}' not found`);
  if (FINAL_STATUSES.includes(job.status)) throw notCancellable(jobId, job.status);
  const cancelled = await markCancelled(deps, reader.org, jobId);
  let stopError: unknown;
  if (cancelled.execution_id) {
    try {
      await deps.workflow.stop(cancelled.execution_id, `cancelled by ${reader.user}`);
    } catch (error) {
      stopError = error;
    }
  }
  const view = await getJob(deps, reader, jobId);
  return stopError === undefined ? { job: view } : { job: view, stopError };
}

/** The guarded transition; a job that ended since it was read is refused with its new status. */
async function markCancelled(deps: Pick<JobDeps, 'jobs' | 'now'>, org: string, jobId: string): Promise<DataJob> {
  try {
    return await deps.jobs.transition(org, jobId, CANCELLABLE_STATUSES, 'CANCELLED', { finished_at: deps.now().toISOString() });
  } catch (error) {
    if (!(error instanceof JobTransitionError)) throw error;
    const current = await deps.jobs.get(org, jobId);
    if (!current) throw new NotFoundError(`data job '${jobId}' not found`, { cause: error });
    throw notCancellable(jobId, current.status, error);
  }
}

function notCancellable(jobId: string, status: string, cause?: unknown): JobTransitionError {
  return new JobTransitionError(`data job '${jobId}' is already ${status} and can no longer be cancelled; only PENDING, QUEUED or RUNNING jobs can`, { cause });
}
