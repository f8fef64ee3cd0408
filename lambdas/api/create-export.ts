import { createExportJob } from '../../layers/core/jobs/create-export-job';
import { getDeps } from '../shared/composition';
import { exportBodySchema } from '../shared/export-body';
import { withHttp } from '../shared/http';

/** POST /api/v1/{model_plural}/export/ → 202 {job_id, status}. */
export const handler = withHttp(async ({ principal, body, path }) => {
  const job = await createExportJob(getDeps(), {
    org: principal.org,
    user: principal.user,
    perms: principal.perms,
    model: path.model_plural ?? '',
    format: body.format,
    filters: body.filters,
    ordering: body.ordering,
    fields: body.fields,
    report: body.report,
  });
  return { statusCode: 202, body: { job_id: job.job_id, status: job.status } };
}, exportBodySchema);
