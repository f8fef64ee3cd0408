import { z } from 'zod';
import { createExportJob } from '../../layers/core/jobs/create-export-job';
import { getDeps } from '../shared/composition';
import { withHttp } from '../shared/http';

// Filters and ordering are checked against the model by the use case, which names their paths.
const bodySchema = z.object({
  format: z.string().default('csv'),
  filters: z.unknown().optional(),
  ordering: z.unknown().optional(),
  fields: z.array(z.string()).optional(),
  report: z.string().min(1).optional(),
});

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
}, bodySchema);
