import type { Cell, ColumnType, ExportColumn } from '../formats/types';
import type { JobTotals, RowError } from '../jobs/data-job';
import type { ModelRegistry } from '../model/define-model';
import type { ModelDefinition, RecordValues, StoredRecord } from '../model/types';
import type { RecordStore } from '../ports/record-store';

/** How the columns of an import file map to a model. */
export interface HeaderMapping {
  /** Every column of the header, in file order. */
  readonly columns: Array<{
    readonly index: number;
    /** The header text, trimmed and without a byte order mark. */
    readonly column: string;
    /** The model field the column fills, `'id'` for the record id, or null when it is ignored. */
    readonly field: string | null;
  }>;
  /**
   * Header texts of the ignored columns (to warn the user). Export-only columns of the resource
   * (computed ones, read-only fields) are ignored without being listed: re-importing an export must
   * not warn about columns the export itself wrote.
   */
  readonly unmapped: string[];
}

/** Options of `Resource.exportColumns`. */
export interface ExportColumnsOptions {
  /**
   * Columns to export, in this order, each named by its header text or its field name; every column
   * of the resource when absent. Repeated names are exported once.
   */
  readonly fields?: readonly string[];
}

/** What `Resource.exportRows` needs besides the records. */
export interface ExportContext {
  readonly org: string;
  /** Loads the related records whose natural keys the export shows. */
  readonly store: RecordStore;
  readonly registry: ModelRegistry;
}

/** What to do when an imported natural key matches no related record. */
export type LookupPolicy = 'error' | 'create' | 'empty';

/** A relation imported and exported by a natural key of the related model instead of its id. */
export interface ResolvedLookup {
  /** The related model (the relation field's `to`). */
  readonly model: ModelDefinition;
  /** The unique field of the related model that identifies its records in files. */
  readonly by: string;
  readonly onMissing: LookupPolicy;
}

/**
 * Renders the cell of one column for one record. `rendered` is the cell the resource would write
 * without this function (the natural key for a lookup, `null` for a computed column).
 */
export type Dehydrate = (record: StoredRecord, rendered: Cell) => Cell;

/** One column of a resource, as `defineResource` resolved it. */
export interface ResourceField {
  /** Header text. */
  readonly column: string;
  /** The model field, `'id'` for the record id, or null for a computed (export-only) column. */
  readonly field: string | null;
  readonly type: ColumnType;
  /** Decimal places of a decimal column. */
  readonly scale?: number;
  /** Other header texts accepted on import (compared ignoring case). */
  readonly aliases: readonly string[];
  /** Whether an import fills the field from this column; false for export-only columns. */
  readonly importable: boolean;
  readonly lookup?: ResolvedLookup;
  readonly dehydrate?: Dehydrate;
  /**
   * The column holds a sensitive field the resource opted into (`allowSensitive`): it is in files,
   * never in API responses.
   */
  readonly sensitive?: boolean;
}

/** Context of the job-level hooks. */
export interface ImportHookContext {
  readonly org: string;
  readonly user: string;
  readonly jobId: string;
  readonly dryRun: boolean;
  readonly store: RecordStore;
  readonly registry: ModelRegistry;
}

/** A problem a row hook reports; `column` and `value` are filled in from the field's cell. */
export interface RowHookError {
  /** The field the problem belongs to; absent for a whole-row problem. */
  readonly field?: string;
  /** @default 'invalid' */
  readonly code?: string;
  readonly message: string;
}

/** Context of the row-level hooks, one per row. */
export interface RowHookContext {
  readonly org: string;
  readonly user: string;
  readonly jobId: string;
  readonly dryRun: boolean;
  readonly registry: ModelRegistry;
  /** Makes the row fail with this error. */
  addError(error: RowHookError): void;
}

/**
 * The raw cells of one import row as `beforeRow` sees them, before any parsing. Names are field
 * names or header texts (compared ignoring case), and `'id'` for the record id.
 */
export interface RawImportRow {
  /** Spreadsheet row number: the header is row 1. */
  readonly row: number;
  /** The cell's text, or undefined when the file has no such column and no hook set one. */
  get(name: string): string | undefined;
  /**
   * Replaces the cell's text. Setting a field the file has no column for imports that field as if
   * the column were there.
   * @throws Error when the name is no importable column of the resource
   */
  set(name: string, text: string): void;
  /** Field names (and `'id'`) with a cell, in file order. */
  fields(): string[];
}

/** A row after every check, as `afterRow` sees it. */
export interface RowOutcome {
  readonly row: number;
  /** What would happen to the row if it has no error. */
  readonly action: ValidatedAction;
  /** The record's values after the merge (stored values overlaid with the file's cells). */
  readonly values: Readonly<RecordValues>;
  /** The stored record, for an update or a skip. */
  readonly previous?: StoredRecord;
  /** The row's errors so far; the row fails when there is any, whatever the hook does. */
  readonly errors: readonly RowError[];
}

/** What validation decided for a row: create, update, or leave an unchanged record alone. */
export type ValidatedAction = 'new' | 'update' | 'skip';

/**
 * Code run around an import. Chunks are validated in parallel, possibly in different processes,
 * so row hooks must not depend on the order of rows across chunks nor keep state between rows.
 */
export interface ImportHooks {
  /** Once per job, in the Prepare step, before any row is read. Throwing fails the job. */
  beforeImport?(ctx: ImportHookContext): Promise<void> | void;
  /** Once per job, in the Finalize step, with the final totals (dry runs included). */
  afterImport?(ctx: ImportHookContext, totals: JobTotals): Promise<void> | void;
  /**
   * Per non-blank row, before its cells are parsed and before the batch's lookups: normalize or
   * fill raw values, or reject the row with `ctx.addError`.
   */
  beforeRow?(row: RawImportRow, ctx: RowHookContext): Promise<void> | void;
  /**
   * Per non-blank row, after every field check, the model's `clean` and the update/skip decision:
   * add cross-field rules with `ctx.addError`.
   */
  afterRow?(row: RowOutcome, ctx: RowHookContext): Promise<void> | void;
}

/**
 * How one model is imported and exported: which columns, in which order, holding what. Build one
 * with `defineResource` (the generic resource is built the same way).
 */
export interface Resource {
  /** The model the resource imports and exports. */
  readonly model: ModelDefinition;
  /** Every column, in default export order. */
  readonly fields: readonly ResourceField[];
  /** Fields that identify an existing record on import; `['id']` for the generic resource. */
  readonly importIdFields: readonly string[];
  /** Default of the job option `skip_unchanged` (true unless the resource declares otherwise). */
  readonly skipUnchanged: boolean;
  /** Code run around an import (an empty object when the resource declares none). */
  readonly hooks: ImportHooks;
  /**
   * The columns of an export.
   * @throws ValidationError naming a requested field that is unknown, sensitive or not a column
   */
  exportColumns(options?: ExportColumnsOptions): ExportColumn[];
  /**
   * Renders a page of records as typed cells in the order of `columns`, loading the related records
   * natural keys show with one query per related model per call.
   * @throws ValidationError when a column is not one of the resource's
   */
  exportRows(records: readonly StoredRecord[], columns: readonly ExportColumn[], ctx: ExportContext): Promise<Cell[][]>;
  /**
   * Maps an import file's header row to fields.
   * @throws FileFormatError when a column appears twice or a column of `importIdFields` is missing
   */
  mapHeader(header: readonly string[]): HeaderMapping;
}
