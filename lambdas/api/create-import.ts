import { z } from 'zod';
import { ValidationError } from '../../layers/core/errors';
import { createImportJob, createImportJobFromUpload, type CreateImportJobInput } from '../../layers/core/jobs/create-import-job';
import { UPLOAD_ID_PATTERN } from '../../layers/core/jobs/create-upload';
import { getDeps } from '../shared/composition';
import { header, parseJsonBody, rawBody, withHttp } from '../shared/http';
import { parseMultipart, type MultipartForm } from '../shared/multipart';

const flagText = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value, ctx) => {
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off', ''].includes(value)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got '${value}'` });
    return z.NEVER;
  });
// Form fields and query parameters are text; a JSON body may use real booleans.
const flag = z.union([z.boolean(), flagText]);

const DELIMITERS: Record<string, ',' | ';' | '\t'> = { ',': ',', ';': ';', '\t': '\t', tab: '\t', comma: ',', semicolon: ';', '\\t': '\t' };

/** The options of an import request: form fields, query parameters or JSON body fields. */
export const optionsSchema = z.object({
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

const jsonObject = z.record(z.string(), z.unknown());

/** The JSON body of an import of a file uploaded with a presigned URL. */
export const uploadBodySchema = optionsSchema.extend({
  upload_id: z.string().regex(UPLOAD_ID_PATTERN, 'must be the upload_id returned by POST .../import/uploads/'),
});

/**
 * POST /api/v1/{model_plural}/import/ → 202 {job_id, status}. Either multipart (file + options,
 * for small files) or JSON `{upload_id, ...options}` naming a file PUT to a presigned upload URL.
 */
export const handler = withHttp(async ({ event, principal, path, query }) => {
  const contentType = header(event, 'content-type') ?? '';
  const caller = { org: principal.org, user: principal.user, perms: principal.perms, model: path.model_plural ?? '' };
  const job = /^application\/json\b/i.test(contentType)
    ? await importUpload(caller, uploadBodySchema.parse({ ...query, ...jsonObject.parse(parseJsonBody(event)) }))
    : await importForm(caller, await parseMultipart(rawBody(event), contentType), query);
  return { statusCode: 202, body: { job_id: job.job_id, status: job.status } };
});

type Caller = Pick<CreateImportJobInput, 'org' | 'user' | 'perms' | 'model'>;

function importUpload(caller: Caller, body: z.infer<typeof uploadBodySchema>) {
  return createImportJobFromUpload(getDeps(), { ...caller, ...jobOptions(body), uploadId: body.upload_id });
}

function importForm(caller: Caller, form: MultipartForm, query: Record<string, string>) {
  if (!form.file) throw new ValidationError('the form has no "file" part', { path: 'file' });
  return createImportJob(getDeps(), { ...caller, ...jobOptions(optionsSchema.parse({ ...query, ...form.fields })), file: form.file });
}

function jobOptions(options: z.infer<typeof optionsSchema>) {
  return {
    dryRun: options.dry_run ?? false,
    skipErrors: options.skip_errors ?? false,
    options: {
      ...(options.skip_unchanged !== undefined ? { skip_unchanged: options.skip_unchanged } : {}),
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      ...(options.sheet ? { sheet: options.sheet } : {}),
    },
  };
}
