import type { RowError } from '../jobs/data-job';
import { parseValue } from '../model/codecs';
import type { ModelRegistry } from '../model/define-model';
import type { FieldDefinition, FieldValue, ModelDefinition, RecordValues, StoredRecord } from '../model/types';
import type { RecordStore } from '../ports/record-store';
import { ID_COLUMN } from './generic-resource';
import type { HeaderMapping, Resource } from './types';

/** One data row of an import file. */
export interface ImportRow {
  /** Spreadsheet row number: the header is row 1. */
  readonly row: number;
  readonly cells: string[];
}

/** What `validateRows` needs to know besides the rows. */
export interface ValidationContext {
  readonly org: string;
  readonly model: ModelDefinition;
  readonly resource: Resource;
  readonly mapping: HeaderMapping;
  readonly store: RecordStore;
  /** Resolves the models foreign keys point at. */
  readonly registry: ModelRegistry;
  readonly user: string;
  readonly jobId: string;
  /** ISO 8601 timestamp written as `updated_at` (and `created_at` of new records). */
  readonly now: string;
  /** Id for a new record whose row has no id. */
  readonly newId: () => string;
}

/** A row that passed every check, with the record to write. */
export interface ValidatedRow {
  readonly row: number;
  readonly action: 'new' | 'update';
  readonly record: StoredRecord;
  /** The stored record an update replaces. */
  readonly previous?: StoredRecord;
}

/** A value of a unique field (or an explicit id) used by a row, to find duplicates across chunks. */
export interface UniqueClaim {
  /** The unique field, or `'id'` for an explicit record id. */
  readonly field: string;
  readonly value: string;
  readonly row: number;
}

/** The outcome of validating one batch of rows. */
export interface ValidatedBatch {
  readonly valid: ValidatedRow[];
  readonly errors: RowError[];
  readonly claims: UniqueClaim[];
  /** Rows with at least one error. */
  readonly rowsWithErrors: number;
}

interface MappedColumn {
  readonly index: number;
  readonly column: string;
  readonly field: FieldDefinition;
}

interface ParsedCell {
  readonly column: MappedColumn;
  readonly raw: string;
  /** Undefined when the cell failed to parse. */
  readonly value?: FieldValue;
}

interface ParsedRow {
  readonly row: number;
  readonly id: string | null;
  readonly cells: Map<string, ParsedCell>;
  readonly errors: RowError[];
}

/**
 * Validates a batch of import rows the way django-import-export with `full_clean` does, without
 * writing anything.
 *
 * 1. Parse every mapped cell with its field's codec.
 * 2. Load, in one call each, the records the rows' ids name, the records their foreign keys name
 *    (per referenced model) and the holders of their unique values (per unique field).
 * 3. Per row, merge the cells into the stored record (update) or the defaults (new), then check
 *    requiredness, references, uniqueness, field validators and the model's `clean`.
 *
 * Duplicates inside the file are not flagged here: the caller compares `claims` across chunks with
 * `findDuplicateClaims`.
 */
export async function validateRows(ctx: ValidationContext, rows: readonly ImportRow[]): Promise<ValidatedBatch> {
  const { model } = ctx;
  const idColumn = ctx.mapping.columns.find((c) => c.field === ID_COLUMN);
  const mapped: MappedColumn[] = [];
  for (const c of ctx.mapping.columns) {
    const f = c.field !== null && c.field !== ID_COLUMN ? model.fields[c.field] : undefined;
    if (f) mapped.push({ index: c.index, column: c.column, field: f });
  }
  const columnOf = new Map(mapped.map((c) => [c.field.name, c.column]));

  const parsed = rows.filter((r) => !isBlankRow(r)).map((r) => parseRow(r, idColumn?.index, mapped));
  const lookups = await loadLookups(ctx, parsed);

  const valid: ValidatedRow[] = [];
  const errors: RowError[] = [];
  const claims: UniqueClaim[] = [];
  // Ids of valid rows seen so far: a later row may reference them (a category's parent created
  // a few rows above), as it could when django-import-export saves row by row.
  const createdInBatch = new Set<string>();
  let rowsWithErrors = 0;

  for (const p of parsed) {
    const rowErrors = [...p.errors];
    const previous = p.id !== null ? lookups.existing.get(p.id) : undefined;
    const recordId = p.id ?? ctx.newId();
    const values = previous ? { ...previous.values } : defaults(model);
    for (const cell of p.cells.values()) {
      if (cell.value === undefined) continue;
      const keepDefault = !previous && cell.value === null && cell.column.field.default !== undefined;
      if (!keepDefault) values[cell.column.field.name] = cell.value;
    }
    const error = (f: FieldDefinition, code: string, message: string): RowError => {
      const cell = p.cells.get(f.name);
      return { row: p.row, column: cell?.column.column ?? null, field: f.name, value: cell?.raw ?? null, code, message };
    };

    // On update, a field whose column is absent keeps its stored value and is not re-checked.
    const checked = previous ? mapped.map((c) => c.field) : Object.values(model.fields);
    for (const f of checked) {
      const cell = p.cells.get(f.name);
      if (cell && cell.value === undefined) continue;
      const value = values[f.name];
      if (isBlankValue(value)) {
        if (f.required) rowErrors.push(error(f, 'required', `${labelOf(f)} is required`));
        continue;
      }
      if (!cell) continue;
      rowErrors.push(...referenceErrors(f, value, lookups, createdInBatch, model).map((m) => error(f, 'not_found', m)));
      if (f.unique) {
        const holder = lookups.uniqueHolders.get(f.name)?.get(String(value));
        if (holder !== undefined && holder !== recordId) {
          rowErrors.push(error(f, 'unique', `"${String(value)}" is already used by another ${model.name}`));
        }
      }
      for (const validator of f.validators ?? []) {
        const message = validator(value, values);
        if (message !== undefined) rowErrors.push(error(f, 'invalid', message));
      }
    }

    const parsingSucceeded = p.errors.length === 0;
    if (parsingSucceeded && model.clean) {
      for (const problem of model.clean(values) ?? []) {
        const f = problem.field !== undefined ? model.fields[problem.field] : undefined;
        rowErrors.push({
          row: p.row,
          column: problem.field !== undefined ? (columnOf.get(problem.field) ?? null) : null,
          field: f ? f.name : (problem.field ?? null),
          value: f ? (p.cells.get(f.name)?.raw ?? null) : null,
          code: 'clean',
          message: problem.message,
        });
      }
    }

    if (p.id !== null) claims.push({ field: ID_COLUMN, value: p.id, row: p.row });
    for (const cell of p.cells.values()) {
      if (cell.column.field.unique && cell.value !== undefined && cell.value !== null) {
        claims.push({ field: cell.column.field.name, value: String(cell.value), row: p.row });
      }
    }

    if (rowErrors.length > 0) {
      errors.push(...rowErrors);
      rowsWithErrors += 1;
      continue;
    }
    if (p.id !== null) createdInBatch.add(p.id);
    const meta = previous
      ? { ...previous.meta, updated_at: ctx.now, updated_by: ctx.user, job_id: ctx.jobId }
      : { created_at: ctx.now, updated_at: ctx.now, created_by: ctx.user, updated_by: ctx.user, job_id: ctx.jobId };
    const record: StoredRecord = { id: recordId, values, meta };
    valid.push(previous ? { row: p.row, action: 'update', record, previous } : { row: p.row, action: 'new', record });
  }
  return { valid, errors, claims, rowsWithErrors };
}

/**
 * Finds values claimed by more than one row of a file: every claim after the first (lowest row) of
 * a (field, value) pair gets a `unique` error pointing at that first row.
 */
export function findDuplicateClaims(
  claims: readonly UniqueClaim[],
  resolveColumn: (field: string) => string | null,
): RowError[] {
  const firstRow = new Map<string, number>();
  const errors: RowError[] = [];
  for (const claim of [...claims].sort((a, b) => a.row - b.row)) {
    const key = `${claim.field}\u0000${claim.value}`;
    const first = firstRow.get(key);
    if (first === undefined) {
      firstRow.set(key, claim.row);
    } else if (first !== claim.row) {
      errors.push({
        row: claim.row,
        column: resolveColumn(claim.field),
        field: claim.field,
        value: claim.value,
        code: 'unique',
        message: `"${claim.value}" is already used by row ${first} of this file`,
      });
    }
  }
  return errors;
}

interface Lookups {
  readonly existing: Map<string, StoredRecord>;
  /** Referenced model plural → ids found in the store. */
  readonly referenced: Map<string, Set<string>>;
  /** Unique field → value → id of the record holding it. */
  readonly uniqueHolders: Map<string, Map<string, string>>;
}

async function loadLookups(ctx: ValidationContext, rows: readonly ParsedRow[]): Promise<Lookups> {
  const { org, model, store } = ctx;
  const explicitIds = unique(rows.flatMap((r) => (r.id !== null ? [r.id] : [])));
  const idsByTarget = new Map<string, Set<string>>();
  const valuesByUniqueField = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const cell of r.cells.values()) {
      const f = cell.column.field;
      if (cell.value === undefined || isBlankValue(cell.value)) continue;
      if (f.type === 'foreign_key' || f.type === 'many_to_many') {
        const ids = idsByTarget.get(f.to as string) ?? new Set<string>();
        for (const id of referencedIds(cell.value)) ids.add(id);
        idsByTarget.set(f.to as string, ids);
      }
      if (f.unique) {
        const values = valuesByUniqueField.get(f.name) ?? new Set<string>();
        values.add(String(cell.value));
        valuesByUniqueField.set(f.name, values);
      }
    }
  }
  const [existing, referencedEntries, uniqueEntries] = await Promise.all([
    explicitIds.length > 0 ? store.getByIds(org, model, explicitIds) : Promise.resolve(new Map<string, StoredRecord>()),
    Promise.all(
      [...idsByTarget].map(async ([plural, ids]) => {
        const found = await store.getByIds(org, ctx.registry.require(plural), [...ids]);
        return [plural, new Set(found.keys())] as const;
      }),
    ),
    Promise.all(
      [...valuesByUniqueField].map(async ([fieldName, values]) => {
        const holders = await store.findByUnique(org, model, fieldName, [...values]);
        return [fieldName, holders] as const;
      }),
    ),
  ]);
  return { existing, referenced: new Map(referencedEntries), uniqueHolders: new Map(uniqueEntries) };
}

function parseRow(row: ImportRow, idIndex: number | undefined, mapped: readonly MappedColumn[]): ParsedRow {
  const id = idIndex !== undefined ? (row.cells[idIndex] ?? '').trim() : '';
  const cells = new Map<string, ParsedCell>();
  const errors: RowError[] = [];
  for (const column of mapped) {
    const raw = row.cells[column.index] ?? '';
    const result = parseValue(column.field, raw);
    if (result.ok) {
      cells.set(column.field.name, { column, raw, value: result.value });
    } else {
      cells.set(column.field.name, { column, raw });
      errors.push({ row: row.row, column: column.column, field: column.field.name, value: raw, code: result.code, message: result.message });
    }
  }
  return { row: row.row, id: id === '' ? null : id, cells, errors };
}

function referenceErrors(
  f: FieldDefinition,
  value: FieldValue,
  lookups: Lookups,
  createdInBatch: ReadonlySet<string>,
  model: ModelDefinition,
): string[] {
  if (f.type !== 'foreign_key' && f.type !== 'many_to_many') return [];
  const target = f.to as string;
  const found = lookups.referenced.get(target);
  return referencedIds(value)
    .filter((id) => !found?.has(id) && !(target === model.plural && createdInBatch.has(id)))
    .map((id) => `${target} '${id}' not found`);
}

function referencedIds(value: FieldValue): string[] {
  if (Array.isArray(value)) return value.map(String);
  return value === null ? [] : [String(value)];
}

function defaults(model: ModelDefinition): RecordValues {
  const values: RecordValues = {};
  for (const f of Object.values(model.fields)) {
    const fallback = f.default;
    values[f.name] = fallback === undefined ? null : typeof fallback === 'function' ? fallback() : fallback;
  }
  return values;
}

function isBlankRow(row: ImportRow): boolean {
  return row.cells.every((cell) => cell.trim() === '');
}

function isBlankValue(value: FieldValue | undefined): boolean {
  return value === null || value === undefined || (Array.isArray(value) && value.length === 0);
}

function labelOf(f: FieldDefinition): string {
  return f.label ?? f.name;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
