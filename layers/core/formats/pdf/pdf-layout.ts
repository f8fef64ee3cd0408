import { deflateSync } from 'node:zlib';
import { PDFDocument, PDFName, PageSizes, type PDFFont, type PDFPage } from 'pdf-lib';
import { ReportTooLargeError } from './errors';
import { fontkit } from './fontkit-adapter';
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
  /** Its name in the resources of every page that uses it. */
  readonly key: PDFName;
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
/** C0 controls and DEL: no font has a glyph for them. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** Where a line may break when it must: after a space, `|` or `/`, or a hyphen between letters or digits. */
const BREAK_AFTER = /(?<=[ |/])|(?<=[\p{L}\p{N}]-)(?=[\p{L}\p{N}])/u;

/** A number as PDF content writes it: at most three decimals, never in exponent notation. */
function num(value: number): string {
  const rounded = Math.round(value * 1000) / 1000;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/**
 * A page-flowing layout over pdf-lib: A4 pages, a cursor moving down, text measured with the
 * embedded fonts (falling back per character to the next font that has the glyph), greedy word
 * wrapping, and "Page N of M" footers drawn in a final pass once the page count is known.
 *
 * Bounded memory: the layout writes each page's content stream itself, as PDF operator text, and
 * when the page is finished compresses it into a raw (Flate) stream, so a finished page costs
 * its compressed bytes (a few KB) instead of the tens of thousands of operator objects pdf-lib's
 * `page.drawText` keeps until `save` (about 0.6 MB a page). pdf-lib's drawing methods would also
 * add two font resources per call, interned for good in pdf-lib's global name pool. The footers are
 * a second small stream per page. `maxPages` bounds the rest: pages, their compressed content and
 * the time a runaway report can take.
 */
export class PdfLayout {
  /** The pdf-lib document, e.g. for metadata. Draw through the layout's methods: only they are flushed page by page. */
  readonly doc: PDFDocument;
  readonly pageWidth: number;
  readonly pageHeight: number;
  readonly margin: number;
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
  /** The page being drawn, its operators so far and the fonts they use. */
  private page: PDFPage | undefined;
  private operators: string[] = [];
  private faces = new Set<Face>();

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
    let faces = 0;
    const embed = async (bytes: Uint8Array): Promise<Face> => ({
      pdf: await doc.embedFont(bytes, { subset: true }),
      key: PDFName.of(`DataioF${faces++}`),
      glyphs: fontkit.create(bytes) as unknown as GlyphSource,
      advances: new Map(),
    });
    const regular = await embed(options.fonts.regular);
    const bold = options.fonts.bold ? await embed(options.fonts.bold) : regular;
    const fallbacks: Face[] = [];
    for (const bytes of options.fonts.fallbacks ?? []) fallbacks.push(await embed(bytes));
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
    this.endPage();
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
   * Splits text into lines no wider than `width`: at spaces, or after `|`, `/` or a hyphen inside
   * a word (`new|eco|pro`, `TOOLS-HAND`), where possible; anywhere in a word only when the piece
   * alone is too wide (CJK text has no spaces). Explicit line breaks are kept.
   */
  wrap(text: string, width: number, style: TextStyle = {}): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split(/\r\n|\r|\n/)) {
      let line = '';
      for (const word of paragraph.split(BREAK_AFTER)) {
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
   * `x + width` instead. Control characters (line breaks included) are dropped.
   */
  drawText(text: string, x: number, top: number, style: TextStyle & { align?: 'left' | 'right'; width?: number } = {}): void {
    const size = style.size ?? DEFAULT_SIZE;
    const runs = this.runs(text.replace(CONTROL_CHARACTERS, ''), style);
    if (runs.length === 0) return;
    const total = runs.reduce((w, r) => w + r.width, 0) * size;
    let at = style.align === 'right' && style.width !== undefined ? x + style.width - total : x;
    // Baseline a little above the bottom of the line box.
    const baseline = top - size;
    const ops = [`BT ${num(style.grey ?? 0)} g`];
    for (const run of runs) {
      this.faces.add(run.face);
      ops.push(`${run.face.key.toString()} ${num(size)} Tf 1 0 0 1 ${num(at)} ${num(baseline)} Tm ${run.face.pdf.encodeText(run.text).toString()} Tj`);
      at += run.width * size;
    }
    ops.push('ET');
    this.operators.push(ops.join('\n'));
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
    this.operators.push(`q ${num(grey)} G ${num(thickness)} w ${num(x)} ${num(y)} m ${num(x + width)} ${num(y)} l S Q`);
  }

  /** A filled rectangle with its top-left at (x, top). */
  fill(x: number, top: number, width: number, height: number, grey: number): void {
    this.operators.push(`q ${num(grey)} g ${num(x)} ${num(top - height)} ${num(width)} ${num(height)} re f Q`);
  }

  /**
   * Draws every page's footer (title, "Page N of M") as a small stream of its own, now that the
   * page count is known, and returns the file's bytes. The layout is done after this.
   */
  async finish(): Promise<Uint8Array> {
    this.endPage();
    const pages = this.doc.getPages();
    const style = { size: FOOTER_SIZE, grey: 0.4 };
    const top = this.margin + FOOTER_SIZE;
    pages.forEach((page, i) => {
      this.page = page;
      this.drawText(this.title, this.margin, top, style);
      this.drawText(`Page ${i + 1} of ${pages.length}`, this.margin, top, { ...style, align: 'right', width: this.contentWidth });
      this.endPage();
    });
    // Object streams make smaller files; nothing else reads the document meanwhile, so saving
    // need not yield to the event loop every 50 objects (pdf-lib's default).
    return this.doc.save({ useObjectStreams: true, objectsPerTick: Number.POSITIVE_INFINITY });
  }

  /**
   * Appends what was drawn on the current page to it as one Flate-compressed stream, with the
   * fonts it uses in the page's resources, and forgets the operators.
   */
  private endPage(): void {
    const page = this.page;
    if (!page) return;
    if (this.operators.length > 0) {
      const { context } = this.doc;
      // Node's zlib rather than pdf-lib's `flateStream` (pako, in JavaScript): a fifth of the time.
      const bytes = deflateSync(Buffer.from(this.operators.join('\n'), 'latin1'));
      page.node.addContentStream(context.register(context.stream(bytes, { Filter: 'FlateDecode' })));
      for (const face of this.faces) page.node.setFontDictionary(face.key, face.pdf.ref);
    }
    this.page = undefined;
    this.operators = [];
    this.faces = new Set();
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
