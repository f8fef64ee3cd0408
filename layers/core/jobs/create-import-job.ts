import { ValidationError } from '../errors';
import type { DataJob, JobInputParams } from './data-job';
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
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:import`);
  const { filename, body } = input.file;
  const format = importFormatOf(filename);
  if (input.options?.encoding && !isKnownEncoding(input.options.encoding)) {
    throw new ValidationError(`unknown encoding '${input.options.encoding}'`, { path: 'encoding' });
  }
  if (body.length === 0) throw new ValidationError('the file is empty');
  if (body.length > deps.settings.maxDirectUploadBytes) {
    throw new ValidationError(`the file is ${body.length} bytes; the limit for direct uploads is ${deps.settings.maxDirectUploadBytes} bytes`);
  }
  const jobId = deps.newId();
  const key = fileKeys.importInput(input.org, jobId, filename);
  const contentType = IMPORT_CONTENT_TYPES[format];
  const stored = await deps.files.put(key, body, { contentType });
  const job = newJob(
    {
      job_id: jobId,
      job_type: 'IMPORT',
      organization: input.org,
      user: input.user,
      model: model.plural,
      export_format: null,
      input_params: { dry_run: input.dryRun, skip_errors: input.skipErrors, ...input.options },
      input_file: { key, filename, size: stored.size, content_type: contentType },
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
