import { ValidationError } from '../errors';
import type { ModelDefinition } from '../model/types';
import type { ReportDefinition } from '../reports/define-report';
import { getReport } from '../reports/registry';
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
  /** PDF only: a registered report of the model; the generic report when absent. */
  readonly report?: string;
}

const SUPPORTED_FORMATS: readonly ExportFormat[] = ['csv', 'xlsx', 'pdf'];

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
 * Resolves the report a PDF export asks for.
 * @throws ValidationError at `report` for an unknown report, or a report with another format
 */
export function requireReport(model: ModelDefinition, format: ExportFormat, name: string | undefined): ReportDefinition | undefined {
  if (name === undefined) return undefined;
  if (format !== 'pdf') throw new ValidationError(`report: reports are PDF documents; ask for "format": "pdf"`, { path: 'report' });
  return getReport(model.plural, name);
}

/**
 * Creates an EXPORT job.
 *
 * 1. Resolve the model and check the caller's `<model>:export` permission.
 * 2. Check the format, the report (PDF), the filter, the ordering and the field list now, so a
 *    bad request creates no job. A report without an ordering in the request gets its default one.
 * 3. Store the job (the ordering in its canonical form) and start the export workflow (see
 *    `startJob`).
 */
export async function createExportJob(deps: Pick<JobDeps, 'jobs' | 'workflow' | 'models' | 'now' | 'newId'>, input: CreateExportJobInput): Promise<DataJob> {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:export`);
  const format = requireExportFormat(input.format);
  const report = requireReport(model, format, input.report);
  const ordering = input.ordering ?? report?.defaultOrdering;
  const query = parseExportQuery(model, deps.models, { ...input, ordering });
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
        ...(ordering !== undefined ? { ordering: formatOrdering(query.ordering) } : {}),
        ...(input.fields !== undefined ? { fields: input.fields } : {}),
        ...(report ? { report: report.name } : {}),
      },
      input_file: null,
    },
    deps.now(),
  );
  return startJob(deps, job, 'export');
}
