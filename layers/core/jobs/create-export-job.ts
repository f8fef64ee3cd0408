import { ValidationError } from '../errors';
import { parseFilter } from '../filters/simple-filter';
import { getResourceForModel } from '../resources/registry';
import type { DataJob, ExportFormat } from './data-job';
import type { JobDeps } from './deps';
import { requirePermission } from './permissions';
import { newJob, startJob } from './start-job';

/** What a caller asks for when exporting. */
export interface CreateExportJobInput {
  readonly org: string;
  readonly user: string;
  readonly perms: readonly string[];
  readonly model: string;
  readonly format: string;
  readonly filters?: unknown;
  readonly fields?: string[];
}

const SUPPORTED_FORMATS: readonly ExportFormat[] = ['csv', 'xlsx'];

/**
 * Creates an EXPORT job.
 *
 * 1. Resolve the model and check the caller's `<model>:export` permission.
 * 2. Check the format, the filter and the field list now, so a bad request creates no job.
 * 3. Store the job and start the export workflow (see `startJob`).
 */
export async function createExportJob(deps: Pick<JobDeps, 'jobs' | 'workflow' | 'models' | 'now' | 'newId'>, input: CreateExportJobInput): Promise<DataJob> {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:export`);
  if (!SUPPORTED_FORMATS.includes(input.format as ExportFormat)) {
    throw new ValidationError(`unsupported format '${input.format}': expected one of ${SUPPORTED_FORMATS.join(', ')}`, { path: 'format' });
  }
  if (input.filters !== undefined) parseFilter(input.filters, model);
  if (input.fields !== undefined) getResourceForModel(model).exportColumns({ fields: input.fields });
  const job = newJob(
    {
      job_id: deps.newId(),
      job_type: 'EXPORT',
      organization: input.org,
      user: input.user,
      model: model.plural,
      export_format: input.format as ExportFormat,
      input_params: {
        ...(input.filters !== undefined ? { filters: input.filters } : {}),
        ...(input.fields !== undefined ? { fields: input.fields } : {}),
      },
      input_file: null,
    },
    deps.now(),
  );
  return startJob(deps, job, 'export');
}
