import { z } from 'zod';
import { listJobs } from '../../layers/core/jobs/read-jobs';
import { getDeps } from '../shared/composition';
import { withHttp } from '../shared/http';

export const querySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

/** GET /api/v1/data-jobs/?limit=&cursor= → {items, next_cursor}, newest first. */
export const handler = withHttp(async ({ principal, query }) => {
  const page = querySchema.parse(query);
  return { statusCode: 200, body: await listJobs(getDeps(), principal, page) };
});
