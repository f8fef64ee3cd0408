import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFArray, PDFContentStream, PDFDict, PDFName, PDFRawStream } from 'pdf-lib';
import { ReportTooLargeError, renderGenericReport, PdfLayout, PdfTable, fitWidths } from '../../../layers/core/formats/pdf';
import type { Cell } from '../../../layers/core/formats/types';
import { packagedFonts } from '../../../lambdas/shared/fonts';
import { PdfFile } from '../../support/pdf-text';

/** Each word of page 1 with its box, as `pdftotext -bbox` reads it. */
function wordBoxes(bytes: Uint8Array): Map<string, { xMin: number; xMax: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dataio-pdf-bbox-'));
  try {
    writeFileSync(join(dir, 'file.pdf'), bytes);
    const html = execFileSync('pdftotext', ['-bbox', '-f', '1', '-l', '1', join(dir, 'file.pdf'), '-'], { encoding: 'utf8' });
    const words = new Map<string, { xMin: number; xMax: number }>();
    for (const m of html.matchAll(/<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)) {
      words.set(m[3]!, { xMin: Number(m[1]), xMax: Number(m[2]) });
    }
    return words;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function* rowsOf(rows: Cell[][]): AsyncGenerator<Cell[]> {
  yield* rows;
}

describe('PdfLayout', () => {
  it('wraps at spaces within the width and breaks a word only when it alone is too wide', async () => {
    const layout = await PdfLayout.create({ fonts: await packagedFonts(), maxPages: 10, title: 't' });
    const lines = layout.wrap('the quick brown fox jumps over the lazy dog', 60);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(layout.measure(line)).toBeLessThanOrEqual(60);
    expect(lines.join(' ')).toBe('the quick brown fox jumps over the lazy dog');
    expect(layout.wrap('東京東京東京東京東京東京東京東京', 30).length).toBeGreaterThan(1);
  });

  it('breaks lists and hyphenated codes after a separator before breaking inside a piece', async () => {
    const layout = await PdfLayout.create({ fonts: await packagedFonts(), maxPages: 10, title: 't' });
    const width = layout.measure('new|bestseller|heavy-') + 1;
    expect(layout.wrap('new|bestseller|heavy-duty', width)).toEqual(['new|bestseller|heavy-', 'duty']);
    expect(layout.wrap('new|bestseller|heavy-duty', layout.measure('bestseller|') + 1)).toEqual(['new|', 'bestseller|', 'heavy-duty']);
    expect(layout.wrap('TOOLS-POWER', layout.measure('TOOLS-') + 1)).toEqual(['TOOLS-', 'POWER']);
    // A leading minus sign stays with its number.
    expect(layout.wrap('-1234.50', layout.measure('-1234') + 1)).toEqual(['-1234', '.50']);
  });

  it('right-aligns text so that it ends at the column edge', async () => {
    const layout = await PdfLayout.create({ fonts: await packagedFonts(), maxPages: 10, title: 't' });
    layout.drawText('12.50', 100, 500, { align: 'right', width: 80 });
    layout.drawText('Łódź', 100, 400);
    const words = wordBoxes(await layout.finish());
    // What a viewer computes from the embedded glyph widths: the right end sits on x + width.
    expect(words.get('12.50')!.xMax).toBeCloseTo(180, 1);
    expect(words.get('12.50')!.xMax - words.get('12.50')!.xMin).toBeCloseTo(layout.measure('12.50'), 1);
    expect(words.get('Łódź')!.xMin).toBeCloseTo(100, 1);
  });

  it('repeats the table header on every page and numbers the pages', async () => {
    const layout = await PdfLayout.create({ fonts: await packagedFonts(), maxPages: 10, title: 'Repeated header' });
    const table = new PdfTable(layout, [
      { header: 'Code', width: 100 },
      { header: 'Amount', width: 100, align: 'right' },
    ]);
    table.begin();
    for (let i = 0; i < 150; i++) table.row([`ROW-${i}`, `${i}.00`]);
    table.end();
    const pdf = new PdfFile(await layout.finish());
    const pages = pdf.pageCount();
    expect(pages).toBeGreaterThan(1);
    for (let page = 1; page <= pages; page++) {
      const text = pdf.text(page);
      expect(text).toMatch(/Code\s+Amount/);
      expect(text).toContain(`Page ${page} of ${pages}`);
    }
    pdf.dispose();
  });

  it('keeps a finished page as one compressed stream, not as drawing operators', async () => {
    const layout = await PdfLayout.create({ fonts: await packagedFonts(), maxPages: 10, title: 'Flushed' });
    const table = new PdfTable(layout, [
      { header: 'Code', width: 100 },
      { header: 'Name', width: 200 },
    ]);
    table.begin();
    for (let i = 0; i < 150; i++) table.row([`ROW-${i}`, i % 2 ? 'Łódź' : '東京']);
    const { context } = layout.doc;
    const pages = layout.doc.getPages();
    expect(pages.length).toBeGreaterThan(2);
    // Every page but the one being drawn holds only deflated bytes...
    for (const page of pages.slice(0, -1)) {
      const contents = page.node.Contents();
      expect(contents).toBeInstanceOf(PDFArray);
      const streams = (contents as PDFArray).asArray().map((ref) => context.lookup(ref));
      expect(streams).toHaveLength(1);
      expect(streams[0]).toBeInstanceOf(PDFRawStream);
      expect((streams[0] as PDFRawStream).dict.get(PDFName.of('Filter'))).toBe(PDFName.of('FlateDecode'));
      // ...and names each font it uses once (header bold, cells regular, CJK fallback).
      expect(page.node.Resources()!.lookup(PDFName.of('Font'), PDFDict).keys()).toHaveLength(3);
    }
    // pdf-lib's operator objects are never built.
    expect(context.enumerateIndirectObjects().filter(([, object]) => object instanceof PDFContentStream)).toEqual([]);
    table.end();
    const pdf = new PdfFile(await layout.finish());
    expect(pdf.text(2)).toContain('ROW-');
    expect(pdf.text(2)).toContain('Page 2 of');
    pdf.dispose();
  });

  it('fails with ReportTooLargeError past the page limit', async () => {
    const layout = await PdfLayout.create({ fonts: await packagedFonts(), maxPages: 2, title: 't' });
    const table = new PdfTable(layout, [{ header: 'x', width: 100 }]);
    table.begin();
    expect(() => {
      for (let i = 0; i < 1000; i++) table.row([String(i)]);
    }).toThrow(ReportTooLargeError);
  });
});

describe('fitWidths', () => {
  it('keeps natural widths that fit and shares the rest among the wide columns', () => {
    expect(fitWidths([50, 60], 200)).toEqual([50, 60]);
    const fitted = fitWidths([50, 400, 400], 500);
    expect(fitted[0]).toBe(50);
    expect(fitted[1]).toBeCloseTo(225);
    expect(fitted.reduce((a, b) => a + b, 0)).toBeCloseTo(500);
  });
});

describe('renderGenericReport', () => {
  const columns = [
    { name: 'name', type: 'string' as const },
    { name: 'city', type: 'string' as const },
    { name: 'price', type: 'decimal' as const, scale: 2 },
  ];

  it('draws Unicode names, the subtitle and right-aligned numbers', async () => {
    const bytes = await renderGenericReport({
      fonts: await packagedFonts(),
      maxPages: 10,
      title: 'suppliers — acme',
      subtitle: ['Filter: all records', 'Generated by alice'],
      columns,
      widths: [11, 4, 7],
      rows: rowsOf([
        ['Müller GmbH', 'Łódź', '9.90'],
        ['東京商事', '東京', '1234.50'],
      ]),
    });
    const pdf = new PdfFile(bytes);
    const text = pdf.text();
    expect(text).toContain('suppliers — acme');
    expect(text).toContain('Müller GmbH');
    expect(text).toContain('Łódź');
    expect(text).toContain('東京商事');
    // Right-aligned: the two prices end in the same column of the text layout.
    const ends = text.split('\n').filter((l) => /\d\.\d\d\s*$/.test(l)).map((l) => l.trimEnd().length);
    expect(new Set(ends).size).toBe(1);
    expect(bytes.length).toBeLessThan(200_000);
    pdf.dispose();
  });

  it('turns landscape when the columns do not fit portrait', async () => {
    const wide = Array.from({ length: 14 }, (_, i) => ({ name: `column_${i}`, type: 'string' as const }));
    const bytes = await renderGenericReport({ fonts: await packagedFonts(), maxPages: 10, title: 't', subtitle: [], columns: wide, widths: wide.map(() => 20), rows: rowsOf([]) });
    const pdf = new PdfFile(bytes);
    expect(pdf.text()).toContain('column_13');
    pdf.dispose();
    const { PDFDocument } = await import('pdf-lib');
    const page = (await PDFDocument.load(bytes)).getPage(0);
    expect(page.getWidth()).toBeGreaterThan(page.getHeight());
  });
});
