import { fontkit } from './fontkit-adapter';
import { PDFDocument, PageSizes, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { ReportTooLargeError } from './errors';
import type { PdfFontFiles } from './fonts';

/** Minimal view of a fontkit font: what measuring and font fallback need. */
interface GlyphSource {
  readonly unitsPerEm: number;
  hasGlyphForCodePoint(codePoint: number): boolean;
  glyphForCodePoint(codePoint: number): { readonly advanceWidth: number };
}

/** One embedded font with its glyph metrics, cached per code point. */
interface Face {
  readonly pdf: PDFFont;
  readonly glyphs: GlyphSource;
  readonly advances: Map<number, number>;
}

/** How a piece of text is drawn. */
export interface TextStyle {
  /** Points. @default 9 */
  readonly size?: number;
  readonly bold?: boolean;
  /** Grey level 0 (black) … 1 (white). @default 0 */
  readonly grey?: number;
}

/** Options of a new document. */
export interface PdfLayoutOptions {
  readonly fonts: PdfFontFiles;
  /** A4 landscape instead of portrait. @default false */
  readonly landscape?: boolean;
  /** Adding a page past this many throws `ReportTooLargeError`. */
  readonly maxPages: number;
  /** Document title (PDF metadata) and the left part of every page's footer. */
  readonly title: string;
  /** Page margin in points. @default 36 (half an inch) */
  readonly margin?: number;
  /** Creation date written into the metadata; fixed in tests so files are reproducible. */
  readonly createdAt?: Date;
}

const DEFAULT_SIZE = 9;
/** Line height as a multiple of the font size. */
const LEADING = 1.25;
const FOOTER_SIZE = 7;

/**
 * A page-flowing layout over pdf-lib: A4 pages, a cursor moving down, text measured with the
 * embedded fonts (falling back per character to the next font that has the glyph), greedy word
 * wrapping, and "Page N of M" footers drawn in a final pass once the page count is known.
 *
 * pdf-lib keeps the whole document in memory until `finish`, so `maxPages` is what bounds memory.
 */
export class PdfLayout {
  readonly doc: PDFDocument;
  readonly pageWidth: number;
  readonly pageHeight: number;
  readonly margin: number;
  /** The current page. */
  page!: PDFPage;
  /** The cursor: the top of the next thing drawn, in PDF coordinates (0 at the bottom). */
  y = 0;
  /** Called after every page break (not for the first page): tables redraw their header here. */
  onPageBreak?: () => void;
  private readonly regular: Face[];
  private readonly bold: Face[];
  private readonly regularChoice = new Map<number, Face>();
  private readonly boldChoice = new Map<number, Face>();
  private readonly maxPages: number;
  private readonly title: string;

  private constructor(doc: PDFDocument, regular: Face[], bold: Face[], options: PdfLayoutOptions) {
    this.doc = doc;
    this.regular = regular;
    this.bold = bold;
    this.maxPages = options.maxPages;
    this.title = options.title;
    this.margin = options.margin ?? 36;
    const [width, height] = PageSizes.A4;
    [this.pageWidth, this.pageHeight] = options.landscape ? [height, width] : [width, height];
  }

  /** A new document with one empty page. */
  static async create(options: PdfLayoutOptions): Promise<PdfLayout> {
    const doc = await PDFDocument.create();
    doc.registerFontkit(fontkit);
    const at = options.createdAt ?? new Date();
    doc.setTitle(options.title);
    doc.setProducer('dataio');
    doc.setCreator('dataio');
    doc.setCreationDate(at);
    doc.setModificationDate(at);
    const embed = async (bytes: Uint8Array): Promise<Face> => ({
      pdf: await doc.embedFont(bytes, { subset: true }),
      glyphs: fontkit.create(bytes) as unknown as GlyphSource,
      advances: new Map(),
    });
    const fallbacks = await Promise.all((options.fonts.fallbacks ?? []).map(embed));
    const regular = await embed(options.fonts.regular);
    const bold = options.fonts.bold ? await embed(options.fonts.bold) : regular;
    const layout = new PdfLayout(doc, [regular, ...fallbacks], [bold, ...fallbacks], options);
    layout.addPage();
    return layout;
  }

  /** Width between the margins. */
  get contentWidth(): number {
    return this.pageWidth - 2 * this.margin;
  }

  /** The lowest y content may reach: above the footer. */
  get bottom(): number {
    return this.margin + FOOTER_SIZE * 2;
  }

  /** Pages so far. */
  get pageCount(): number {
    return this.doc.getPageCount();
  }

  /**
   * Starts a new page with the cursor at the top.
   * @throws ReportTooLargeError past `maxPages`
   */
  addPage(): void {
    if (this.doc.getPageCount() >= this.maxPages) throw new ReportTooLargeError(this.maxPages);
    this.page = this.doc.addPage([this.pageWidth, this.pageHeight]);
    this.y = this.pageHeight - this.margin;
  }

  /** Breaks the page unless `height` points still fit above the bottom; runs `onPageBreak` after a break. */
  ensureSpace(height: number): void {
    if (this.y - height >= this.bottom) return;
    this.addPage();
    this.onPageBreak?.();
  }

  /** Height of one line of text. */
  lineHeight(style: TextStyle = {}): number {
    return (style.size ?? DEFAULT_SIZE) * LEADING;
  }

  /** Width of `text` in points. */
  measure(text: string, style: TextStyle = {}): number {
    const size = style.size ?? DEFAULT_SIZE;
    let width = 0;
    for (const run of this.runs(text, style)) width += run.width;
    return width * size;
  }

  /**
   * Splits text into lines no wider than `width`: at spaces where possible, inside a word only when
   * the word alone is too wide (CJK text has no spaces). Explicit line breaks are kept.
   */
  wrap(text: string, width: number, style: TextStyle = {}): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split(/\r\n|\r|\n/)) {
      let line = '';
      for (const word of paragraph.split(/(?<= )/)) {
        const candidate = line + word;
        if (this.measure(candidate.trimEnd(), style) <= width) {
          line = candidate;
          continue;
        }
        if (line) lines.push(line.trimEnd());
        line = '';
        for (const char of word) {
          if (line && this.measure((line + char).trimEnd(), style) > width) {
            lines.push(line.trimEnd());
            line = '';
          }
          line += char;
        }
      }
      lines.push(line.trimEnd());
    }
    return lines;
  }

  /**
   * Draws one line with its top-left at (x, top); `align: 'right'` puts its right end at
   * `x + width` instead.
   */
  drawText(text: string, x: number, top: number, style: TextStyle & { align?: 'left' | 'right'; width?: number } = {}): void {
    const size = style.size ?? DEFAULT_SIZE;
    const runs = this.runs(text, style);
    const total = runs.reduce((w, r) => w + r.width, 0) * size;
    let at = style.align === 'right' && style.width !== undefined ? x + style.width - total : x;
    // Baseline a little above the bottom of the line box.
    const baseline = top - size;
    const color = rgb(style.grey ?? 0, style.grey ?? 0, style.grey ?? 0);
    for (const run of runs) {
      this.page.drawText(run.text, { x: at, y: baseline, size, font: run.face.pdf, color });
      at += run.width * size;
    }
  }

  /** Draws a paragraph at the cursor, wrapped to the content width, and moves the cursor below it. */
  paragraph(text: string, style: TextStyle = {}): void {
    for (const line of this.wrap(text, this.contentWidth, style)) {
      this.ensureSpace(this.lineHeight(style));
      this.drawText(line, this.margin, this.y, style);
      this.y -= this.lineHeight(style);
    }
  }

  /** Moves the cursor down. */
  skip(height: number): void {
    this.y -= height;
  }

  /** A horizontal rule at `y`, from `x` for `width`. */
  rule(x: number, y: number, width: number, thickness = 0.5, grey = 0.6): void {
    this.page.drawLine({ start: { x, y }, end: { x: x + width, y }, thickness, color: rgb(grey, grey, grey) });
  }

  /** A filled rectangle with its top-left at (x, top). */
  fill(x: number, top: number, width: number, height: number, grey: number): void {
    this.page.drawRectangle({ x, y: top - height, width, height, color: rgb(grey, grey, grey) });
  }

  /** Draws every page's footer (title, "Page N of M") and returns the file's bytes. */
  async finish(): Promise<Uint8Array> {
    const pages = this.doc.getPages();
    const style = { size: FOOTER_SIZE, grey: 0.4 };
    const top = this.margin + FOOTER_SIZE;
    pages.forEach((page, i) => {
      this.page = page;
      this.drawText(this.title, this.margin, top, style);
      this.drawText(`Page ${i + 1} of ${pages.length}`, this.margin, top, { ...style, align: 'right', width: this.contentWidth });
    });
    // Object streams make smaller files; nothing else reads the document meanwhile.
    return this.doc.save({ useObjectStreams: true });
  }

  /** The text cut into runs of one font each, with widths in ems. */
  private runs(text: string, style: TextStyle): Array<{ text: string; face: Face; width: number }> {
    const faces = style.bold ? this.bold : this.regular;
    const chosen = style.bold ? this.boldChoice : this.regularChoice;
    const runs: Array<{ text: string; face: Face; width: number }> = [];
    for (const char of text) {
      const code = char.codePointAt(0)!;
      let face = chosen.get(code);
      if (!face) {
        face = faces.find((f) => f.glyphs.hasGlyphForCodePoint(code)) ?? faces[0]!;
        chosen.set(code, face);
      }
      let advance = face.advances.get(code);
      if (advance === undefined) {
        advance = face.glyphs.glyphForCodePoint(code).advanceWidth / face.glyphs.unitsPerEm;
        face.advances.set(code, advance);
      }
      const last = runs[runs.length - 1];
      if (last && last.face === face) {
        last.text += char;
        last.width += advance;
      } else runs.push({ text: char, face, width: advance });
    }
    return runs;
  }
}
