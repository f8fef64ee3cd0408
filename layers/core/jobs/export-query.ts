import { ValidationError } from '../errors';
import type { ExportColumn } from '../formats/types';
import type { ModelRegistry } from '../model/define-model';
import type { FieldValue, ModelDefinition, RecordMeta, StoredRecord } from '../model/types';
import { getResourceForModel } from '../resources/registry';
import type { Resource } from '../resources/types';
import { compareRecords, parseFilterTree, parseOrdering, type FilterTree, type OrderingTerm } from './filter-language';

/** What an export (or its preview) reads and writes, as the client asked for it. */
export interface ExportRequest {
  readonly filters?: unknown;
  readonly ordering?: unknown;
  readonly fields?: readonly string[];
}

/** An export request checked against its model. */
export interface ExportQuery {
  readonly resource: Resource;
  readonly columns: ExportColumn[];
  readonly filter?: FilterTree;
  /** Empty when the rows keep the scan's order. */
  readonly ordering: OrderingTerm[];
  /** Orders records by `ordering`, ties by id; meaningful only when `ordering` is not empty. */
  readonly compare: (a: StoredRecord, b: StoredRecord) => number;
}

/**
 * Checks the filter, the ordering and the field list of an export against its model.
 * @throws ValidationError naming the first bad part: `filters.<path>`, `ordering[i]` or `fields[i]`
 */
export function parseExportQuery(model: ModelDefinition, registry: ModelRegistry, request: ExportRequest): ExportQuery {
  const resource = getResourceForModel(model);
  const filter = request.filters === undefined ? undefined : parseFilterTree(request.filters, model, registry);
  const ordering = request.ordering === undefined ? [] : parseOrdering(request.ordering, model);
  return { resource, columns: exportColumnsAt(resource, request.fields), filter, ordering, compare: compareRecords(ordering, model) };
}

/** An ordering as clients write it: `["-price", "name"]`. */
export function formatOrdering(ordering: readonly OrderingTerm[]): string[] {
  return ordering.map((term) => `${term.descending ? '-' : ''}${term.field}`);
}

function exportColumnsAt(resource: Resource, fields: readonly string[] | undefined): ExportColumn[] {
  try {
    return resource.exportColumns({ fields });
  } catch (error) {
    // The resource names the field; clients need its place in their list.
    const field = error instanceof ValidationError ? (error.details as { field?: unknown } | undefined)?.field : undefined;
    const index = fields?.indexOf(String(field)) ?? -1;
    if (!(error instanceof ValidationError) || index < 0) throw error;
    throw new ValidationError(`fields[${index}]: ${error.message}`, { path: `fields[${index}]`, field }, { cause: error });
  }
}

/**
 * A record's sort key as stored next to its cells in a sorted part: its id and the values of the
 * ordering's fields. It is just enough of the record for the ordering's comparator, so parts merge
 * without reloading records.
 */
export type SortKey = [id: string, values: FieldValue[]];

/** Encodes what the comparator of `ordering` reads of a record. */
export function sortKeyOf(record: StoredRecord, ordering: readonly OrderingTerm[]): SortKey {
  return [record.id, ordering.map((term) => (term.field === 'id' ? record.id : (record.values[term.field] ?? null)))];
}

/** Rebuilds the part of a record a sort key holds, for the same comparator. */
export function recordOfSortKey(key: SortKey, ordering: readonly OrderingTerm[]): StoredRecord {
  const [id, values] = key;
  return { id, values: Object.fromEntries(ordering.map((term, i) => [term.field, values[i] ?? null])), meta: NO_META };
}

// Orderings name `id` or model fields only: the comparator never reads the bookkeeping.
const NO_META: RecordMeta = { created_at: '', updated_at: '' };
