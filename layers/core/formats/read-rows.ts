import type { Readable } from 'node:stream';
import type { ImportRow } from '../resources/validate-rows';
import { readCsvRows } from './csv';
import type { ReadOptions, TabularFormat } from './types';
import { readXlsxRows } from './xlsx';

/**
 * Reads an import file of either format row by row, header first (row 1), streaming: memory stays
 * flat whatever the file size, and the source stops being read when the consumer stops early.
 * CSV options (`encoding`, `delimiter`) and the XLSX `sheet` are ignored by the other format.
 * @throws FileFormatError when the file cannot be read as that format
 */
export function readRows(format: TabularFormat, input: Readable, options: ReadOptions = {}): AsyncIterable<ImportRow> {
  switch (format) {
    case 'csv':
      return readCsvRows(input, options);
    case 'xlsx':
      return readXlsxRows(input, options);
  }
}
