import type { Cell } from './types';

const MS_PER_DAY = 86_400_000;
/** Days from Excel's 1900 epoch (serial 0 = 1899-12-30, after its leap-year bug) to 1970-01-01. */
const EXCEL_EPOCH_OFFSET_DAYS = 25_569;
/** Days between the 1900 and 1904 date systems. */
const DATE1904_OFFSET_DAYS = 1_462;

/**
 * A number as plain decimal text, never in exponent notation (`1e21` → `1000000000000000000000`,
 * `1e-7` → `0.0000001`), because an importer would read `1e+21` as text, not a number.
 * Non-finite numbers have no text: ''.
 */
export function numberToText(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (value === 0) return '0';
  const shortest = String(value);
  if (!shortest.includes('e')) return shortest;
  const [mantissa = '', exponentText = '0'] = shortest.split('e');
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  // The decimal point sits after the first mantissa digit; the exponent moves it.
  const point = 1 + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A spreadsheet number as the text a user saw: rounded to the 15 significant digits Excel keeps, so
 * binary noise disappears (`0.1 + 0.2` → `0.3`), in plain decimal notation. Integers that doubles
 * hold exactly keep every digit, since another tool may have written them beyond Excel's 15.
 */
export function spreadsheetNumberToText(value: number): string {
  if (Number.isSafeInteger(value)) return numberToText(value);
  return numberToText(Number(value.toPrecision(15)));
}

/** A cell as CSV text: null → '', numbers in plain decimal, booleans `true`/`false`. */
export function cellToText(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return numberToText(cell);
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  return cell;
}

/** A date as the text a user saw: `YYYY-MM-DD` at midnight UTC, ISO 8601 otherwise; '' when invalid. */
export function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** The date of a spreadsheet's date serial (days since its epoch, 1900 or 1904), as UTC. */
export function excelSerialToDate(serial: number, date1904: boolean): Date {
  // Rounded to the millisecond: serials carry binary noise well below it.
  return new Date(Math.round((serial - EXCEL_EPOCH_OFFSET_DAYS + (date1904 ? DATE1904_OFFSET_DAYS : 0)) * MS_PER_DAY));
}
