import { PassThrough } from 'node:stream';
import * as fontkitModule from 'fontkit';
import type { PDFDocument } from 'pdf-lib';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

/**
 * pdf-lib's own fork, `@pdf-lib/fontkit`, predates the upstream fixes for subsetting (short
 * `loca` tables, CFF offsets): with it most glyphs of a subset Noto font render blank while
 * `pdftotext` still reads the text. Upstream fontkit 2 subsets correctly but encodes a subset
 * with `encode()` instead of the `encodeStream()` pdf-lib calls; this adapter bridges the two.
 */
const upstream = ((fontkitModule as unknown as { default?: unknown }).default ?? fontkitModule) as {
  create(buffer: Buffer): object;
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

/** A fontkit for `PDFDocument.registerFontkit` backed by upstream fontkit 2. */
export const fontkit: Fontkit = {
  create(bytes: Uint8Array) {
    const font = upstream.create(Buffer.from(bytes)) as { createSubset(): { encode(): Uint8Array } };
    return bound(font, {
      createSubset: () => {
        const subset = font.createSubset();
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
