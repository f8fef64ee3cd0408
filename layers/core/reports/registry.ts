import { ValidationError } from '../errors';
import type { ReportDefinition } from './define-report';

const reports = new Map<string, Map<string, ReportDefinition>>();

/**
 * Registers a report for its model; returns it.
 * @throws Error when the model already has a report of that name
 */
export function registerReport(report: ReportDefinition): ReportDefinition {
  const byName = reports.get(report.model.plural) ?? new Map<string, ReportDefinition>();
  if (byName.has(report.name)) throw new Error(`${report.model.plural} already has a report named '${report.name}'`);
  byName.set(report.name, report);
  reports.set(report.model.plural, byName);
  return report;
}

/** The reports of a model (by plural), by name. */
export function getReportsForModel(plural: string): ReportDefinition[] {
  return [...(reports.get(plural)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * The report `name` of a model.
 * @throws ValidationError at `report` naming the reports the model has
 */
export function getReport(plural: string, name: string): ReportDefinition {
  const report = reports.get(plural)?.get(name);
  if (report) return report;
  const known = getReportsForModel(plural).map((r) => r.name);
  throw new ValidationError(`report: unknown report '${name}' for ${plural}; ${known.length ? `available: ${known.join(', ')}` : 'it has none'}`, { path: 'report' });
}

/** Forgets every registered report (for tests). */
export function clearReportRegistry(): void {
  reports.clear();
}
