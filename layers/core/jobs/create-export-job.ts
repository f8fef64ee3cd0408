import { ValidationError } from '../errors';
import type { DataJob, ExportFormat } from './data-job';
import type { JobDeps } from './deps';
import { formatOrdering, parseExportQuery } from './export-query';
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
  /** Field names, `-` in front for descending: `["-price", "name"]`. */
  readonly ordering?: unknown;
  readonly fields?: string[];
}

const SUPPORTED_FORMATS: readonly ExportFormat[] = ['csv', 'xlsx'];

/**
 * Checks an export format.
 * @throws ValidationError at `format` when it is not one of the supported ones
 */
export function requireExportFormat(format: string): ExportFormat {
  if (!SUPPORTED_FORMATS.includes(format as ExportFormat)) {
    throw new ValidationError(`format: unsupported format '${format}': expected one of ${SUPPORTED_FORMATS.join(', ')}`, { path: 'format' });
  }
  return format as ExportFormat;
}

/**
 * Creates an EXPORT job.
 *
 * 1. Resolve the model and check the caller's `<model>:export` permission.
 * 2. Check the format, the filter, the ordering and the field list now, so a bad request creates
 *    no job.
 * 3. Store the job (the ordering in its canonical form) and start the export workflow (see
 *    `startJob`).
 */
export async function createExportJob(deps: Pick<JobDeps, 'jobs' | 'workflow' | 'models' | 'now' | 'newId'>, input: CreateExportJobInput): Promise<DataJob> {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:export`);
  const format = requireExportFormat(input.format);
  const query = parseExportQuery(model, deps.models, input);
  const job = newJob(
    {
      job_id: deps.newId(),
      job_type: 'EXPORT',
      organization: input.org,
      user: input.user,
      model: model.plural,
      export_format: format,
      input_params: {
        ...(input.filters !== undefined ? { filters: input.filters } : {}),
        ...(input.ordering !== undefined ? { ordering: formatOrdering(query.ordering) } : {}),
        ...(input.fields !== undefined ? { fields: input.fields } : {}),
      },
      input_file: null,
    },
    deps.now(),
  );
  return startJob(deps, job, 'export');
}
