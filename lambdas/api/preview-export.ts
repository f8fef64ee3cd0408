import { z } from 'zod';
import { PREVIEW_LIMIT, previewExport } from '../../layers/core/jobs/preview-export';
import { getDeps } from '../shared/composition';
import { exportBodySchema } from '../shared/export-body';
import { withHttp } from '../shared/http';

/** The export's body plus `limit`; the format is optional here (it is only checked). */
export const bodySchema = exportBodySchema.extend({
  format: z.string().optional(),
  limit: z.number().int().min(1).max(PREVIEW_LIMIT.max).optional(),
});

/** POST /api/v1/{model_plural}/export/preview/ → 200 {count, columns, rows, ordering}. */
export const handler = withHttp(async ({ principal, body, path }) => {
  const preview = await previewExport(getDeps(), {
    org: principal.org,
    perms: principal.perms,
    model: path.model_plural ?? '',
    format: body.format,
    filters: body.filters,
    ordering: body.ordering,
    fields: body.fields,
    report: body.report,
    limit: body.limit,
  });
  return { statusCode: 200, body: preview };
}, bodySchema);
