/** Column name of the record id. */
export const ID_COLUMN = 'id';

const BOM = '\uFEFF';

/** Header text as written, without a byte order mark and surrounding spaces. */
export function cleanHeader(text: string): string {
  return (text.startsWith(BOM) ? text.slice(1) : text).trim();
}

/** Header text as compared: cleaned and lower-cased. */
export function normalizeHeader(text: string): string {
  return cleanHeader(text).toLowerCase();
}
