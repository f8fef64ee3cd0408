import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FontSource, PdfFontFiles } from '../../layers/core/formats/pdf/fonts';

/**
 * The font files PDFs are drawn with, from npm packages: Noto Sans (Latin, Greek, Cyrillic) with
 * Noto Sans JP as the fallback for CJK. The deployed bundle carries copies in `fonts/` next to the
 * handler (see `DataioFunction`'s `fonts` option); the local stack and tests read node_modules.
 */
export const PDF_FONT_FILES = {
  regular: '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
  cjk: '@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf',
} as const;

let cached: PdfFontFiles | undefined;

/** A FontSource reading `PDF_FONT_FILES` once per container. */
export const packagedFonts: FontSource = async () => {
  cached ??= {
    regular: readFont(PDF_FONT_FILES.regular),
    bold: readFont(PDF_FONT_FILES.bold),
    fallbacks: [readFont(PDF_FONT_FILES.cjk)],
  };
  return cached;
};

function readFont(spec: string): Uint8Array {
  const bundled = join(__dirname, 'fonts', spec.split('/').pop()!);
  return readFileSync(existsSync(bundled) ? bundled : require.resolve(spec));
}
