import type { PdfLayout, TextStyle } from './pdf-layout';

/** One column of a PDF table. */
export interface PdfTableColumn {
  readonly header: string;
  /** Points. */
  readonly width: number;
  /** Numbers are right-aligned. @default 'left' */
  readonly align?: 'left' | 'right';
}

/** Options of a table. */
export interface PdfTableOptions {
  /** Font size of the cells and the header. @default 8 */
  readonly size?: number;
  /** A cell wraps to at most this many lines; the last one ends with `…`. @default 8 */
  readonly maxLines?: number;
}

/** Space between a cell's text and its edges, in points. */
export const TABLE_CELL_PADDING = 2.5;
const PADDING = TABLE_CELL_PADDING;

/**
 * A table flowing over pages: the header row is drawn at the start and again at the top of every
 * page the table continues on; cells wrap inside their column; a row never splits across pages.
 */
export class PdfTable {
  private readonly size: number;
  private readonly maxLines: number;
  private readonly x: number;

  constructor(
    private readonly layout: PdfLayout,
    readonly columns: readonly PdfTableColumn[],
    options: PdfTableOptions = {},
  ) {
    this.size = options.size ?? 8;
    this.maxLines = options.maxLines ?? 8;
    this.x = layout.margin;
  }

  /** Total width in points. */
  get width(): number {
    return this.columns.reduce((w, c) => w + c.width, 0);
  }

  /** Draws the header now and after every page break, until `end`. */
  begin(): void {
    this.layout.ensureSpace(this.rowHeight(1) * 2);
    this.drawHeader();
    this.layout.onPageBreak = () => this.drawHeader();
  }

  /** Stops repeating the header. */
  end(): void {
    this.layout.onPageBreak = undefined;
    this.layout.skip(this.layout.lineHeight({ size: this.size }) / 2);
  }

  /** Draws one row of texts (in column order), breaking the page first if it does not fit. */
  row(texts: readonly string[], style: { bold?: boolean; shade?: number } = {}): void {
    const textStyle: TextStyle = { size: this.size, bold: style.bold };
    const lines = this.columns.map((column, i) => this.cellLines(texts[i] ?? '', column.width - 2 * PADDING, textStyle));
    const height = this.rowHeight(Math.max(1, ...lines.map((l) => l.length)));
    this.layout.ensureSpace(height);
    if (style.shade !== undefined) this.layout.fill(this.x, this.layout.y, this.width, height, style.shade);
    this.drawCells(lines, textStyle);
    this.layout.y -= height;
    this.layout.rule(this.x, this.layout.y, this.width, 0.25, 0.8);
  }

  private drawHeader(): void {
    const style: TextStyle = { size: this.size, bold: true };
    const lines = this.columns.map((column) => this.cellLines(column.header, column.width - 2 * PADDING, style));
    const height = this.rowHeight(Math.max(1, ...lines.map((l) => l.length)));
    this.layout.fill(this.x, this.layout.y, this.width, height, 0.9);
    this.drawCells(lines, style);
    this.layout.y -= height;
    this.layout.rule(this.x, this.layout.y, this.width, 0.75, 0.3);
  }

  private drawCells(lines: readonly string[][], style: TextStyle): void {
    const lineHeight = this.layout.lineHeight(style);
    let x = this.x;
    this.columns.forEach((column, i) => {
      (lines[i] ?? []).forEach((line, n) => {
        this.layout.drawText(line, x + PADDING, this.layout.y - PADDING - n * lineHeight, { ...style, align: column.align, width: column.width - 2 * PADDING });
      });
      x += column.width;
    });
  }

  private cellLines(text: string, width: number, style: TextStyle): string[] {
    // Tabs and control characters have no glyph; a cell is one paragraph per line break.
    const clean = [...text.replace(/\t/g, ' ')].filter((c) => c === '\n' || !isControl(c.codePointAt(0)!)).join('');
    const lines = this.layout.wrap(clean, width, style);
    if (lines.length <= this.maxLines) return lines;
    const kept = lines.slice(0, this.maxLines);
    let last = kept[this.maxLines - 1]!;
    while (last && this.layout.measure(`${last}…`, style) > width) last = [...last].slice(0, -1).join('');
    kept[this.maxLines - 1] = `${last}…`;
    return kept;
  }

  private rowHeight(lines: number): number {
    return lines * this.layout.lineHeight({ size: this.size }) + 2 * PADDING;
  }
}

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}
