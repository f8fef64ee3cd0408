import type ExcelJS from 'exceljs';
import type { Readable } from 'node:stream';
import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';
import { dateText, excelSerialToDate, spreadsheetNumberToText } from './cell-text';
import { limitBytes, resolveReadLimits } from './limits';
import type { ReadOptions } from './types';
import { isDateFormat, MAX_XLSX_CELL_CHARS, WorkbookParts } from './xlsx-parts';
import { SheetReader } from './xlsx-sheet';
import { inflate, InflateBudget, isSourceError, NOT_A_WORKBOOK, Spool, ZipStreamReader } from './zip-stream';

export { MAX_XLSX_CELL_CHARS };
export { MAX_XLSX_COLUMNS, MAX_XLSX_ROWS, plainNumberText } from './xlsx-sheet';

/**
 * Reads the rows of one sheet of an XLSX workbook, streaming: the header is the sheet's row 1 and
 * rows keep the sheet's numbers, so rows missing from the sheet (never filled in) are skipped,
 * not yielded empty. Cells become the text a user saw (see `xlsxCellText`), padded with '' so that
 * `cells[i]` is column i+1, up to the row's last non-empty cell.
 *
 * 1. Read the zip as it streams, entry by entry (`ZipStreamReader`): the workbook, its
 *    relationships, the styles (which cells show dates) and the shared strings as they come.
 * 2. Read the sheet (`options.sheet`, else the first in tab order) as it streams when every part its
 *    cells refer to came before it; otherwise (Excel's own layout) copy its compressed bytes to a
 *    temp file and read it once the zip's end, and its central directory, have been checked.
 * 3. Stop at the end of the sheet's data, or when the consumer stops; remove the temp file.
 *
 * Limits (`options.limits`) hold while reading: the file's bytes, zip entries, bytes inflated (a
 * zip bomb stops just past the limit), rows, columns, and cell length (a huge text stops after a
 * few tens of kilobytes).
 * @throws FileFormatError when the file is not a workbook, lacks the sheet, or exceeds Excel's
 *   limits; FileLimitError (a FileFormatError) when it is over a read limit
 */
export async function* readXlsxRows(input: Readable, options: Pick<ReadOptions, 'sheet' | 'limits'> = {}): AsyncIterable<ImportRow> {
  const limits = resolveReadLimits(options.limits);
  const budget = new InflateBudget(limits.maxXlsxInflatedBytes);
  const zip = new ZipStreamReader(limitBytes(input, limits.maxFileBytes), { maxEntries: limits.maxXlsxEntries }, budget);
  const parts = new WorkbookParts(limits);
  const spool = new Spool();
  try {
    const xml = await sheetXml(zip, parts, spool, options.sheet);
    // Read here rather than in a generator of its own: every row would pass one more await.
    const rows = new SheetReader(parts, limits);
    for await (const chunk of xml) {
      rows.write(chunk);
      for (const row of rows.out) yield row;
      rows.out.length = 0;
      // Nothing after `</sheetData>` matters: stop inflating.
      if (rows.done) return;
    }
    rows.end();
    for (const row of rows.out) yield row;
  } catch (error) {
    if (error instanceof FileFormatError || isSourceError(error)) throw error;
    throw new FileFormatError(NOT_A_WORKBOOK, { cause: error });
  } finally {
    await zip.close();
    await spool.dispose();
    if (!input.destroyed) input.destroy();
  }
}

/**
 * The inflated XML of the sheet to read (`sheet`, else the first), once the parts its cells refer
 * to are read: as it streams when they came before it, else from the spool once the whole zip,
 * central directory included, was read and checked.
 */
async function sheetXml(zip: ZipStreamReader, parts: WorkbookParts, spool: Spool, sheet: string | undefined): Promise<AsyncIterable<Buffer>> {
  const spooled = new Map<string, { start: number; length: number; method: number }>();
  for (let entry = await zip.next(); entry !== undefined; entry = await zip.next()) {
    const key = entry.name.toLowerCase();
    const kind = parts.kindOf(key);
    if (kind === 'other') continue;
    if (kind !== 'sheet') {
      await parts.read(kind, inflate(zip.data(), entry.method, zip.budget));
      continue;
    }
    const wanted = parts.isWanted(key, sheet);
    if (wanted === false) continue;
    if (wanted && parts.ready()) return inflate(zip.data(), entry.method, zip.budget);
    spooled.set(key, { ...(await spool.write(zip.data())), method: entry.method });
  }
  const picked = parts.pick(sheet);
  const stored = spooled.get(picked.key);
  if (!stored) throw new FileFormatError(`${NOT_A_WORKBOOK}: the data of its sheet '${picked.name}' is missing`);
  return inflate(spool.read(stored), stored.method, zip.budget);
}

/**
 * A cell value as the text a user saw in the spreadsheet:
 * - a date at midnight UTC → `YYYY-MM-DD`, another date-time → ISO 8601 (`toISOString`);
 * - a number → plain decimal text without float noise or exponent (`spreadsheetNumberToText`);
 * - a boolean → `true`/`false`; rich text → its runs joined; a hyperlink → its text;
 * - a formula → its cached result ('' when the file has none: nothing here recalculates);
 * - an error value → its text (`#N/A`); nothing → ''.
 *
 * `numFmt` turns a formula's numeric result into a date when the cell is formatted as one. The
 * XLSX reader applies the same rules to the XML directly; this form takes exceljs cell values.
 */
export function xlsxCellText(value: ExcelJS.CellValue, numFmt?: string, date1904 = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return spreadsheetNumberToText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if ('richText' in value) return value.richText.map((run) => run.text ?? '').join('');
  if ('error' in value) return String(value.error);
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    if (typeof result === 'number' && isDateFormat(numFmt)) return dateText(excelSerialToDate(result, date1904));
    return xlsxCellText(result ?? null, numFmt, date1904);
  }
  if ('text' in value) return typeof value.text === 'string' ? value.text : xlsxCellText(value.text as ExcelJS.CellValue, numFmt, date1904);
  return '';
}
