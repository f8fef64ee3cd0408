import { cellToText } from './cell-text';
import type { Cell } from './types';

/** First characters that make a spreadsheet run a cell as a formula (OWASP "CSV injection"). */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * Makes a text cell inert in a spreadsheet: a value starting with `=`, `+`, `-`, `@`, tab or CR gets a
 * leading `'`, as OWASP advises, so opening an export never runs a formula a user typed into a record.
 * Apply to text columns only: a negative number in a numeric column is data, not a formula.
 */
export function neutralizeFormula(value: string): string {
  return value.length > 0 && FORMULA_TRIGGERS.has(value[0]!) ? `'${value}` : value;
}

/**
 * Undoes `neutralizeFormula` on an imported text cell (`'+44 20` → `+44 20`), so a file exported
 * and re-imported unchanged holds the stored values again. Only a `'` followed by a formula
 * trigger is dropped; that is also how spreadsheets treat a typed leading apostrophe.
 */
export function restoreNeutralizedText(text: string): string {
  return text.length > 1 && text[0] === "'" && FORMULA_TRIGGERS.has(text[1]!) ? text.slice(1) : text;
}

/**
 * The width of a cell in spreadsheet characters: its longest line, counting East Asian wide
 * characters and emoji twice since they take two columns. Callers keep the maximum per column
 * to size XLSX columns (`TableWriterOptions.widths`).
 */
export function measureWidth(cell: Cell): number {
  let widest = 0;
  for (const line of cellToText(cell).split(/\r\n|\r|\n/)) {
    let width = 0;
    for (const char of line) width += isWide(char.codePointAt(0)!) ? 2 : 1;
    widest = Math.max(widest, width);
  }
  return widest;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) || // Hangul Jamo
    (code >= 0x2e80 && code <= 0xa4cf) || // CJK radicals … Yi
    (code >= 0xac00 && code <= 0xd7a3) || // Hangul syllables
    (code >= 0xf900 && code <= 0xfaff) || // CJK compatibility ideographs
    (code >= 0xfe30 && code <= 0xfe4f) || // CJK compatibility forms
    (code >= 0xff00 && code <= 0xff60) || // full-width forms
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) || // emoji
    (code >= 0x20000 && code <= 0x3fffd) // CJK extension planes
  );
}
