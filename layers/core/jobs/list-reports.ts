import type { JobDeps } from './deps';
import { requirePermission } from './permissions';
import { getReportsForModel } from '../reports/registry';

/** One report as the API lists it. */
export interface ReportSummary {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly model: string;
}

/**
 * Lists the PDF reports of a model.
 *
 * 1. Resolve the model and check the caller's `<model>:export` permission.
 * 2. Return its registered reports by name.
 */
export function listReports(deps: Pick<JobDeps, 'models'>, input: { perms: readonly string[]; model: string }): { items: ReportSummary[] } {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:export`);
  return { items: getReportsForModel(model.plural).map((r) => ({ name: r.name, title: r.title, description: r.description, model: r.model.plural })) };
}
