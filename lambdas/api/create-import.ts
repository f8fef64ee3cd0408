import { ValidationError } from '../../layers/core/errors';
import { createImportJob } from '../../layers/core/jobs/create-import-job';
import { getDeps } from '../shared/composition';
import { header, rawBody, withHttp } from '../shared/http';
import { parseMultipart } from '../shared/multipart';

/** POST /api/v1/{model_plural}/import/ (multipart: file, dry_run?, skip_errors?) → 202 {job_id, status}. */
export const handler = withHttp(async ({ event, principal, path, query }) => {
  const form = await parseMultipart(rawBody(event), header(event, 'content-type'));
  if (!form.file) throw new ValidationError('the form has no "file" part');
  const job = await createImportJob(getDeps(), {
    org: principal.org,
    user: principal.user,
    perms: principal.perms,
    model: path.model_plural ?? '',
    file: form.file,
    dryRun: flag('dry_run', form.fields.dry_run ?? query.dry_run),
    skipErrors: flag('skip_errors', form.fields.skip_errors ?? query.skip_errors),
  });
  return { statusCode: 202, body: { job_id: job.job_id, status: job.status } };
});

function flag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  throw new ValidationError(`${name} must be true or false, got '${value}'`, { path: name });
}
