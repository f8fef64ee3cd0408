import type { Readable } from 'node:stream';

/** File formats of imports and tabular exports. */
export type TabularFormat = 'csv' | 'xlsx';

/** How to read an import file; everything is optional and detected when absent. */
export interface ReadOptions {
  /** CSV text encoding (a WHATWG label: `utf-8`, `windows-1252`, `latin1`, ...). @default utf-8 (a BOM is skipped) */
  readonly encoding?: string;
  /** CSV delimiter. @default detected from the header line among `,` `;` and tab */
  readonly delimiter?: ',' | ';' | '\t';
  /** XLSX sheet name. @default the first sheet */
  readonly sheet?: string;
  /** Bounds on what is read; a file over one fails with a `FileLimitError`. @default DEFAULT_READ_LIMITS */
  readonly limits?: Partial<ReadLimits>;
}

/**
 * Bounds on an import file, so that a hostile or broken file fails fast with a clear error instead
 * of exhausting memory, disk or time. Every reader checks them while it streams: nothing over a
 * limit is ever held whole.
 */
export interface ReadLimits {
  /** Bytes read from the file (compressed bytes for XLSX). */
  readonly maxFileBytes: number;
  /** Data rows, the header not counted (blank CSV lines count: they are records). */
  readonly maxRows: number;
  /** Columns of a row, up to its last non-empty cell (empty cells beyond are ignored). */
  readonly maxColumns: number;
  /** Characters (UTF-16 code units, as `String.length` counts) of one cell. */
  readonly maxCellChars: number;
  /** XLSX: bytes inflated from the zip, over every entry read (a zip bomb inflates far beyond its size). */
  readonly maxXlsxInflatedBytes: number;
  /** XLSX: entries in the zip archive. */
  readonly maxXlsxEntries: number;
}

/** What a column of an export holds, so writers can use native cell types. */
export type ColumnType = 'string' | 'integer' | 'decimal' | 'boolean' | 'date' | 'datetime';

/** One column of an export. */
export interface ExportColumn {
  /** Header text. */
  readonly name: string;
  readonly type: ColumnType;
  /** Decimal places of a decimal column (for number formats). */
  readonly scale?: number;
}

/**
 * One exported cell: `string` for string/decimal (canonical `12.50`)/date (`YYYY-MM-DD`)/datetime
 * (ISO 8601 UTC) columns, `number` for integers, `boolean`, or `null` for no value.
 */
export type Cell = string | number | boolean | null;

/** A streaming writer of one export file. */
export interface TableWriter {
  /** The file's bytes, to hand to a FileStore. */
  readonly output: Readable;
  readonly contentType: string;
  readonly extension: string;
  /** Writes one row (cells in column order), waiting while the consumer is slow. */
  writeRow(cells: readonly Cell[]): Promise<void>;
  /** Finishes the file. */
  end(): Promise<void>;
}

/** Options of a table writer. */
export interface TableWriterOptions {
  /** Character widths per column (XLSX column widths), measured by the caller. */
  readonly widths?: readonly number[];
  /** XLSX sheet name; characters Excel forbids are replaced and it is cut to 31 characters. @default 'Export' */
  readonly sheetName?: string;
  /**
   * Prefix `'` to string cells that a spreadsheet would run as a formula (see `neutralizeFormula`).
   * Turn off only for files that must give back exactly what the user sent.
   * @default true
   */
  readonly neutralize?: boolean;
  /** Start a CSV with a UTF-8 byte order mark, which older Excel needs to detect UTF-8. @default false */
  readonly bom?: boolean;
}
