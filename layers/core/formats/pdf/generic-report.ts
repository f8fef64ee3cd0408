import { cellToText } from '../cell-text';
import { measureWidth } from '../neutralize';
import type { Cell, ExportColumn } from '../types';
import type { PdfFontFiles } from './fonts';
import { PdfLayout } from './pdf-layout';
import { PdfTable, TABLE_CELL_PADDING, type PdfTableColumn } from './pdf-table';

/** What the generic tabular report shows. */
export interface GenericReportInput {
  readonly fonts: PdfFontFiles;
  readonly maxPages: number;
  /** E.g. `products — acme`. */
  readonly title: string;
  /** Lines under the title: the filter in words, when and by whom it was generated. */
  readonly subtitle: readonly string[];
  readonly columns: readonly ExportColumn[];
  /** Widest cell of each column in characters (as the export segments measured them). */
  readonly widths?: readonly number[];
  /** The rows in export order. */
  readonly rows: AsyncIterable<readonly Cell[]>;
  readonly createdAt?: Date;
}

/** Small enough for a wide model to take a line a row in landscape, still easy to read. */
const CELL_SIZE = 7;
/** A column never gets narrower than this, nor wider than this many characters before wrapping. */
const MIN_COLUMN_POINTS = 24;
const MAX_COLUMN_CHARS = 40;
/**
 * Advance of a character in ems (Noto Sans), as widths are known only in characters: digits are
 * 0.57 and prose about 0.5, but codes in capitals (`GARDEN-HOSE`) and bold headers take up to
 * 0.65, and a column of short codes must not wrap mid-code.
 */
const EM_PER_DIGIT = 0.58;
const EM_PER_CHAR = 0.66;

/**
 * Renders the generic report: title, subtitle lines, and one table of every row with its header
 * repeated on each page, columns fitted to their content (long text wraps), numbers right-aligned,
 * landscape when the columns do not fit portrait.
 * @throws ReportTooLargeError past `maxPages`
 */
export async function renderGenericReport(input: GenericReportInput): Promise<Uint8Array> {
  const natural = input.columns.map((column, i) => naturalWidth(column, input.widths?.[i]));
  const portraitWidth = 595.28 - 2 * 36;
  const landscape = natural.reduce((a, b) => a + b, 0) > portraitWidth;
  const layout = await PdfLayout.create({ fonts: input.fonts, maxPages: input.maxPages, title: input.title, landscape, createdAt: input.createdAt });
  layout.paragraph(input.title, { size: 16, bold: true });
  layout.skip(4);
  for (const line of input.subtitle) layout.paragraph(line, { size: 9, grey: 0.3 });
  layout.skip(8);
  const widths = fitWidths(natural, layout.contentWidth);
  const columns: PdfTableColumn[] = input.columns.map((column, i) => ({
    header: column.name,
    width: widths[i]!,
    align: column.type === 'integer' || column.type === 'decimal' ? 'right' : 'left',
  }));
  const table = new PdfTable(layout, columns, { size: CELL_SIZE });
  table.begin();
  let rows = 0;
  for await (const cells of input.rows) {
    table.row(input.columns.map((_, i) => cellToText(cells[i] ?? null)));
    rows += 1;
  }
  table.end();
  layout.paragraph(`${rows} ${rows === 1 ? 'row' : 'rows'}`, { size: 8, grey: 0.3 });
  return layout.finish();
}

function naturalWidth(column: ExportColumn, chars: number | undefined): number {
  const numeric = column.type === 'integer' || column.type === 'decimal' || column.type === 'date';
  const header = measureWidth(column.name) * EM_PER_CHAR;
  const cells = Math.min(chars ?? 0, MAX_COLUMN_CHARS) * (numeric ? EM_PER_DIGIT : EM_PER_CHAR);
  return Math.max(MIN_COLUMN_POINTS, Math.max(header, cells) * CELL_SIZE + 2 * TABLE_CELL_PADDING);
}

/**
 * Column widths that fill at most `available` points: the natural widths when they fit, else the
 * narrow columns keep theirs and the wide ones share what is left (their text wraps).
 */
export function fitWidths(natural: readonly number[], available: number): number[] {
  const total = natural.reduce((a, b) => a + b, 0);
  if (total <= available) return [...natural];
  let fixed = new Set<number>();
  for (;;) {
    const fixedWidth = [...fixed].reduce((w, i) => w + natural[i]!, 0);
    const share = (available - fixedWidth) / (natural.length - fixed.size);
    const newlyFixed = natural.map((w, i) => (!fixed.has(i) && w <= share ? i : -1)).filter((i) => i >= 0);
    if (newlyFixed.length === 0) return natural.map((w, i) => (fixed.has(i) ? w : Math.max(MIN_COLUMN_POINTS, share)));
    fixed = new Set([...fixed, ...newlyFixed]);
    if (fixed.size === natural.length) return [...natural];
  }
}
