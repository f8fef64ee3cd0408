import type { TabularFormat } from '../formats/types';
import type { RowError } from '../jobs/data-job';
import { parseValue, sameFieldValue, splitManyToMany, type ParseOptions } from '../model/codecs';
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
  RowOutcome,
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
  /** The field is sensitive: a duplicate is reported without its value. */
  readonly sensitive?: boolean;
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

/** A field (or `id`) with its column, resolved once per batch rather than per row. */
interface SlotPlan {
  /** Index into `BatchPlan.slots` and the per-row arrays: the field's position in the model, the last one for `id`. */
  readonly slot: number;
  /** The field, or `'id'`. */
  readonly name: string;
  /** Header text of the file's column, or null when the file has none (a hook may still set the cell). */
  readonly column: string | null;
  readonly rf: ResourceField | undefined;
  /** The model field; undefined for `id`. */
  readonly field: FieldDefinition | undefined;
  readonly lookup: ResolvedLookup | undefined;
  /** The field of the related model a lookup parses its keys with. */
  readonly keyField: FieldDefinition | undefined;
}

/** What `validateRows` works out once per batch: every row shares it. */
interface BatchPlan {
  readonly ctx: ValidationContext;
  /** The field that identifies stored records, or `'id'`. */
  readonly importKey: string;
  /** The model's fields in declaration order; a field's slot is its index here. */
  readonly fields: readonly FieldDefinition[];
  readonly uniqueFields: readonly FieldDefinition[];
  /** One per model field, then one for `id`. */
  readonly slots: readonly SlotPlan[];
  readonly slotOf: ReadonlyMap<string, number>;
  readonly fieldsByName: ReadonlyMap<string, ResourceField>;
  /** The mapped columns of the file, in file order. */
  readonly columns: ReadonlyArray<{ readonly index: number; readonly slot: SlotPlan }>;
  /** The slots of `columns`, in file order. */
  readonly columnSlots: readonly SlotPlan[];
  /** The slots of `columns` but the id: the cells of a row `beforeRow` added none to. */
  readonly cellSlots: readonly SlotPlan[];
  readonly parseOptions: ParseOptions;
  /** Natural keys are parsed leniently: a key breaking the key field's bounds is one nobody holds. */
  readonly lenientOptions: ParseOptions;
  /** Defaults of a new record, with null in place of factory defaults (called per record). */
  readonly defaultValues: Readonly<RecordValues>;
  readonly defaultFactories: readonly FieldDefinition[];
}

/** The raw cells of one row, by slot (undefined: no cell), while `beforeRow` runs. */
interface RawCells {
  readonly texts: Array<string | undefined>;
  /** Slots `beforeRow` set without a column in the file, in the order it set them. */
  added: SlotPlan[] | undefined;
  /** Errors `beforeRow` reported. */
  errors: RowError[] | undefined;
}

/*
 * Parsed rows wait in memory until the batch's lookups are loaded. They keep their cells in
 * arrays by slot, in class instances and arrays built with `new Array` rather than in maps and
 * object or array literals: fewer objects to allocate and copy, and V8 pretenures literals whose
 * objects all survive a young-generation GC. Parsed rows all survive the first GC of a batch, and
 * once their literals were allocated straight in the old generation, every batch's garbage piled
 * up there and kept young objects alive (validation ran about a third slower).
 */

/** One key of a lookup cell: the text to query and the canonical value of the key field. */
class LookupKey {
  readonly text: string;
  readonly value: FieldValue;

  constructor(text: string, value: FieldValue) {
    this.text = text;
    this.value = value;
  }
}

/** A row after parsing; per-cell arrays are indexed by slot. */
class ParsedRow {
  readonly row: number;
  readonly id: string | null;
  /** Slots with a cell (the id aside): the file's columns, then those `beforeRow` added. */
  readonly cells: readonly SlotPlan[];
  /** Raw cell text (undefined: no cell). */
  readonly raw: ReadonlyArray<string | undefined>;
  /** Parsed values; undefined for no cell, a cell that failed to parse, and lookup cells. */
  readonly values: ReadonlyArray<FieldValue | undefined>;
  /** Parsed keys of the lookup cells, resolved per row; undefined when the keys failed to parse. */
  readonly keys: ReadonlyArray<LookupKey[] | undefined>;
  /** Errors of `beforeRow` and of parsing; undefined when none. */
  readonly errors: RowError[] | undefined;

  constructor(
    row: number,
    id: string | null,
    cells: readonly SlotPlan[],
    raw: ReadonlyArray<string | undefined>,
    values: ReadonlyArray<FieldValue | undefined>,
    keys: ReadonlyArray<LookupKey[] | undefined>,
    errors: RowError[] | undefined,
  ) {
    this.row = row;
    this.id = id;
    this.cells = cells;
    this.raw = raw;
    this.values = values;
    this.keys = keys;
    this.errors = errors;
  }
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
  const plan = planBatch(ctx);
  const { importKey } = plan;

  const parsed: ParsedRow[] = [];
  for (const r of rows) {
    if (isBlankRow(r)) continue;
    const raw: RawCells = { texts: rawTexts(plan, r), added: undefined, errors: undefined };
    if (resource.hooks.beforeRow) {
      const done = resource.hooks.beforeRow(rawRowView(plan, r.row, raw), rowHookContext(plan, r.row, raw));
      // Awaiting only what the hook returned: an await per row costs a microtask turn even for a
      // synchronous hook, a sizeable share of a large import.
      if (done !== undefined) await done;
    }
    // Parsing is pure, so each row is parsed as soon as its hook is done.
    parsed.push(parseRow(plan, r.row, raw));
  }
  const lookups = await loadLookups(plan, parsed);

  const valid: ValidatedRow[] = [];
  const errors: RowError[] = [];
  const claims: UniqueClaim[] = [];
  const related = new Map<string, RelatedRecord>();
  // Ids (and unique values) of valid rows seen so far: a later row may reference them (a
  // category's parent created a few rows above), as it could when django-import-export saves row
  // by row.
  const createdInBatch = new Set<string>();
  const createdKeys = new Map(plan.uniqueFields.map((f) => [f.name, new Map<string, string>()]));
  const keyLookups: KeyLookups = {
    plan,
    holders: plan.slots.map((s) => (s.lookup ? lookups.holdersOf(s.lookup.model, s.lookup.by) : undefined)),
    created: plan.slots.map((s) => (s.lookup && s.lookup.model.plural === model.plural ? createdKeys.get(s.lookup.by) : undefined)),
  };
  const uniqueHolders = plan.slots.map((s) => (s.field?.unique ? lookups.holdersOf(model, s.name) : undefined));
  const importHolders = importKey === ID_COLUMN ? undefined : lookups.holdersOf(model, importKey);
  const keySlot = plan.slotOf.get(importKey) as number;
  // Per-row outcomes of the lookup cells by slot, reset for each row (arrays, not maps per row).
  const resolved = new Array<FieldValue | undefined>(plan.slots.length).fill(undefined);
  const lookupErrors = new Array<RowError[] | undefined>(plan.slots.length).fill(undefined);
  const missingNotes = new Array<string | undefined>(plan.slots.length).fill(undefined);
  let rowsWithErrors = 0;

  for (const p of parsed) {
    const parsingSucceeded = p.errors === undefined;
    const rowErrors = p.errors ?? [];

    // Identify the stored record the row is about.
    let previous: StoredRecord | undefined;
    let recordId: string;
    if (importHolders === undefined) {
      previous = p.id !== null ? lookups.own.get(p.id) : undefined;
      recordId = p.id ?? ctx.newId();
    } else {
      const keyField = model.fields[importKey] as FieldDefinition;
      const keyValue = p.values[keySlot];
      // A required key field is reported by the field checks below, like any required field.
      if ((p.raw[keySlot] === undefined || keyValue === null) && !keyField.required) {
        rowErrors.push(cellError(plan, p, keyField, 'required', `${labelOf(keyField)} is required to match ${model.plural}`));
      }
      const holder = keyValue !== undefined && keyValue !== null ? importHolders.get(String(keyValue)) : undefined;
      previous = holder !== undefined ? lookups.own.get(holder) : undefined;
      recordId = holder ?? ctx.newId();
    }

    // Resolve natural keys into ids, applying each lookup's policy.
    resolved.fill(undefined);
    lookupErrors.fill(undefined);
    missingNotes.fill(undefined);
    let lookupFailed = false;
    let creates: PendingCreate[] | undefined;
    for (const slot of p.cells) {
      const keys = p.keys[slot.slot];
      if (!slot.lookup || keys === undefined) continue;
      const outcome = resolveKeys(keyLookups, slot, keys);
      if (outcome.creates) (creates ??= []).push(...outcome.creates);
      if (outcome.errors) {
        lookupFailed = true;
        lookupErrors[slot.slot] = outcome.errors.map(({ code, message }) => cellError(plan, p, slot.field as FieldDefinition, code, message));
      } else {
        resolved[slot.slot] = outcome.value;
        if (outcome.dropped) missingNotes[slot.slot] = `${slot.lookup.model.plural} with ${slot.lookup.by} ${outcome.dropped.map((k) => `'${k}'`).join(', ')} not found`;
      }
    }

    const values = previous ? { ...previous.values } : newRecordValues(plan);
    for (const slot of p.cells) {
      const value = slot.lookup ? resolved[slot.slot] : p.values[slot.slot];
      if (value === undefined) continue;
      const f = slot.field as FieldDefinition;
      const keepDefault = !previous && value === null && f.default !== undefined;
      if (!keepDefault) values[f.name] = value;
    }

    // On update, a field whose cell is absent keeps its stored value and is not re-checked: an
    // update checks the row's cells, a new record every field of the model (field i is slot i).
    const checkedCount = previous ? p.cells.length : plan.fields.length;
    for (let i = 0; i < checkedCount; i += 1) {
      const slot = previous ? (p.cells[i] as SlotPlan).slot : i;
      const f = plan.fields[slot] as FieldDefinition;
      const failedLookup = lookupErrors[slot];
      if (failedLookup) {
        rowErrors.push(...failedLookup);
        continue;
      }
      const hasCell = p.raw[slot] !== undefined;
      // A lookup cell whose keys parsed; a failed one counts as a plain cell that failed.
      const isLookup = p.keys[slot] !== undefined;
      if (hasCell && !isLookup && p.values[slot] === undefined) continue;
      const value = values[f.name];
      if (isBlankValue(value)) {
        const note = missingNotes[slot];
        if (f.required) rowErrors.push(cellError(plan, p, f, 'required', `${labelOf(f)} is required${note ? ` (${note})` : ''}`));
        continue;
      }
      if (!hasCell) continue;
      if (!isLookup && isRelationField(f)) {
        for (const message of referenceErrors(f, value as FieldValue, lookups, createdInBatch, model)) rowErrors.push(cellError(plan, p, f, 'not_found', message));
      }
      if (f.unique) {
        // Two rows of the file sharing a value are caught across chunks through `claims`, not here.
        const holder = uniqueHolders[slot]?.get(String(value));
        if (holder !== undefined && holder !== recordId) {
          rowErrors.push(cellError(plan, p, f, 'unique', `"${String(value)}" is already used by another ${model.name}`));
        }
      }
      if (f.validators) {
        for (const validator of f.validators) {
          const message = validator(value as FieldValue, values);
          if (message !== undefined) rowErrors.push(cellError(plan, p, f, 'invalid', message));
        }
      }
    }

    if (parsingSucceeded && !lookupFailed && model.clean) {
      for (const problem of model.clean(values) ?? []) {
        const f = problem.field !== undefined ? model.fields[problem.field] : undefined;
        rowErrors.push({
          row: p.row,
          column: problem.field !== undefined ? columnOf(plan, problem.field) : null,
          field: f ? f.name : (problem.field ?? null),
          value: f ? (rawOf(plan, p, f.name) ?? null) : null,
          code: 'clean',
          message: problem.message,
        });
      }
    }

    if (p.id !== null && importKey === ID_COLUMN) claims.push({ field: ID_COLUMN, value: p.id, row: p.row });
    for (const slot of p.cells) {
      const value = p.values[slot.slot];
      if (slot.field?.unique && value !== undefined && value !== null) {
        claims.push({ field: slot.name, value: String(value), row: p.row, ...(slot.field.sensitive ? { sensitive: true } : {}) });
      }
    }

    const unchanged = previous !== undefined && ctx.skipUnchanged && plan.fields.every((f) => sameFieldValue(f, values[f.name], previous.values[f.name]));
    const action: ValidatedAction = !previous ? 'new' : unchanged ? 'skip' : 'update';
    if (resource.hooks.afterRow) {
      const hookErrors: RowError[] = [];
      const outcome: RowOutcome = previous
        ? { row: p.row, action, values, previous, errors: rowErrors.slice() }
        : { row: p.row, action, values, errors: rowErrors.slice() };
      const done = resource.hooks.afterRow(
        outcome,
        hookContext(ctx, p.row, (error) => hookErrors.push(error), (field) => ({ column: columnOf(plan, field), value: rawOf(plan, p, field) ?? null })),
      );
      if (done !== undefined) await done;
      rowErrors.push(...hookErrors);
    }

    if (rowErrors.length > 0) {
      errors.push(...rowErrors);
      rowsWithErrors += 1;
      continue;
    }
    createdInBatch.add(recordId);
    for (const f of plan.uniqueFields) {
      const value = values[f.name];
      if (value !== null && value !== undefined) createdKeys.get(f.name)?.set(String(value), recordId);
    }
    for (const create of creates ?? []) {
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
  return { valid, errors: errors.map((error) => withoutSensitiveValue(model, error)), claims, rowsWithErrors, related: [...related.values()] };
}

/**
 * A row error of a sensitive field without the value (row errors are shown by the API): the
 * `value` is null and the message no longer quotes it.
 */
export function withoutSensitiveValue(model: ModelDefinition, error: RowError): RowError {
  if (error.field === null || !model.fields[error.field]?.sensitive || error.value === null) return error;
  const message = error.value.length > 0 ? error.message.split(error.value).join(SENSITIVE_PLACEHOLDER) : error.message;
  return { ...error, value: null, message };
}

/** What replaces a sensitive value in a message. */
export const SENSITIVE_PLACEHOLDER = '(sensitive value)';

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
        value: claim.sensitive ? null : claim.value,
        code: 'unique',
        message: `${claim.sensitive ? SENSITIVE_PLACEHOLDER : `"${claim.value}"`} is already used by row ${first} of this file`,
      });
    }
  }
  return errors;
}

/** Resolves the columns, field lists, defaults and parse options every row of the batch shares. */
function planBatch(ctx: ValidationContext): BatchPlan {
  const { model, resource } = ctx;
  const fields = Object.values(model.fields);
  const fieldsByName = new Map(resource.fields.filter((rf) => rf.field !== null).map((rf) => [rf.field as string, rf]));
  const names = [...fields.map((f) => f.name), ID_COLUMN];
  const slotOf = new Map(names.map((name, slot) => [name, slot]));
  const headerOf = new Map<string, string>();
  for (const c of ctx.mapping.columns) if (c.field !== null && slotOf.has(c.field)) headerOf.set(c.field, c.column);
  const slots = names.map((name, slot): SlotPlan => {
    const rf = fieldsByName.get(name);
    const lookup = rf?.lookup;
    return {
      slot,
      name,
      column: headerOf.get(name) ?? null,
      rf,
      field: name === ID_COLUMN ? undefined : model.fields[name],
      lookup,
      keyField: lookup ? lookup.model.fields[lookup.by] : undefined,
    };
  });
  const columns: Array<{ index: number; slot: SlotPlan }> = [];
  for (const c of ctx.mapping.columns) {
    const slot = c.field !== null ? slotOf.get(c.field) : undefined;
    if (slot !== undefined) columns.push({ index: c.index, slot: slots[slot] as SlotPlan });
  }
  const defaultValues: RecordValues = {};
  for (const f of fields) defaultValues[f.name] = f.default === undefined || typeof f.default === 'function' ? null : f.default;
  return {
    ctx,
    importKey: resource.importIdFields[0] ?? ID_COLUMN,
    fields,
    uniqueFields: fields.filter((f) => f.unique),
    slots,
    slotOf,
    fieldsByName,
    columns,
    columnSlots: columns.map((c) => c.slot),
    cellSlots: columns.map((c) => c.slot).filter((s) => s.field !== undefined),
    parseOptions: { sourceFormat: ctx.sourceFormat },
    lenientOptions: { sourceFormat: ctx.sourceFormat, lenient: true },
    defaultValues,
    defaultFactories: fields.filter((f) => typeof f.default === 'function'),
  };
}

/** The values of a new record before its cells: every field's default, or null. */
function newRecordValues(plan: BatchPlan): RecordValues {
  // A copy of the precomputed defaults (same key order as `defaults`); factories run per record.
  const values = { ...plan.defaultValues };
  for (const f of plan.defaultFactories) values[f.name] = (f.default as () => FieldValue)();
  return values;
}

/** The mapped cells of a row by slot, as the user meant them. */
function rawTexts(plan: BatchPlan, row: ImportRow): Array<string | undefined> {
  const texts = new Array<string | undefined>(plan.slots.length).fill(undefined);
  for (const { index, slot } of plan.columns) texts[slot.slot] = cellText(slot, row.cells[index]);
  return texts;
}

/** A cell's text as the user meant it: exports protect text cells against formulas with a `'`. */
function cellText(slot: SlotPlan, text: string | undefined): string {
  const raw = text ?? '';
  return slot.rf?.type === 'string' ? restoreNeutralizedText(raw) : raw;
}

/** The column a field's errors point at: its header text, or null when the file has none. */
function columnOf(plan: BatchPlan, name: string): string | null {
  const slot = plan.slotOf.get(name);
  return slot !== undefined ? (plan.slots[slot] as SlotPlan).column : null;
}

/** The raw text of a field's cell (never the id's). */
function rawOf(plan: BatchPlan, p: ParsedRow, name: string): string | undefined {
  const slot = plan.slotOf.get(name);
  return slot !== undefined && slot < plan.fields.length ? p.raw[slot] : undefined;
}

/** An error of one field of a parsed row, pointing at its cell. */
function cellError(plan: BatchPlan, p: ParsedRow, f: FieldDefinition, code: string, message: string): RowError {
  return { row: p.row, column: columnOf(plan, f.name), field: f.name, value: rawOf(plan, p, f.name) ?? null, code, message };
}

function rawRowView(plan: BatchPlan, row: number, raw: RawCells): RawImportRow {
  const { ctx, fieldsByName, slotOf } = plan;
  const slotWithCell = (name: string): number | undefined => {
    const slot = slotOf.get(name);
    return slot !== undefined && raw.texts[slot] !== undefined ? slot : undefined;
  };
  const resolve = (name: string): string | undefined => {
    if (slotWithCell(name) !== undefined || fieldsByName.has(name)) return name;
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
      const slot = field !== undefined ? slotWithCell(field) : undefined;
      return slot !== undefined ? raw.texts[slot] : undefined;
    },
    set: (name, text) => {
      const field = resolve(name);
      const rf = field !== undefined ? fieldsByName.get(field) : undefined;
      const slot = field !== undefined ? slotOf.get(field) : undefined;
      if (field === undefined || !rf?.importable || slot === undefined) throw new Error(`'${name}' is not an importable column of the ${ctx.model.plural} resource`);
      if (raw.texts[slot] === undefined) (raw.added ??= []).push(plan.slots[slot] as SlotPlan);
      raw.texts[slot] = text;
    },
    fields: () => [...plan.columnSlots, ...(raw.added ?? [])].map((s) => s.name),
  };
}

function rowHookContext(plan: BatchPlan, row: number, raw: RawCells): RowHookContext {
  const report = (error: RowError): void => {
    (raw.errors ??= []).push(error);
  };
  return hookContext(plan.ctx, row, report, (field) => {
    const slot = plan.slotOf.get(field);
    const text = slot !== undefined ? raw.texts[slot] : undefined;
    // A cell `beforeRow` added has no column: its slot's header is null.
    return { column: text !== undefined ? (plan.slots[slot as number] as SlotPlan).column : null, value: text ?? null };
  });
}

function hookContext(
  ctx: ValidationContext,
  row: number,
  report: (error: RowError) => void,
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
      report({ row, column: where.column, field: e.field ?? null, value: where.value, code: e.code ?? 'invalid', message: e.message });
    },
  };
}

function parseRow(plan: BatchPlan, row: number, raw: RawCells): ParsedRow {
  const values = new Array<FieldValue | undefined>(plan.slots.length).fill(undefined);
  const keys = new Array<LookupKey[] | undefined>(plan.slots.length).fill(undefined);
  let errors = raw.errors;
  let id: string | null = null;
  const order = raw.added ? [...plan.columnSlots, ...raw.added] : plan.columnSlots;
  for (const slot of order) {
    const text = raw.texts[slot.slot] as string;
    if (slot.field === undefined) {
      const trimmed = text.trim();
      id = trimmed === '' ? null : trimmed;
    } else if (slot.lookup) {
      const parsed = parseKeys(plan, slot, text);
      if (Array.isArray(parsed)) keys[slot.slot] = parsed;
      else (errors ??= []).push({ row, column: slot.column, field: slot.name, value: text, code: parsed.code, message: `${slot.lookup.model.plural} ${slot.lookup.by}: ${parsed.message}` });
    } else {
      const result = parseValue(slot.field, text, plan.parseOptions);
      if (result.ok) values[slot.slot] = result.value;
      else (errors ??= []).push({ row, column: slot.column, field: slot.name, value: text, code: result.code, message: result.message });
    }
  }
  const cells = raw.added ? order.filter((s) => s.field !== undefined) : plan.cellSlots;
  return new ParsedRow(row, id, cells, raw.texts, values, keys, errors);
}

/** The natural keys of a lookup cell, or why one failed to parse. */
function parseKeys(plan: BatchPlan, slot: SlotPlan, text: string): LookupKey[] | { code: string; message: string } {
  const texts = slot.field?.type === 'many_to_many' ? splitManyToMany(text) : isBlankText(text) ? [] : [text];
  // Not a `[]` literal: the list lives until the batch ends (see `ParsedRow`).
  const keys = new Array<LookupKey>();
  for (const keyText of texts) {
    // Lenient: a key that breaks the key field's bounds is simply one nobody holds.
    const result = parseValue(slot.keyField as FieldDefinition, keyText, plan.lenientOptions);
    if (!result.ok) return result;
    if (result.value !== null) keys.push(new LookupKey(String(result.value), result.value));
  }
  return keys;
}

interface Lookups {
  /** Stored records of the imported model the rows identify. */
  readonly own: Map<string, StoredRecord>;
  /** Referenced model plural → records found in the store (references by id). */
  readonly referenced: ReadonlyMap<string, ReadonlyMap<string, StoredRecord>>;
  /** Holders of unique values: model plural + field → value → id. */
  holdersOf(model: ModelDefinition, field: string): Map<string, string>;
}

/** One query per model for ids and one per (model, unique field) for values, however many rows. */
async function loadLookups(plan: BatchPlan, rows: readonly ParsedRow[]): Promise<Lookups> {
  const { ctx, importKey } = plan;
  const { org, model, store } = ctx;
  const idQueries = new Map<string, { model: ModelDefinition; ids: Set<string> }>();
  const uniqueQueries = new Map<string, { model: ModelDefinition; field: string; values: Set<string> }>();
  const idsOf = (target: ModelDefinition): Set<string> => {
    const entry = idQueries.get(target.plural) ?? { model: target, ids: new Set<string>() };
    idQueries.set(target.plural, entry);
    return entry.ids;
  };
  const valuesOf = (target: ModelDefinition, field: string): Set<string> => {
    const key = `${target.plural}\u0000${field}`;
    const entry = uniqueQueries.get(key) ?? { model: target, field, values: new Set<string>() };
    uniqueQueries.set(key, entry);
    return entry.values;
  };
  // The query sets by slot, found once per batch (queries are still created in first-use order).
  const keySets: Array<Set<string> | undefined> = [];
  const referenceSets: Array<Set<string> | undefined> = [];
  const uniqueSets: Array<Set<string> | undefined> = [];
  for (const r of rows) {
    if (r.id !== null && importKey === ID_COLUMN) idsOf(model).add(r.id);
    for (const { slot, field, lookup } of r.cells) {
      const keys = r.keys[slot];
      if (lookup && keys !== undefined) {
        if (keys.length === 0) continue;
        const values = (keySets[slot] ??= valuesOf(lookup.model, lookup.by));
        for (const key of keys) values.add(key.text);
        continue;
      }
      // Only plain cells that parsed have a value.
      const value = r.values[slot];
      if (value === undefined || isBlankValue(value)) continue;
      const f = field as FieldDefinition;
      if (isRelationField(f)) {
        const ids = (referenceSets[slot] ??= idsOf(ctx.registry.require(f.to as string)));
        for (const id of referencedIds(value)) ids.add(id);
      }
      if (f.unique) (uniqueSets[slot] ??= valuesOf(model, f.name)).add(String(value));
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
  // `own` is a new map when it grew, so `loaded` holds exactly what the id queries found.
  return { own, referenced: loaded, holdersOf };
}

/** What `resolveKeys` needs from the batch, by slot of the lookup column. */
interface KeyLookups {
  readonly plan: BatchPlan;
  /** Holders of the lookup's key values in the store. */
  readonly holders: ReadonlyArray<Map<string, string> | undefined>;
  /** Key values valid rows of this batch hold, when the lookup points at the imported model. */
  readonly created: ReadonlyArray<Map<string, string> | undefined>;
}

interface KeyResolution {
  /** The field's value: an id, ids, or null. */
  readonly value: FieldValue;
  /** `not_found` (or key parse) errors under the `error` and `create` policies; undefined when none. */
  readonly errors?: Array<{ code: string; message: string }>;
  /** Keys dropped under the `empty` policy; undefined when none. */
  readonly dropped?: string[];
  /** Undefined when none. */
  readonly creates?: PendingCreate[];
}

function resolveKeys(batch: KeyLookups, slot: SlotPlan, keys: readonly LookupKey[]): KeyResolution {
  const { ctx } = batch.plan;
  const lookup = slot.lookup as ResolvedLookup;
  const holders = batch.holders[slot.slot];
  const created = batch.created[slot.slot];
  const ids: string[] = [];
  // Allocated only when needed: most keys are found.
  let errors: Array<{ code: string; message: string }> | undefined;
  let dropped: string[] | undefined;
  let creates: PendingCreate[] | undefined;
  for (const key of keys) {
    const found = holders?.get(key.text) ?? created?.get(key.text);
    if (found !== undefined) {
      ids.push(found);
      continue;
    }
    if (lookup.onMissing === 'empty') {
      (dropped ??= []).push(key.text);
    } else if (lookup.onMissing === 'create') {
      // The created record must be valid: check the key strictly (length, bounds).
      const strict = parseValue(lookup.model.fields[lookup.by] as FieldDefinition, key.text, batch.plan.parseOptions);
      if (!strict.ok) {
        (errors ??= []).push({ code: strict.code, message: `cannot create ${lookup.model.plural} with ${lookup.by} '${key.text}': ${strict.message}` });
        continue;
      }
      const id = relatedRecordId(ctx.org, lookup.model, lookup.by, key.text);
      (creates ??= []).push({ lookup, id, key });
      ids.push(id);
    } else {
      (errors ??= []).push({ code: 'not_found', message: `${lookup.model.plural} with ${lookup.by} '${key.text}' not found` });
    }
  }
  const value: FieldValue = slot.field?.type === 'many_to_many' ? distinct(ids) : (ids[0] ?? null);
  return { value, errors, dropped, creates };
}

/** The ids without repeats, in first-seen order (a loop: lists are short, a Set costs more). */
function distinct(ids: string[]): string[] {
  if (ids.length < 2) return ids;
  if (ids.length > 16) return [...new Set(ids)];
  const unique: string[] = [];
  for (const id of ids) if (!unique.includes(id)) unique.push(id);
  return unique;
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
  const target = f.to as string;
  const found = lookups.referenced.get(target);
  return referencedIds(value)
    .filter((id) => !found?.has(id) && !(target === model.plural && createdInBatch.has(id)))
    .map((id) => `${target} '${id}' not found`);
}

function isRelationField(f: FieldDefinition): boolean {
  return f.type === 'foreign_key' || f.type === 'many_to_many';
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
  return row.cells.every(isBlankText);
}

/** Whether a cell is empty or white space only, as `trim` sees it. */
function isBlankText(text: string): boolean {
  // Printable ASCII is never white space: most cells are decided by their first character
  // without trimming a copy of the text.
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return text.trim() === '';
}

function isBlankValue(value: FieldValue | undefined): boolean {
  return value === null || value === undefined || (Array.isArray(value) && value.length === 0);
}

function labelOf(f: FieldDefinition): string {
  return f.label ?? f.name;
}
