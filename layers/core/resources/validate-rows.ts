import type { TabularFormat } from '../formats/types';
import type { RowError } from '../jobs/data-job';
import { parseValue, sameFieldValue, splitManyToMany } from '../model/codecs';
import type { ModelRegistry } from '../model/define-model';
import type { FieldDefinition, FieldValue, ModelDefinition, RecordValues, StoredRecord } from '../model/types';
import type { RecordStore } from '../ports/record-store';
import { restoreNeutralizedText } from '../formats/neutralize';
import { ID_COLUMN, normalizeHeader } from './headers';
import { relatedRecordId } from './related-records';
import type {
  HeaderMapping,
  RawImportRow,
  ResolvedLookup,
  Resource,
  ResourceField,
  RowHookContext,
  RowHookError,
  ValidatedAction,
} from './types';

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
  /** A row equal to its stored record is validated as `'skip'` and not written. */
  readonly skipUnchanged: boolean;
  /** The file's format: `'xlsx'` lets date and date-time columns hold Excel serial numbers. */
  readonly sourceFormat: TabularFormat;
  /** Passed to the row hooks. @default false */
  readonly dryRun?: boolean;
}

/** A row that passed every check, with the record to write (or, for a skip, the stored one). */
export interface ValidatedRow {
  readonly row: number;
  readonly action: ValidatedAction;
  /** The record to write; for `'skip'` the stored record, which is not written. */
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

/** A record of another model an import creates because a lookup's policy is `create`. */
export interface RelatedRecord {
  /** Plural name of the record's model. */
  readonly model: string;
  readonly record: StoredRecord;
}

/** The outcome of validating one batch of rows. */
export interface ValidatedBatch {
  readonly valid: ValidatedRow[];
  readonly errors: RowError[];
  readonly claims: UniqueClaim[];
  /** Rows with at least one error. */
  readonly rowsWithErrors: number;
  /**
   * Related records to create before the rows (once each, ids deterministic), only those that valid
   * rows reference.
   */
  readonly related: RelatedRecord[];
}

interface MappedColumn {
  /** Header text, or null for a cell a hook set without a column in the file. */
  readonly column: string | null;
  /** The field, or `'id'`. */
  readonly name: string;
  readonly rf: ResourceField | undefined;
}

interface RawCell {
  readonly column: MappedColumn;
  text: string;
}

/** One key of a lookup cell: the text to query and the canonical value of the key field. */
interface LookupKey {
  readonly text: string;
  readonly value: FieldValue;
}

interface ParsedCell {
  readonly field: FieldDefinition;
  readonly column: string | null;
  readonly raw: string;
  /** Undefined when the cell failed to parse. */
  readonly value?: FieldValue;
  /** Parsed keys of a lookup cell (its `value` is then set only once resolved). */
  readonly keys?: LookupKey[];
  readonly lookup?: ResolvedLookup;
}

interface ParsedRow {
  readonly row: number;
  readonly id: string | null;
  readonly cells: Map<string, ParsedCell>;
  readonly errors: RowError[];
}

/** Pending creation of a related record, keyed by its deterministic id. */
interface PendingCreate {
  readonly lookup: ResolvedLookup;
  readonly id: string;
  readonly key: LookupKey;
}

/**
 * Validates a batch of import rows the way django-import-export with `full_clean` does, without
 * writing anything.
 *
 * 1. Run the resource's `beforeRow` on each row's raw cells (text cells without the `'` an export
 *    put before a formula-like value).
 * 2. Parse every mapped cell with its field's codec (natural keys with the key field's codec).
 * 3. Load, in one call each: the stored records the rows identify (by id or by the import id
 *    field), the records foreign keys name by id (per referenced model), the holders of unique
 *    values (per unique field) and of natural keys (per related model and key field).
 * 4. Per row, resolve natural keys (applying the lookup policy), merge the cells into the stored
 *    record (update) or the defaults (new), check requiredness, references, uniqueness, field
 *    validators and the model's `clean`, decide new/update/skip, then run `afterRow`.
 *
 * Duplicates inside the file are not flagged here: the caller compares `claims` across chunks with
 * `findDuplicateClaims`.
 */
export async function validateRows(ctx: ValidationContext, rows: readonly ImportRow[]): Promise<ValidatedBatch> {
  const { model, resource } = ctx;
  const importKey = resource.importIdFields[0] ?? ID_COLUMN;
  const fieldsByName = new Map(resource.fields.filter((rf) => rf.field !== null).map((rf) => [rf.field as string, rf]));
  const mapped: Array<MappedColumn & { readonly index: number }> = [];
  for (const c of ctx.mapping.columns) {
    if (c.field !== null && (c.field === ID_COLUMN || model.fields[c.field])) {
      mapped.push({ index: c.index, column: c.column, name: c.field, rf: fieldsByName.get(c.field) });
    }
  }
  const columnOf = new Map(mapped.map((c) => [c.name, c.column]));

  const raws: Array<{ row: number; cells: Map<string, RawCell>; errors: RowError[] }> = [];
  for (const r of rows) {
    if (isBlankRow(r)) continue;
    const cells = new Map<string, RawCell>(mapped.map((c) => [c.name, { column: c, text: cellText(c, r.cells[c.index]) }]));
    const errors: RowError[] = [];
    if (resource.hooks.beforeRow) {
      const raw = rawRowView(r.row, cells, ctx, fieldsByName);
      await resource.hooks.beforeRow(raw, rowHookContext(ctx, r.row, cells, errors));
    }
    raws.push({ row: r.row, cells, errors });
  }

  const parsed = raws.map((r) => parseRow(ctx, r.row, r.cells, r.errors));
  const lookups = await loadLookups(ctx, parsed, importKey);

  const valid: ValidatedRow[] = [];
  const errors: RowError[] = [];
  const claims: UniqueClaim[] = [];
  const related = new Map<string, RelatedRecord>();
  // Ids (and unique values) of valid rows seen so far: a later row may reference them (a
  // category's parent created a few rows above), as it could when django-import-export saves row
  // by row.
  const createdInBatch = new Set<string>();
  const createdKeys = new Map<string, string>();
  let rowsWithErrors = 0;

  for (const p of parsed) {
    const rowErrors = [...p.errors];
    const error = (f: FieldDefinition, code: string, message: string): RowError => {
      const cell = p.cells.get(f.name);
      return { row: p.row, column: cell?.column ?? columnOf.get(f.name) ?? null, field: f.name, value: cell?.raw ?? null, code, message };
    };

    // Identify the stored record the row is about.
    let previous: StoredRecord | undefined;
    let recordId: string;
    if (importKey === ID_COLUMN) {
      previous = p.id !== null ? lookups.own.get(p.id) : undefined;
      recordId = p.id ?? ctx.newId();
    } else {
      const keyField = model.fields[importKey] as FieldDefinition;
      const keyCell = p.cells.get(importKey);
      // A required key field is reported by the field checks below, like any required field.
      if ((keyCell === undefined || keyCell.value === null) && !keyField.required) {
        rowErrors.push(error(keyField, 'required', `${labelOf(keyField)} is required to match ${model.plural}`));
      }
      const holder = keyCell?.value !== undefined && keyCell.value !== null ? lookups.holdersOf(model, importKey).get(String(keyCell.value)) : undefined;
      previous = holder !== undefined ? lookups.own.get(holder) : undefined;
      recordId = holder ?? ctx.newId();
    }

    // Resolve natural keys into ids, applying each lookup's policy.
    const resolved = new Map<string, FieldValue>();
    const lookupErrors = new Map<string, RowError[]>();
    const missingNotes = new Map<string, string>();
    const creates: PendingCreate[] = [];
    for (const cell of p.cells.values()) {
      if (!cell.lookup || !cell.keys) continue;
      const outcome = resolveKeys(ctx, cell, lookups, createdKeys);
      creates.push(...outcome.creates);
      if (outcome.errors.length > 0) {
        lookupErrors.set(cell.field.name, outcome.errors.map(({ code, message }) => error(cell.field, code, message)));
      } else {
        resolved.set(cell.field.name, outcome.value);
        if (outcome.dropped.length > 0) missingNotes.set(cell.field.name, `${cell.lookup.model.plural} with ${cell.lookup.by} ${outcome.dropped.map((k) => `'${k}'`).join(', ')} not found`);
      }
    }

    const values = previous ? { ...previous.values } : defaults(model);
    for (const cell of p.cells.values()) {
      const value = cell.lookup ? resolved.get(cell.field.name) : cell.value;
      if (value === undefined) continue;
      const keepDefault = !previous && value === null && cell.field.default !== undefined;
      if (!keepDefault) values[cell.field.name] = value;
    }

    // On update, a field whose cell is absent keeps its stored value and is not re-checked.
    const checked = previous ? [...p.cells.values()].map((c) => c.field) : Object.values(model.fields);
    for (const f of checked) {
      const cell = p.cells.get(f.name);
      const failedLookup = lookupErrors.get(f.name);
      if (failedLookup) {
        rowErrors.push(...failedLookup);
        continue;
      }
      if (cell && !cell.lookup && cell.value === undefined) continue;
      const value = values[f.name];
      if (isBlankValue(value)) {
        const note = missingNotes.get(f.name);
        if (f.required) rowErrors.push(error(f, 'required', `${labelOf(f)} is required${note ? ` (${note})` : ''}`));
        continue;
      }
      if (!cell) continue;
      if (!cell.lookup) {
        rowErrors.push(...referenceErrors(f, value, lookups, createdInBatch, model).map((m) => error(f, 'not_found', m)));
      }
      if (f.unique) {
        // Two rows of the file sharing a value are caught across chunks through `claims`, not here.
        const holder = lookups.holdersOf(model, f.name).get(String(value));
        if (holder !== undefined && holder !== recordId) {
          rowErrors.push(error(f, 'unique', `"${String(value)}" is already used by another ${model.name}`));
        }
      }
      for (const validator of f.validators ?? []) {
        const message = validator(value, values);
        if (message !== undefined) rowErrors.push(error(f, 'invalid', message));
      }
    }

    const parsingSucceeded = p.errors.length === 0 && lookupErrors.size === 0;
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

    if (p.id !== null && importKey === ID_COLUMN) claims.push({ field: ID_COLUMN, value: p.id, row: p.row });
    for (const cell of p.cells.values()) {
      if (cell.field.unique && cell.value !== undefined && cell.value !== null) {
        claims.push({ field: cell.field.name, value: String(cell.value), row: p.row });
      }
    }

    const unchanged = previous !== undefined && ctx.skipUnchanged && Object.values(model.fields).every((f) => sameFieldValue(f, values[f.name], previous.values[f.name]));
    const action: ValidatedAction = !previous ? 'new' : unchanged ? 'skip' : 'update';
    if (resource.hooks.afterRow) {
      const hookErrors: RowError[] = [];
      await resource.hooks.afterRow(
        { row: p.row, action, values, ...(previous ? { previous } : {}), errors: [...rowErrors] },
        hookContext(ctx, p.row, hookErrors, (field) => ({ column: columnOf.get(field) ?? null, value: p.cells.get(field)?.raw ?? null })),
      );
      rowErrors.push(...hookErrors);
    }

    if (rowErrors.length > 0) {
      errors.push(...rowErrors);
      rowsWithErrors += 1;
      continue;
    }
    createdInBatch.add(recordId);
    for (const f of Object.values(model.fields)) {
      const value = values[f.name];
      if (f.unique && value !== null && value !== undefined) createdKeys.set(`${model.plural}\u0000${f.name}\u0000${String(value)}`, recordId);
    }
    for (const create of creates) {
      if (!related.has(create.id)) related.set(create.id, { model: create.lookup.model.plural, record: relatedRecord(ctx, create) });
    }
    if (action === 'skip' && previous) {
      valid.push({ row: p.row, action, record: previous });
      continue;
    }
    const meta = previous
      ? { ...previous.meta, updated_at: ctx.now, updated_by: ctx.user, job_id: ctx.jobId }
      : { created_at: ctx.now, updated_at: ctx.now, created_by: ctx.user, updated_by: ctx.user, job_id: ctx.jobId };
    const record: StoredRecord = { id: recordId, values, meta };
    valid.push(previous ? { row: p.row, action: 'update', record, previous } : { row: p.row, action: 'new', record });
  }
  return { valid, errors, claims, rowsWithErrors, related: [...related.values()] };
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

/** A cell's text as the user meant it: exports protect text cells against formulas with a `'`. */
function cellText(column: MappedColumn, text: string | undefined): string {
  const raw = text ?? '';
  return column.rf?.type === 'string' ? restoreNeutralizedText(raw) : raw;
}

function rawRowView(
  row: number,
  cells: Map<string, RawCell>,
  ctx: ValidationContext,
  fieldsByName: ReadonlyMap<string, ResourceField>,
): RawImportRow {
  const resolve = (name: string): string | undefined => {
    if (cells.has(name) || fieldsByName.has(name)) return name;
    const normalized = normalizeHeader(name);
    const inFile = ctx.mapping.columns.find((c) => c.field !== null && normalizeHeader(c.column) === normalized);
    if (inFile) return inFile.field as string;
    const declared = ctx.resource.fields.find((rf) => rf.field !== null && [rf.column, ...rf.aliases].some((text) => normalizeHeader(text) === normalized));
    return declared?.field ?? undefined;
  };
  return {
    row,
    get: (name) => {
      const field = resolve(name);
      return field !== undefined ? cells.get(field)?.text : undefined;
    },
    set: (name, text) => {
      const field = resolve(name);
      const rf = field !== undefined ? fieldsByName.get(field) : undefined;
      if (field === undefined || !rf?.importable) throw new Error(`'${name}' is not an importable column of the ${ctx.model.plural} resource`);
      const cell = cells.get(field);
      if (cell) cell.text = text;
      else cells.set(field, { column: { column: null, name: field, rf }, text });
    },
    fields: () => [...cells.keys()],
  };
}

function rowHookContext(ctx: ValidationContext, row: number, cells: Map<string, RawCell>, errors: RowError[]): RowHookContext {
  return hookContext(ctx, row, errors, (field) => ({ column: cells.get(field)?.column.column ?? null, value: cells.get(field)?.text ?? null }));
}

function hookContext(
  ctx: ValidationContext,
  row: number,
  errors: RowError[],
  cellOf: (field: string) => { column: string | null; value: string | null },
): RowHookContext {
  return {
    org: ctx.org,
    user: ctx.user,
    jobId: ctx.jobId,
    dryRun: ctx.dryRun ?? false,
    registry: ctx.registry,
    addError: (e: RowHookError) => {
      const where = e.field !== undefined ? cellOf(e.field) : { column: null, value: null };
      errors.push({ row, column: where.column, field: e.field ?? null, value: where.value, code: e.code ?? 'invalid', message: e.message });
    },
  };
}

function parseRow(ctx: ValidationContext, row: number, raw: Map<string, RawCell>, hookErrors: RowError[]): ParsedRow {
  const cells = new Map<string, ParsedCell>();
  const errors: RowError[] = [...hookErrors];
  let id: string | null = null;
  const options = { sourceFormat: ctx.sourceFormat };
  for (const [name, { column, text }] of raw) {
    if (name === ID_COLUMN) {
      id = text.trim() === '' ? null : text.trim();
      continue;
    }
    const field = ctx.model.fields[name] as FieldDefinition;
    const lookup = column.rf?.lookup;
    const fail = (code: string, message: string): void => {
      cells.set(name, { field, column: column.column, raw: text });
      errors.push({ row, column: column.column, field: name, value: text, code, message });
    };
    if (lookup) {
      const keyField = lookup.model.fields[lookup.by] as FieldDefinition;
      const texts = field.type === 'many_to_many' ? splitManyToMany(text) : text.trim() === '' ? [] : [text];
      const keys: LookupKey[] = [];
      let failed = false;
      for (const keyText of texts) {
        // Lenient: a key that breaks the key field's bounds is simply one nobody holds.
        const result = parseValue(keyField, keyText, { ...options, lenient: true });
        if (!result.ok) {
          fail(result.code, `${lookup.model.plural} ${lookup.by}: ${result.message}`);
          failed = true;
          break;
        }
        if (result.value !== null) keys.push({ text: String(result.value), value: result.value });
      }
      if (!failed) cells.set(name, { field, column: column.column, raw: text, keys, lookup });
      continue;
    }
    const result = parseValue(field, text, options);
    if (result.ok) cells.set(name, { field, column: column.column, raw: text, value: result.value });
    else fail(result.code, result.message);
  }
  return { row, id, cells, errors };
}

interface Lookups {
  /** Stored records of the imported model the rows identify. */
  readonly own: Map<string, StoredRecord>;
  /** Referenced model plural → ids found in the store (references by id). */
  readonly referenced: Map<string, Set<string>>;
  /** Holders of unique values: model plural + field → value → id. */
  holdersOf(model: ModelDefinition, field: string): Map<string, string>;
}

/** One query per model for ids and one per (model, unique field) for values, however many rows. */
async function loadLookups(ctx: ValidationContext, rows: readonly ParsedRow[], importKey: string): Promise<Lookups> {
  const { org, model, store } = ctx;
  const idQueries = new Map<string, { model: ModelDefinition; ids: Set<string> }>();
  const uniqueQueries = new Map<string, { model: ModelDefinition; field: string; values: Set<string> }>();
  const wantIds = (target: ModelDefinition, ids: Iterable<string>): void => {
    const entry = idQueries.get(target.plural) ?? { model: target, ids: new Set<string>() };
    for (const id of ids) entry.ids.add(id);
    idQueries.set(target.plural, entry);
  };
  const wantHolders = (target: ModelDefinition, field: string, values: Iterable<string>): void => {
    const key = `${target.plural}\u0000${field}`;
    const entry = uniqueQueries.get(key) ?? { model: target, field, values: new Set<string>() };
    for (const value of values) entry.values.add(value);
    uniqueQueries.set(key, entry);
  };
  for (const r of rows) {
    if (r.id !== null && importKey === ID_COLUMN) wantIds(model, [r.id]);
    for (const cell of r.cells.values()) {
      const f = cell.field;
      if (cell.lookup && cell.keys && cell.keys.length > 0) {
        wantHolders(cell.lookup.model, cell.lookup.by, cell.keys.map((k) => k.text));
        continue;
      }
      if (cell.value === undefined || isBlankValue(cell.value)) continue;
      if (!cell.lookup && (f.type === 'foreign_key' || f.type === 'many_to_many')) wantIds(ctx.registry.require(f.to as string), referencedIds(cell.value));
      if (f.unique) wantHolders(model, f.name, [String(cell.value)]);
    }
  }
  const [idEntries, uniqueEntries] = await Promise.all([
    Promise.all([...idQueries.values()].map(async (q) => [q.model.plural, await store.getByIds(org, q.model, [...q.ids])] as const)),
    Promise.all([...uniqueQueries].map(async ([key, q]) => [key, await store.findByUnique(org, q.model, q.field, [...q.values])] as const)),
  ]);
  const loaded = new Map(idEntries);
  const holders = new Map(uniqueEntries);
  const holdersOf = (target: ModelDefinition, field: string): Map<string, string> => holders.get(`${target.plural}\u0000${field}`) ?? new Map();
  let own = loaded.get(model.plural) ?? new Map<string, StoredRecord>();
  if (importKey !== ID_COLUMN) {
    // The rows name records by the import id field: fetch the matches (one more call) to merge into.
    const matched = [...new Set(holdersOf(model, importKey).values())].filter((id) => !own.has(id));
    if (matched.length > 0) own = new Map([...own, ...(await store.getByIds(org, model, matched))]);
  }
  const referenced = new Map([...loaded].map(([plural, found]) => [plural, new Set(found.keys())]));
  return { own, referenced, holdersOf };
}

interface KeyResolution {
  /** The field's value: an id, ids, or null. */
  readonly value: FieldValue;
  /** `not_found` (or key parse) errors under the `error` and `create` policies. */
  readonly errors: Array<{ code: string; message: string }>;
  /** Keys dropped under the `empty` policy. */
  readonly dropped: string[];
  readonly creates: PendingCreate[];
}

function resolveKeys(ctx: ValidationContext, cell: ParsedCell, lookups: Lookups, createdKeys: ReadonlyMap<string, string>): KeyResolution {
  const lookup = cell.lookup as ResolvedLookup;
  const keys = cell.keys ?? [];
  const holders = lookups.holdersOf(lookup.model, lookup.by);
  const ids: string[] = [];
  const errors: Array<{ code: string; message: string }> = [];
  const dropped: string[] = [];
  const creates: PendingCreate[] = [];
  for (const key of keys) {
    const found = holders.get(key.text) ?? createdKeys.get(`${lookup.model.plural}\u0000${lookup.by}\u0000${key.text}`);
    if (found !== undefined) {
      ids.push(found);
      continue;
    }
    if (lookup.onMissing === 'empty') {
      dropped.push(key.text);
    } else if (lookup.onMissing === 'create') {
      // The created record must be valid: check the key strictly (length, bounds).
      const strict = parseValue(lookup.model.fields[lookup.by] as FieldDefinition, key.text, { sourceFormat: ctx.sourceFormat });
      if (!strict.ok) {
        errors.push({ code: strict.code, message: `cannot create ${lookup.model.plural} with ${lookup.by} '${key.text}': ${strict.message}` });
        continue;
      }
      const id = relatedRecordId(ctx.org, lookup.model, lookup.by, key.text);
      creates.push({ lookup, id, key });
      ids.push(id);
    } else {
      errors.push({ code: 'not_found', message: `${lookup.model.plural} with ${lookup.by} '${key.text}' not found` });
    }
  }
  const distinct = [...new Set(ids)];
  const value: FieldValue = cell.field.type === 'many_to_many' ? distinct : (distinct[0] ?? null);
  return { value, errors, dropped, creates };
}

function relatedRecord(ctx: ValidationContext, create: PendingCreate): StoredRecord {
  const values = defaults(create.lookup.model);
  values[create.lookup.by] = create.key.value;
  return {
    id: create.id,
    values,
    meta: { created_at: ctx.now, updated_at: ctx.now, created_by: ctx.user, updated_by: ctx.user, job_id: ctx.jobId },
  };
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
