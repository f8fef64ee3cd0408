import { JobTransitionError, NotFoundError } from '../errors';
import type { OpenJobStatus, StaleJob } from '../ports';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';
import { failedLog } from './start-job';

/** How long a job may stay open before the sweeper fails it. */
export interface SweepLimits {
  /** Longest a job may stay RUNNING, from its `started_at`. */
  readonly runningMs: number;
  /** Longest a job may wait PENDING or QUEUED, from its `created_at`. */
  readonly queuedMs: number;
  /** Most jobs one sweep fails, so a run stays well inside its Lambda timeout. @default 500 */
  readonly maxJobs?: number;
}

/** A job the sweep marked FAILED. */
export interface SweptJob extends StaleJob {
  /** Why its execution could not be stopped, when it could not (the job is FAILED regardless). */
  readonly stopError?: string;
}

/** What one sweep did. */
export interface SweepResult {
  readonly swept: SweptJob[];
  /** Stale jobs that ended by themselves between the read and the write: left as they are. */
  readonly skipped: number;
}

/** The `result_log.error.code` of a job the sweeper failed. */
export const STUCK_TIMEOUT_CODE = 'stuck_timeout';

const PAGE_SIZE = 100;

/**
 * Fails the jobs that stayed open too long: a workflow that died without its Catch (a timed-out
 * or hand-stopped execution, a crash of the failure branch itself) leaves its job RUNNING for ever.
 *
 * 1. For RUNNING (limit `runningMs`), then QUEUED and PENDING (limit `queuedMs`), page through the
 *    open jobs that entered that status before now minus the limit, oldest first.
 * 2. Move each from exactly that status to FAILED with `result_log.error` `stuck_timeout` and how
 *    long it was open. The write is conditional: a job that ended meanwhile is left alone.
 * 3. Stop its execution (a failed stop is reported, not thrown: the job is already FAILED, and
 *    every task does nothing once its job is not RUNNING) and remove its work files.
 * 4. Record StuckJobsSwept, zero included, so the alarm's metric has a data point every run.
 */
export async function sweepStuckJobs(deps: Pick<JobDeps, 'jobs' | 'files' | 'workflow' | 'metrics' | 'now'>, limits: SweepLimits): Promise<SweepResult> {
  const now = deps.now();
  const maxJobs = limits.maxJobs ?? 500;
  const swept: SweptJob[] = [];
  let skipped = 0;
  const passes: Array<[OpenJobStatus, number]> = [
    ['RUNNING', limits.runningMs],
    ['QUEUED', limits.queuedMs],
    ['PENDING', limits.queuedMs],
  ];
  for (const [status, limitMs] of passes) {
    const before = new Date(now.getTime() - limitMs).toISOString();
    let cursor: string | undefined;
    do {
      const page = await deps.jobs.findStale(status, before, { limit: Math.min(PAGE_SIZE, maxJobs - swept.length), cursor });
      for (const stale of page.items) {
        const job = await sweepOne(deps, stale, now, limitMs);
        if (job) swept.push(job);
        else skipped += 1;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor && swept.length < maxJobs);
    if (swept.length >= maxJobs) break;
  }
  deps.metrics.record({ StuckJobsSwept: swept.length });
  return { swept, skipped };
}

async function sweepOne(deps: Pick<JobDeps, 'jobs' | 'files' | 'workflow' | 'now'>, stale: StaleJob, now: Date, limitMs: number): Promise<SweptJob | undefined> {
  const openMs = now.getTime() - Date.parse(stale.since);
  const message =
    `the job was ${stale.status} for ${formatDuration(openMs)} without finishing (the limit is ${formatDuration(limitMs)}); ` +
    `it was marked FAILED${stale.execution_id ? ' and its execution stopped' : ''}`;
  let failed;
  try {
    failed = await deps.jobs.transition(stale.organization, stale.job_id, [stale.status], 'FAILED', {
      finished_at: now.toISOString(),
      result_log: failedLog(STUCK_TIMEOUT_CODE, message),
    });
  } catch (error) {
    // It moved on (or expired) since the index was read: that is its own, newer truth.
    if (error instanceof JobTransitionError || error instanceof NotFoundError) return undefined;
    throw error;
  }
  let stopError: string | undefined;
  const executionId = failed.execution_id ?? stale.execution_id;
  if (executionId) {
    try {
      await deps.workflow.stop(executionId, `dataio sweeper: ${STUCK_TIMEOUT_CODE}`);
    } catch (error) {
      stopError = error instanceof Error ? error.message : String(error);
    }
  }
  try {
    await deps.files.deletePrefix(fileKeys.work(stale.organization, stale.job_id));
  } catch {
    // Not worth failing the sweep for: a lifecycle rule expires work files after a few days.
  }
  return stopError === undefined ? { ...stale, execution_id: executionId } : { ...stale, execution_id: executionId, stopError };
}

/** `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`: a duration as an operator reads it. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}
