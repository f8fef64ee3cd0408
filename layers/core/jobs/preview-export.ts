import { ValidationError } from '../errors';
import type { Cell } from '../formats/types';
import type { StoredRecord } from '../model/types';
import type { JobDeps } from './deps';
import { requireExportFormat, requireReport } from './create-export-job';
import { formatOrdering, parseExportQuery } from './export-query';
import { compileFilter, scanOptions } from './filter-language';
import { requirePermission } from './permissions';
import { FirstItems } from './sorted-streams';

/** What a caller asks a preview for: an export's body, plus how many rows to show. */
export interface PreviewExportInput {
  readonly org: string;
  readonly perms: readonly string[];
  readonly model: string;
  /** Checked like the export's when given; a preview has no file. */
  readonly format?: string;
  readonly filters?: unknown;
  readonly ordering?: unknown;
  readonly fields?: string[];
  /** PDF only: a report name, checked like the export's. */
  readonly report?: string;
  /** Rows to return, 1..100. @default 20 */
  readonly limit?: number;
}

/** What an export would write, seen before it runs. */
export interface ExportPreview {
  /** Records the filter selects: the export's row count. */
  readonly count: number;
  /** The export's header. */
  readonly columns: string[];
  /** The export's first `limit` rows, as typed cells. */
  readonly rows: Cell[][];
  /** The ordering applied, canonical (`["-price", "name"]`); empty for the export's scan order. */
  readonly ordering: string[];
  /**
   * Columns of sensitive fields a custom resource puts in its files (`allowSensitive`): their
   * cells are null here, since no API response shows a sensitive value. Absent when there are none.
   */
  readonly redacted_columns?: string[];
}

/** Default and largest number of rows a preview returns. */
export const PREVIEW_LIMIT = { default: 20, max: 100 } as const;

/**
 * Counts what an export would write and renders its first rows, synchronously.
 *
 * 1. Resolve the model and check the caller's `<model>:export` permission.
 * 2. Check the body exactly as `createExportJob` does (format, filter, ordering, fields), and the
 *    limit.
 * 3. Compile the filter once and scan every segment in parallel: count the matches and keep the
 *    first `limit` of each segment by the ordering (a sorted array of at most `limit` records per
 *    segment), or in scan order without one.
 * 4. Take the first `limit` across segments the way Assemble orders them (merged by the ordering,
 *    else segment after segment) and render them with the model's resource, sensitive columns
 *    emptied.
 */
export async function previewExport(deps: Pick<JobDeps, 'records' | 'models' | 'settings'>, input: PreviewExportInput): Promise<ExportPreview> {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:export`);
  const format = input.format === undefined ? undefined : requireExportFormat(input.format);
  if (input.report !== undefined) requireReport(model, format ?? 'csv', input.report);
  const query = parseExportQuery(model, deps.models, input);
  const limit = input.limit ?? PREVIEW_LIMIT.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > PREVIEW_LIMIT.max) {
    throw new ValidationError(`limit: must be an integer from 1 to ${PREVIEW_LIMIT.max}`, { path: 'limit' });
  }
  const ctx = { org: input.org, store: deps.records, registry: deps.models };
  const filter = query.filter === undefined ? undefined : await compileFilter(query.filter, ctx);
  const ordered = query.ordering.length > 0;
  const totalSegments = deps.settings.exportSegments;

  const segments = await Promise.all(
    Array.from({ length: totalSegments }, async (_, segment) => {
      // Without an ordering, offer order is scan order: every item compares equal and stays behind.
      const first = new FirstItems<StoredRecord>(limit, ordered ? query.compare : () => 0);
      let count = 0;
      for await (const page of deps.records.scan(input.org, model, scanOptions(segment, totalSegments, filter))) {
        for (const record of page) {
          if (filter && !filter.matches(record)) continue;
          count += 1;
          first.offer(record);
        }
      }
      return { count, first: first.values() };
    }),
  );

  const candidates = segments.flatMap((s) => s.first);
  const chosen = (ordered ? candidates.sort(query.compare) : candidates).slice(0, limit);
  const sensitive = new Set(query.resource.fields.filter((rf) => rf.sensitive).map((rf) => rf.column));
  const redacted = query.columns.map((column) => sensitive.has(column.name));
  const rows = await query.resource.exportRows(chosen, query.columns, ctx);
  return {
    count: segments.reduce((n, s) => n + s.count, 0),
    columns: query.columns.map((column) => column.name),
    rows: sensitive.size === 0 ? rows : rows.map((cells) => cells.map((cell, i) => (redacted[i] ? null : cell))),
    ordering: formatOrdering(query.ordering),
    ...(redacted.some(Boolean) ? { redacted_columns: query.columns.filter((_, i) => redacted[i]).map((column) => column.name) } : {}),
  };
}
