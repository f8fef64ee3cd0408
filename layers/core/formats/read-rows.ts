import type { Readable } from 'node:stream';
import type { ImportRow } from '../resources/validate-rows';
import { readCsvRows } from './csv';
import type { ReadOptions, TabularFormat } from './types';
import { readXlsxRows } from './xlsx';

/**
 * Reads an import file of either format row by row, header first (row 1), streaming: memory stays
 * flat whatever the file size, and the source stops being read when the consumer stops early.
 * CSV options (`encoding`, `delimiter`) and the XLSX `sheet` are ignored by the other format.
 * `limits` (see `ReadLimits`, defaults `DEFAULT_READ_LIMITS`) hold while the file streams: a file
 * over one fails as soon as the limit is passed, never after being held whole.
 * @throws FileFormatError when the file cannot be read as that format; FileLimitError (a
 *   FileFormatError whose `code` names the limit: `too_many_rows`, ...) when it is over a limit
 */
export function readRows(format: TabularFormat, input: Readable, options: ReadOptions = {}): AsyncIterable<ImportRow> {
  switch (format) {
    case 'csv':
      return readCsvRows(input, options);
    case 'xlsx':
      return readXlsxRows(input, options);
  }
}
