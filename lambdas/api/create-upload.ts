import { z } from 'zod';
import { createUpload } from '../../layers/core/jobs/create-upload';
import { getDeps } from '../shared/composition';
import { withHttp } from '../shared/http';

export const bodySchema = z.object({
  filename: z.string().trim().min(1).max(255),
  content_type: z.string().trim().min(1).max(200).optional(),
  /** The exact size in bytes: signed into the URL, so the store refuses any other length. */
  size: z.number().int().positive().optional(),
});

/**
 * POST /api/v1/{model_plural}/import/uploads/ → 201 {upload_id, url, method, headers, expires_at}:
 * PUT the file to `url` with `headers`, then POST /import/ with `{"upload_id"}`.
 */
export const handler = withHttp(async ({ principal, body, path }) => {
  const upload = await createUpload(getDeps(), {
    org: principal.org,
    user: principal.user,
    perms: principal.perms,
    model: path.model_plural ?? '',
    filename: body.filename,
    contentType: body.content_type,
    size: body.size,
  });
  return { statusCode: 201, body: upload };
}, bodySchema);
