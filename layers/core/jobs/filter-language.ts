/**
 * The one place the export use cases meet the filter language (`../filters`): everything else in
 * `jobs/` calls these functions. They also give every error a full `details.path`
 * (`filters.and[1].value`, `ordering[0]`), like every other request path the API reports.
 */
import { ValidationError } from '../errors';
import * as filters from '../filters';
import type { ModelRegistry } from '../model/define-model';
import type { ModelDefinition, StoredRecord } from '../model/types';
import type { ScanOptions } from '../ports/record-store';

export type { CompiledFilter, CompileFilterContext, FilterTree, OrderingTerm } from '../filters';

/**
 * Validates client filter JSON against a model.
 * @throws ValidationError `filters.<path>: ...` with `details.path` `filters.<path>`
 */
export function parseFilterTree(json: unknown, model: ModelDefinition, registry: ModelRegistry): filters.FilterTree {
  return withFullPath('filters', () => filters.parseFilterTree(json, model, registry));
}

/** Prepares a filter for one scan: resolves foreign-key paths, derives the store-side filter. */
export function compileFilter(tree: filters.FilterTree, ctx: filters.CompileFilterContext): Promise<filters.CompiledFilter> {
  return filters.compileFilter(tree, ctx);
}

/** Scan options of one segment, narrowed by the store-side part of a compiled filter. */
export function scanOptions(segment: number, totalSegments: number, compiled?: filters.CompiledFilter): ScanOptions {
  return { segment, totalSegments, ...(compiled?.storeFilter !== undefined ? { filter: compiled.storeFilter } : {}) };
}

/**
 * Validates client ordering JSON: an array of field names, `-` in front for descending.
 * @throws ValidationError `ordering[i]: ...` with `details.path` `ordering[i]`
 */
export function parseOrdering(json: unknown, model: ModelDefinition): filters.OrderingTerm[] {
  return withFullPath('ordering', () => filters.parseOrdering(json, model));
}

/**
 * A total order over records for an ordering: term by term, records without a value after the
 * others (before them when descending), ties by id.
 */
export function compareRecords(ordering: readonly filters.OrderingTerm[], model: ModelDefinition): (a: StoredRecord, b: StoredRecord) => number {
  return filters.compareRecords(ordering, model);
}

function withFullPath<T>(root: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const details = error instanceof ValidationError ? (error.details as { path?: unknown } | undefined) : undefined;
    if (typeof details?.path !== 'string' || details.path === root || details.path.startsWith(`${root}.`) || details.path.startsWith(`${root}[`)) throw error;
    const relative = details.path;
    const path = relative === '' ? root : relative.startsWith('[') ? `${root}${relative}` : `${root}.${relative}`;
    throw new ValidationError((error as ValidationError).message, { ...details, path }, { cause: error });
  }
}
