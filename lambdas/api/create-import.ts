import { z } from 'zod';
import { ValidationError } from '../../layers/core/errors';
import { createImportJob } from '../../layers/core/jobs/create-import-job';
import { getDeps } from '../shared/composition';
import { header, rawBody, withHttp } from '../shared/http';
import { parseMultipart } from '../shared/multipart';

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value, ctx) => {
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off', ''].includes(value)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got '${value}'` });
    return z.NEVER;
  });

const DELIMITERS: Record<string, ',' | ';' | '\t'> = { ',': ',', ';': ';', '\t': '\t', tab: '\t', comma: ',', semicolon: ';', '\\t': '\t' };

/** The form fields (or query parameters) of an import request. */
const optionsSchema = z.object({
  dry_run: flag.optional(),
  skip_errors: flag.optional(),
  skip_unchanged: flag.optional(),
  encoding: z.string().trim().min(1).max(40).optional(),
  delimiter: z
    .string()
    .refine((d) => d.toLowerCase() in DELIMITERS, { message: "must be ',', ';' or tab" })
    .transform((d) => DELIMITERS[d.toLowerCase()]!)
    .optional(),
  sheet: z.string().trim().min(1).max(100).optional(),
});

/** POST /api/v1/{model_plural}/import/ (multipart: file + options) → 202 {job_id, status}. */
export const handler = withHttp(async ({ event, principal, path, query }) => {
  const form = await parseMultipart(rawBody(event), header(event, 'content-type'));
  if (!form.file) throw new ValidationError('the form has no "file" part', { path: 'file' });
  const options = optionsSchema.parse({ ...query, ...form.fields });
  const job = await createImportJob(getDeps(), {
    org: principal.org,
    user: principal.user,
    perms: principal.perms,
    model: path.model_plural ?? '',
    file: form.file,
    dryRun: options.dry_run ?? false,
    skipErrors: options.skip_errors ?? false,
    options: {
      ...(options.skip_unchanged !== undefined ? { skip_unchanged: options.skip_unchanged } : {}),
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      ...(options.sheet ? { sheet: options.sheet } : {}),
    },
  });
  return { statusCode: 202, body: { job_id: job.job_id, status: job.status } };
});
