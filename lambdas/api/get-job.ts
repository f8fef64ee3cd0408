import { getJob } from '../../layers/core/jobs/read-jobs';
import { getDeps } from '../shared/composition';
import { withHttp } from '../shared/http';

/** GET /api/v1/data-jobs/{job_id}/ → the job, with a presigned download URL for its output. */
export const handler = withHttp(async ({ principal, path }) => {
  const job = await getJob(getDeps(), principal, path.job_id ?? '');
  return { statusCode: 200, body: job };
});
