/**
 * The TrueType font files a PDF is drawn with. pdf-lib's standard fonts only cover WinAnsi, so
 * names like `Łódź` or `東京` need embedded fonts; each is subset, so a PDF carries only the glyphs
 * it uses.
 */
export interface PdfFontFiles {
  /** Body text. */
  readonly regular: Uint8Array;
  /** Headings and table headers. @default regular */
  readonly bold?: Uint8Array;
  /** Fonts tried in order for characters `regular`/`bold` lack (e.g. CJK). */
  readonly fallbacks?: readonly Uint8Array[];
}

/**
 * Where the fonts come from. Injected by the composition root, so the core reads no files or
 * environment; called once per PDF (implementations cache the bytes).
 */
export type FontSource = () => Promise<PdfFontFiles>;
