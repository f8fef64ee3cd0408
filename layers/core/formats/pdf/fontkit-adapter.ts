import { PassThrough } from 'node:stream';
import * as fontkitModule from 'fontkit';
import type { PDFDocument } from 'pdf-lib';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

/** What the adapter uses of an upstream fontkit font. */
interface UpstreamFont {
  glyphForCodePoint(codePoint: number): object;
  createSubset(): { encode(): Uint8Array };
}

/**
 * pdf-lib's own fork, `@pdf-lib/fontkit`, predates the upstream fixes for subsetting (short
 * `loca` tables, CFF offsets): with it most glyphs of a subset Noto font render blank while
 * `pdftotext` still reads the text. Upstream fontkit 2 subsets correctly but encodes a subset
 * with `encode()` instead of the `encodeStream()` pdf-lib calls; this adapter bridges the two.
 */
const upstream = ((fontkitModule as unknown as { default?: unknown }).default ?? fontkitModule) as {
  create(buffer: Buffer): UpstreamFont;
};

/** Wraps a fontkit object so that methods keep their receiver through the proxy. */
function bound<T extends object>(target: T, overrides: Record<string | symbol, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in overrides) return overrides[property];
      const value = Reflect.get(object, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * The glyphs of `text`, one per code point, as `layout` returns them. Full OpenType shaping costs
 * a third of a large report's time and buys nothing here: pdf-lib draws glyph ids without the
 * shaped positions, the fonts cover no script that needs shaping, and `PdfLayout` measures text
 * per code point, so drawn and measured widths agree.
 */
function layoutPerCodePoint(font: UpstreamFont, text: string): { glyphs: object[] } {
  const glyphs: object[] = [];
  for (const char of text) glyphs.push(font.glyphForCodePoint(char.codePointAt(0)!));
  return { glyphs };
}

/**
 * A fontkit for `PDFDocument.registerFontkit` backed by upstream fontkit 2.
 *
 * Every call parses anew, and a parsed font must not outlive its document: encoding a subset
 * creates the glyph objects of composite glyphs' parts (the `u` in `ü`) without code points,
 * fontkit caches them, and a later document drawing that glyph would get no ToUnicode entry
 * (`pdftotext` would read `stat s`).
 */
export const fontkit: Fontkit = {
  create(bytes: Uint8Array) {
    const source = upstream.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return bound(source, {
      layout: (text: string) => layoutPerCodePoint(source, text),
      createSubset: () => {
        const subset = source.createSubset();
        return bound(subset, {
          encodeStream: () => {
            const stream = new PassThrough();
            stream.end(Buffer.from(subset.encode()));
            return stream;
          },
        });
      },
    }) as unknown as ReturnType<Fontkit['create']>;
  },
};
