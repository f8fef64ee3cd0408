import { FileFormatError, ValidationError } from '../errors';
import type { Cell, ColumnType, ExportColumn } from '../formats/types';
import { columnTypeOf, formatCell, joinManyToMany } from '../model/codecs';
import { isRelation } from '../model/define-model';
import type { FieldDefinition, ModelDefinition, StoredRecord } from '../model/types';
import { cleanHeader, ID_COLUMN, normalizeHeader } from './headers';
import { loadRelatedForExport } from './related-records';
import type {
  Dehydrate,
  ExportColumnsOptions,
  ExportContext,
  HeaderMapping,
  ImportHooks,
  LookupPolicy,
  ResolvedLookup,
  Resource,
  ResourceField,
} from './types';

/** A relation shown in files by a natural key of the related model (django's ForeignKeyWidget). */
export interface LookupOptions {
  /** The related model; must be the model the relation field points at. */
  readonly model: ModelDefinition;
  /** A unique field of the related model, e.g. `code` or `name`. */
  readonly by: string;
  /**
   * What an import does with a key that matches no record: `error` fails the row (`not_found`),
   * `create` creates the related record (with a deterministic id), `empty` leaves the field empty
   * (for many-to-many: drops that key).
   * @default 'error'
   */
  readonly onMissing?: LookupPolicy;
}

/** How the resource treats one model field (or `id`). */
export interface ResourceFieldOptions {
  /** Header text. @default the field name */
  readonly column?: string;
  /** Other header texts accepted on import, compared ignoring case. @default none */
  readonly aliases?: readonly string[];
  /** Import and export a relation by a natural key instead of the id. @default by id */
  readonly lookup?: LookupOptions;
  /** Formats the exported cell; the import does not undo it, so keep it re-importable. */
  readonly dehydrate?: Dehydrate;
  /** Exported but never imported; the column is ignored on import without a warning. @default false */
  readonly readOnly?: boolean;
}

/** An export-only column computed from the record. */
export interface ComputedColumnOptions {
  /** @default 'string' */
  readonly type?: ColumnType;
  /** Decimal places of a decimal column. */
  readonly scale?: number;
  /** The cell of a record. */
  readonly dehydrate: (record: StoredRecord) => Cell;
}

/** What `defineResource` takes; every option is optional. */
export interface ResourceOptions {
  /**
   * Model fields (and `'id'`) the resource has, in this order. A sensitive field may be listed only
   * when `allowSensitive` names it too.
   * @default 'id', then every field in declaration order that is not sensitive or is in `allowSensitive`
   */
  readonly fields?: readonly string[];
  /**
   * Sensitive fields this resource deliberately puts in files (and reads from them), e.g. a bank
   * account in a payments file. Without this opt-in a sensitive field is never in a file and its
   * value is hidden even from `dehydrate` and computed columns. API responses (the export preview,
   * row errors) never show the values either way.
   * @default none
   */
  readonly allowSensitive?: readonly string[];
  /** Fields to leave out of `fields` (e.g. `['id']`). @default none */
  readonly exclude?: readonly string[];
  /** Columns (fields or computed) that come first in exports, in this order; the rest follow. */
  readonly exportOrder?: readonly string[];
  /** Per-field settings: column name, aliases, natural-key lookup, dehydrate, read-only. */
  readonly fieldOptions?: Readonly<Record<string, ResourceFieldOptions>>;
  /** Export-only columns by header text, appended after the fields unless `exportOrder` places them. */
  readonly computed?: Readonly<Record<string, ComputedColumnOptions>>;
  /**
   * The field that identifies an existing record on import: `'id'`, or one unique, importable,
   * non-relation field of the resource (composite keys are not supported).
   * @default ['id']
   */
  readonly importIdFields?: readonly string[];
  /** Default of the job option `skip_unchanged`. @default true */
  readonly skipUnchanged?: boolean;
  /** Import hooks. @default none */
  readonly hooks?: ImportHooks;
}

/**
 * Builds a resource (django-import-export's ModelResource) from declarative options, checking them
 * against the model so a mistake fails when the module loads rather than in the middle of a job.
 * Register it with `registerResource` so jobs use it instead of the generic resource.
 * @throws Error describing the first problem found
 */
export function defineResource(model: ModelDefinition, options: ResourceOptions = {}): Resource {
  const where = `resource '${model.plural}'`;
  const allowed = allowedSensitive(where, model, options.allowSensitive ?? []);
  const names = selectFields(where, model, options, allowed);
  const fieldOptions = options.fieldOptions ?? {};
  for (const name of Object.keys(fieldOptions)) {
    if (!names.includes(name)) throw new Error(`${where}: fieldOptions.${name} names a field the resource does not have`);
  }
  const importIdFields = options.importIdFields ?? [ID_COLUMN];

  const byName = new Map<string, ResourceField>();
  for (const name of names) {
    byName.set(name, resolveField(where, model, name, fieldOptions[name] ?? {}, importIdFields));
    if (model.fields[name]?.sensitive) byName.set(name, { ...(byName.get(name) as ResourceField), sensitive: true });
  }
  for (const [column, computed] of Object.entries(options.computed ?? {})) {
    if (cleanHeader(column) !== column || column === '') throw new Error(`${where}: computed column '${column}' needs a non-blank name without surrounding spaces`);
    if (model.fields[column] || column === ID_COLUMN) throw new Error(`${where}: computed column '${column}' has the name of a field`);
    if (computed.type === 'decimal' && computed.scale === undefined) throw new Error(`${where}: computed decimal column '${column}' needs a scale`);
    byName.set(column, {
      column,
      field: null,
      type: computed.type ?? 'string',
      ...(computed.scale !== undefined ? { scale: computed.scale } : {}),
      aliases: [],
      importable: false,
      dehydrate: computed.dehydrate,
    });
  }
  const fields = orderFields(where, byName, options.exportOrder ?? []);
  const byHeader = headerIndex(where, fields);
  checkImportId(where, model, importIdFields, byName);
  const importKey = importIdFields[0] as string;
  const keyColumn = byName.get(importKey)?.column ?? importKey;
  // Sensitive values the resource did not opt into never reach dehydrate or computed columns.
  const hidden = Object.values(model.fields).filter((f) => f.sensitive && !allowed.has(f.name)).map((f) => f.name);
  const reveals = hidden.length > 0 && fields.some((rf) => rf.dehydrate !== undefined);

  function exportColumns(exportOptions: ExportColumnsOptions = {}): ExportColumn[] {
    const chosen = exportOptions.fields === undefined ? fields : unique(exportOptions.fields.map((requested) => resolveExportName(model, byHeader, requested)));
    return chosen.map((rf) => ({ name: rf.column, type: rf.type, ...(rf.scale !== undefined ? { scale: rf.scale } : {}) }));
  }

  async function exportRows(records: readonly StoredRecord[], columns: readonly ExportColumn[], ctx: ExportContext): Promise<Cell[][]> {
    const chosen = columns.map((c) => {
      const rf = fields.find((candidate) => candidate.column === c.name);
      if (!rf) throw new ValidationError(`'${c.name}' is not a column of the ${model.plural} resource`, { field: c.name });
      return rf;
    });
    const related = await loadRelatedForExport(records, chosen, ctx);
    const visible = reveals ? records.map((record) => withoutFields(record, hidden)) : records;
    return visible.map((record) => chosen.map((rf) => renderCell(model, rf, record, related)));
  }

  function mapHeader(header: readonly string[]): HeaderMapping {
    const columns: HeaderMapping['columns'] = [];
    const unmapped: string[] = [];
    const seenHeaders = new Set<string>();
    const seenFields = new Set<string>();
    header.forEach((text, index) => {
      const column = cleanHeader(text);
      const normalized = column.toLowerCase();
      // Spreadsheets often carry trailing empty header cells: ignore them quietly.
      if (normalized === '') {
        columns.push({ index, column, field: null });
        return;
      }
      const rf = byHeader.get(normalized);
      const field = rf?.importable ? rf.field : null;
      if (seenHeaders.has(normalized) || (field !== null && seenFields.has(field))) {
        throw new FileFormatError(`duplicate column '${column}'`);
      }
      seenHeaders.add(normalized);
      if (field !== null) seenFields.add(field);
      else if (!rf) unmapped.push(column);
      columns.push({ index, column, field });
    });
    // Without the key column every row would create a record, duplicating what is already stored.
    if (importKey !== ID_COLUMN && !seenFields.has(importKey)) {
      throw new FileFormatError(`the file has no '${keyColumn}' column, which identifies existing ${model.plural} on import`);
    }
    return { columns, unmapped };
  }

  return {
    model,
    fields,
    importIdFields: [...importIdFields],
    skipUnchanged: options.skipUnchanged ?? true,
    hooks: { ...(options.hooks ?? {}) },
    exportColumns,
    exportRows,
    mapHeader,
  };
}

/** The sensitive fields a resource opts into, checked: each must be a sensitive field of the model. */
function allowedSensitive(where: string, model: ModelDefinition, names: readonly string[]): ReadonlySet<string> {
  for (const name of names) {
    const f = model.fields[name];
    if (!f) throw new Error(`${where}: allowSensitive names unknown field '${name}'`);
    if (!f.sensitive) throw new Error(`${where}: allowSensitive names '${name}', which is not a sensitive field`);
  }
  return new Set(names);
}

function selectFields(where: string, model: ModelDefinition, options: ResourceOptions, allowed: ReadonlySet<string>): string[] {
  const known = (name: string): boolean => name === ID_COLUMN || model.fields[name] !== undefined;
  for (const name of [...(options.fields ?? []), ...(options.exclude ?? [])]) {
    if (!known(name)) throw new Error(`${where}: unknown field '${name}'`);
  }
  if (options.fields) {
    if (new Set(options.fields).size !== options.fields.length) throw new Error(`${where}: a field is listed twice in fields`);
    const sensitive = options.fields.find((name) => model.fields[name]?.sensitive && !allowed.has(name));
    if (sensitive !== undefined) throw new Error(`${where}: field '${sensitive}' is sensitive and never in a file unless the resource lists it in allowSensitive`);
  }
  const all = options.fields ?? [ID_COLUMN, ...Object.values(model.fields).filter((f) => !f.sensitive || allowed.has(f.name)).map((f) => f.name)];
  const excluded = new Set(options.exclude ?? []);
  return all.filter((name) => !excluded.has(name));
}

function resolveField(
  where: string,
  model: ModelDefinition,
  name: string,
  options: ResourceFieldOptions,
  importIdFields: readonly string[],
): ResourceField {
  const column = options.column ?? name;
  if (cleanHeader(column) !== column || column === '') throw new Error(`${where}: column '${column}' of field '${name}' needs a non-blank name without surrounding spaces`);
  // The id is import-only data when records are matched by another field: it is shown, never set.
  const idIsKey = importIdFields.length === 1 && importIdFields[0] === ID_COLUMN;
  const importable = !options.readOnly && (name !== ID_COLUMN || idIsKey);
  const common = { column, aliases: [...(options.aliases ?? [])], importable, ...(options.dehydrate ? { dehydrate: options.dehydrate } : {}) };
  if (name === ID_COLUMN) {
    if (options.lookup) throw new Error(`${where}: the id cannot have a lookup`);
    return { ...common, field: ID_COLUMN, type: 'string' };
  }
  const f = model.fields[name] as FieldDefinition;
  const lookup = options.lookup ? resolveLookup(`${where}, field '${name}'`, model, f, options.lookup) : undefined;
  return {
    ...common,
    field: name,
    type: lookup ? 'string' : columnTypeOf(f),
    ...(f.type === 'decimal' && !lookup ? { scale: f.scale ?? 0 } : {}),
    ...(lookup ? { lookup } : {}),
  };
}

function resolveLookup(where: string, model: ModelDefinition, f: FieldDefinition, options: LookupOptions): ResolvedLookup {
  if (!isRelation(f)) throw new Error(`${where}: a lookup needs a foreign key or many-to-many field, not ${f.type}`);
  if (options.model.plural !== f.to) throw new Error(`${where}: the lookup model '${options.model.plural}' is not '${f.to}', the model the field references`);
  const key = options.model.fields[options.by];
  if (!key) throw new Error(`${where}: '${options.by}' is not a field of ${options.model.plural}`);
  // Only a unique key names one record, and only unique fields have an index to look values up in.
  if (!key.unique) throw new Error(`${where}: ${options.model.plural}.${options.by} is not unique, so it cannot identify a record`);
  if (key.sensitive) throw new Error(`${where}: ${options.model.plural}.${options.by} is sensitive and can never be in a file`);
  const onMissing = options.onMissing ?? 'error';
  if (!['error', 'create', 'empty'].includes(onMissing)) throw new Error(`${where}: unknown onMissing policy '${String(onMissing)}'`);
  if (onMissing === 'create') {
    if (options.model.plural === model.plural) throw new Error(`${where}: onMissing 'create' cannot create records of the resource's own model`);
    // A created record holds only its key and defaults, so it must be valid with just those.
    const missing = Object.values(options.model.fields).find((other) => other.required && other.name !== key.name && other.default === undefined);
    if (missing) throw new Error(`${where}: onMissing 'create' needs ${options.model.plural}.${missing.name} (required, no default) to have a default`);
  }
  return { model: options.model, by: key.name, onMissing };
}

function orderFields(where: string, byName: Map<string, ResourceField>, exportOrder: readonly string[]): ResourceField[] {
  for (const name of exportOrder) {
    if (!byName.has(name)) throw new Error(`${where}: exportOrder names '${name}', which is not a column of the resource`);
  }
  const first = unique(exportOrder);
  const rest = [...byName.keys()].filter((name) => !first.includes(name));
  return [...first, ...rest].map((name) => byName.get(name) as ResourceField);
}

/** Every text that names a column on import or in `exportColumns`: column, field name, aliases. */
function headerIndex(where: string, fields: readonly ResourceField[]): Map<string, ResourceField> {
  const index = new Map<string, ResourceField>();
  for (const rf of fields) {
    const texts = new Set([rf.column, ...(rf.field !== null ? [rf.field] : []), ...rf.aliases].map(normalizeHeader));
    for (const text of texts) {
      const other = index.get(text);
      if (other) throw new Error(`${where}: the header '${text}' would name both '${other.column}' and '${rf.column}'`);
      index.set(text, rf);
    }
  }
  return index;
}

function checkImportId(where: string, model: ModelDefinition, importIdFields: readonly string[], byName: Map<string, ResourceField>): void {
  if (importIdFields.length !== 1) throw new Error(`${where}: importIdFields must name exactly one field (composite keys are not supported)`);
  const name = importIdFields[0] as string;
  if (name === ID_COLUMN) return;
  const f = model.fields[name];
  if (!f) throw new Error(`${where}: importIdFields names unknown field '${name}'`);
  // Matching goes through the unique-value index: one findByUnique per batch, never a scan.
  if (!f.unique) throw new Error(`${where}: import id field '${name}' must be unique`);
  if (isRelation(f)) throw new Error(`${where}: import id field '${name}' cannot be a relation`);
  const rf = byName.get(name);
  if (!rf?.importable) throw new Error(`${where}: import id field '${name}' must be an importable column of the resource`);
}

function resolveExportName(model: ModelDefinition, byHeader: Map<string, ResourceField>, requested: string): ResourceField {
  const rf = byHeader.get(normalizeHeader(requested));
  if (rf) return rf;
  const f = requested === ID_COLUMN ? { sensitive: false } : model.fields[requested];
  if (f?.sensitive) throw new ValidationError(`field '${requested}' cannot be exported: it is sensitive`, { field: requested });
  if (f) throw new ValidationError(`field '${requested}' is not exported by the ${model.plural} resource`, { field: requested });
  throw new ValidationError(`unknown field '${requested}'`, { field: requested });
}

function withoutFields(record: StoredRecord, names: readonly string[]): StoredRecord {
  const values = { ...record.values };
  for (const name of names) delete values[name];
  return { ...record, values };
}

function renderCell(model: ModelDefinition, rf: ResourceField, record: StoredRecord, related: Map<string, Map<string, StoredRecord>>): Cell {
  const rendered = rawCell(model, rf, record, related);
  return rf.dehydrate ? rf.dehydrate(record, rendered) : rendered;
}

function rawCell(model: ModelDefinition, rf: ResourceField, record: StoredRecord, related: Map<string, Map<string, StoredRecord>>): Cell {
  if (rf.field === null) return null;
  if (rf.field === ID_COLUMN) return record.id;
  const f = model.fields[rf.field] as FieldDefinition;
  const value = record.values[rf.field];
  if (!rf.lookup) return formatCell(f, value);
  const { model: target, by } = rf.lookup;
  // A dangling reference has no key to show; an empty cell beats an id nobody can import.
  const keyOf = (id: string): string | undefined => {
    const key = related.get(target.plural)?.get(id)?.values[by];
    return key === null || key === undefined ? undefined : String(key);
  };
  if (Array.isArray(value)) {
    const keys = value.map((id) => keyOf(String(id))).filter((key): key is string => key !== undefined);
    return keys.length > 0 ? joinManyToMany(keys) : null;
  }
  return value === null || value === undefined ? null : (keyOf(String(value)) ?? null);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
