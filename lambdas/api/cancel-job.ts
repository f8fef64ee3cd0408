import { cancelJob } from '../../layers/core/jobs/cancel-job';
import { getDeps } from '../shared/composition';
import { withHttp } from '../shared/http';
import { log } from '../shared/log';

/** POST /api/v1/data-jobs/{job_id}/cancel/ → 200 with the job, now CANCELLED. */
export const handler = withHttp(async ({ principal, path }) => {
  const { job, stopError } = await cancelJob(getDeps(), principal, path.job_id ?? '');
  if (stopError !== undefined) {
    // The job is CANCELLED either way; its tasks stop at the next status check.
    log('warn', 'cancelled job whose execution could not be stopped', { organization: job.organization, job_id: job.job_id, execution_id: job.execution_id, error: String(stopError) });
  }
  return { statusCode: 200, body: job };
});
