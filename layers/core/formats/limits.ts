import { CellTooLongError, FileTooLargeError, TooManyColumnsError, TooManyRowsError, XlsxTooLargeError } from '../errors';
import type { ReadLimits } from './types';

/**
 * Limits an import reads within unless the settings say otherwise:
 * - 5 GiB per file: the most a single S3 PUT stores, the presigned upload's own limit;
 * - 1,000,000 data rows: the scale the import workflow is measured at (docs/performance.md);
 * - 500 columns, far more than any model has fields;
 * - 32,767 characters per cell: what an Excel cell holds, so any file Excel shows is accepted;
 * - XLSX: 1 GiB inflated (a 1,000,000-row sheet is about 0.6 GiB of XML) and 10,000 zip entries.
 */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxFileBytes: 5 * 1024 ** 3,
  maxRows: 1_000_000,
  maxColumns: 500,
  maxCellChars: 32_767,
  maxXlsxInflatedBytes: 1024 ** 3,
  maxXlsxEntries: 10_000,
};

/**
 * Longest row accepted, in characters, whatever the cell and column limits allow: one row is held
 * whole, and the rows of a batch together.
 */
export const MAX_ROW_CHARS = 4 * 1024 * 1024;

/** The limits to read with: the defaults, overridden by the ones given. */
export function resolveReadLimits(limits: Partial<ReadLimits> = {}): ReadLimits {
  const resolved = { ...DEFAULT_READ_LIMITS };
  for (const key of Object.keys(DEFAULT_READ_LIMITS) as Array<keyof ReadLimits>) {
    const value = limits[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}

/**
 * Passes the chunks of a byte stream on, failing as soon as more than `maxBytes` went by, so an
 * oversized file is refused after reading just past the limit. Text chunks count their UTF-8 bytes.
 * @throws FileTooLargeError
 */
export async function* limitBytes<T>(input: AsyncIterable<T>, maxBytes: number): AsyncGenerator<T> {
  let total = 0;
  for await (const chunk of input) {
    total += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as { byteLength?: number }).byteLength ?? 0;
    if (total > maxBytes) throw fileTooLarge(maxBytes);
    yield chunk;
  }
}

/** `file_too_large`: more bytes than an import reads. */
export function fileTooLarge(limit: number): FileTooLargeError {
  return new FileTooLargeError(`the file is larger than ${limit} bytes, the most an import reads`, limit);
}

/** `too_many_rows`: more data rows than one import takes. */
export function tooManyRows(limit: number): TooManyRowsError {
  return new TooManyRowsError(`the file has more than ${limit} data rows, the most one import takes: split it into smaller files`, limit);
}

/** `too_many_columns`: a value beyond the last column read. */
export function tooManyColumns(limit: number, row: number, column: number): TooManyColumnsError {
  return new TooManyColumnsError(`row ${row} has a value in column ${column}, beyond the ${limit} columns an import reads`, limit);
}

/**
 * `cell_too_long`: `where` names the cell ("row 2, column 3" or "cell C2"), `length` is its length
 * when it was read whole (a long one fails before, as "more than" the limit).
 */
export function cellTooLong(limit: number, where: string, length?: number, hint = ''): CellTooLongError {
  const size = length === undefined ? `more than ${limit}` : String(length);
  return new CellTooLongError(`${where} holds ${size} characters; a cell may hold at most ${limit}${hint}`, limit);
}

/** `xlsx_too_large`: the workbook inflates to more than the limit. */
export function xlsxInflatesTooMuch(limit: number, declared?: number): XlsxTooLargeError {
  const detail = declared === undefined ? '' : ` (its zip directory declares ${declared})`;
  return new XlsxTooLargeError(`the workbook unpacks to more than ${limit} bytes${detail}, the most an import inflates`, limit);
}

/** `xlsx_too_large`: the workbook's zip has more entries than the limit. */
export function xlsxTooManyEntries(limit: number): XlsxTooLargeError {
  return new XlsxTooLargeError(`the workbook has more than ${limit} zip entries, the most an import opens`, limit);
}
