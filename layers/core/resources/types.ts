import type { ModelDefinition, StoredRecord } from '../model/types';

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
  /** Header texts of the ignored columns (to warn the user). */
  readonly unmapped: string[];
}

/** Options of `Resource.exportHeaders`. */
export interface ExportHeaderOptions {
  /** Fields to export, in this order; all exportable fields when absent. */
  readonly fields?: readonly string[];
}

/**
 * How one model is imported and exported: which columns, in which order, holding what. Custom
 * resources implement it for models whose files do not look like the model.
 */
export interface Resource {
  readonly model: ModelDefinition;
  /**
   * Header row of an export.
   * @throws ValidationError when a requested field is unknown or not exportable
   */
  exportHeaders(options?: ExportHeaderOptions): string[];
  /** One export row, its cells in the order of `headers` (as returned by `exportHeaders`). */
  exportRow(record: StoredRecord, headers: readonly string[]): string[];
  /**
   * Maps an import file's header row to fields.
   * @throws FileFormatError when a column appears twice
   */
  mapHeader(header: readonly string[]): HeaderMapping;
}
