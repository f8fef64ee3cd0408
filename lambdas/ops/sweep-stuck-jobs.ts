import { z } from 'zod';
import { sweepStuckJobs } from '../../layers/core/jobs/sweep-stuck-jobs';
import { getDeps } from '../shared/composition';
import { readEnv } from '../shared/env';
import { log } from '../shared/log';
import { withTask } from '../shared/task';

/** The EventBridge scheduled event; nothing in it is needed. */
const scheduledEvent = z.looseObject({});

/**
 * EventBridge schedule: fails the jobs that stayed RUNNING (or PENDING/QUEUED) past their limit,
 * stops their executions and logs each one; the StuckJobsSwept metric feeds the stuck-jobs alarm.
 */
export const handler = withTask('sweep-stuck-jobs', scheduledEvent, async () => {
  const env = readEnv();
  const result = await sweepStuckJobs(getDeps(), { runningMs: env.STUCK_RUNNING_MINUTES * 60_000, queuedMs: env.STUCK_QUEUED_MINUTES * 60_000 });
  for (const job of result.swept) {
    log('warn', 'stuck job marked FAILED', {
      job_id: job.job_id,
      organization: job.organization,
      model: job.model,
      job_type: job.job_type,
      status: job.status,
      since: job.since,
      execution_id: job.execution_id,
      ...(job.stopError ? { stop_error: job.stopError } : {}),
    });
  }
  return { swept: result.swept.length, skipped: result.skipped };
});
