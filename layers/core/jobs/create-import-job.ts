import { ValidationError } from '../errors';
import type { ModelDefinition } from '../model/types';
import { checkUploadSize, findUpload } from './create-upload';
import type { DataJob, JobFile, JobInputParams } from './data-job';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';
import { IMPORT_CONTENT_TYPES, importFormatOf } from './import-format';
import { requirePermission } from './permissions';
import { newJob, startJob } from './start-job';

/** What a caller asks for when importing a file sent with the request. */
export interface CreateImportJobInput {
  readonly org: string;
  readonly user: string;
  readonly perms: readonly string[];
  /** Plural model name from the URL. */
  readonly model: string;
  readonly file: { readonly filename: string; readonly contentType: string; readonly body: Buffer };
  readonly dryRun: boolean;
  readonly skipErrors: boolean;
  /** Reading and matching options kept with the job. */
  readonly options?: Pick<JobInputParams, 'skip_unchanged' | 'encoding' | 'delimiter' | 'sheet'>;
}

/**
 * Creates an IMPORT job for a file sent with the request.
 *
 * 1. Resolve the model and check the caller's `<model>:import` permission.
 * 2. Check the file: a supported type, not empty, within the direct-upload size limit.
 * 3. Store the file under the organization's import prefix.
 * 4. Store the job and start the import workflow (see `startJob`).
 */
export async function createImportJob(deps: Pick<JobDeps, 'jobs' | 'files' | 'workflow' | 'models' | 'settings' | 'now' | 'newId'>, input: CreateImportJobInput): Promise<DataJob> {
  const model = checkImportRequest(deps, input);
  const { filename, body } = input.file;
  const format = importFormatOf(filename);
  checkEncoding(input.options);
  if (body.length === 0) throw new ValidationError('the file is empty');
  if (body.length > deps.settings.maxDirectUploadBytes) {
    throw new ValidationError(`the file is ${body.length} bytes; the limit for direct uploads is ${deps.settings.maxDirectUploadBytes} bytes`);
  }
  const jobId = deps.newId();
  const key = fileKeys.importInput(input.org, jobId, filename);
  const contentType = IMPORT_CONTENT_TYPES[format];
  const stored = await deps.files.put(key, body, { contentType });
  return startImport(deps, input, model, jobId, { key, filename, size: stored.size, content_type: contentType });
}

/** What a caller asks for when importing a file uploaded before with a presigned URL. */
export type CreateImportFromUploadInput = Omit<CreateImportJobInput, 'file'> & {
  /** The `upload_id` returned by `createUpload`. */
  readonly uploadId: string;
};

/**
 * Creates an IMPORT job for a file the client PUT to a presigned upload URL (see `createUpload`).
 * The job reads the uploaded object in place: nothing is copied.
 *
 * 1. Resolve the model and check the caller's `<model>:import` permission and the options.
 * 2. Find the caller's upload in their organization only (another organization's or another
 *    user's is not found), and check it was made for this model.
 * 3. Check the uploaded object: present (the client did PUT it), not empty, within `maxUploadBytes`,
 *    and of the size announced when the URL was issued.
 * 4. Store the job with the upload as its input and start the import workflow (see `startJob`).
 */
export async function createImportJobFromUpload(
  deps: Pick<JobDeps, 'jobs' | 'files' | 'workflow' | 'models' | 'settings' | 'now' | 'newId'>,
  input: CreateImportFromUploadInput,
): Promise<DataJob> {
  const model = checkImportRequest(deps, input);
  checkEncoding(input.options);
  const upload = await findUpload(deps, input, input.uploadId);
  if (upload.model !== model.plural) {
    throw new ValidationError(`upload ${upload.upload_id} was made for ${upload.model}, not ${model.plural}`, { path: 'upload_id' });
  }
  const format = importFormatOf(upload.filename);
  const object = await deps.files.head(upload.key);
  if (!object) {
    throw new ValidationError(`nothing was uploaded for upload_id ${upload.upload_id}: PUT the file to the upload URL first`, { path: 'upload_id' });
  }
  if (object.size === 0) throw new ValidationError('the file is empty');
  checkUploadSize(object.size, deps.settings.maxUploadBytes, 'upload_id');
  if (upload.size !== undefined && object.size !== upload.size) {
    throw new ValidationError(`the uploaded file is ${object.size} bytes, but its upload URL was issued for ${upload.size} bytes`, { path: 'upload_id' });
  }
  const file: JobFile = { key: upload.key, filename: upload.filename, size: object.size, content_type: IMPORT_CONTENT_TYPES[format] };
  return startImport(deps, input, model, deps.newId(), file);
}

function checkImportRequest(deps: Pick<JobDeps, 'models'>, input: Pick<CreateImportJobInput, 'model' | 'perms'>): ModelDefinition {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:import`);
  return model;
}

function checkEncoding(options: CreateImportJobInput['options']): void {
  if (options?.encoding && !isKnownEncoding(options.encoding)) {
    throw new ValidationError(`unknown encoding '${options.encoding}'`, { path: 'encoding' });
  }
}

function startImport(
  deps: Pick<JobDeps, 'jobs' | 'workflow' | 'now'>,
  input: Omit<CreateImportJobInput, 'file'>,
  model: ModelDefinition,
  jobId: string,
  file: JobFile,
): Promise<DataJob> {
  const job = newJob(
    {
      job_id: jobId,
      job_type: 'IMPORT',
      organization: input.org,
      user: input.user,
      model: model.plural,
      export_format: null,
      input_params: { dry_run: input.dryRun, skip_errors: input.skipErrors, ...input.options },
      input_file: file,
    },
    deps.now(),
  );
  return startJob(deps, job, 'import');
}

function isKnownEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}
