import type { Cell, ColumnType, TabularFormat } from '../formats/types';
import { compareDecimalParts, decimalPartsOf, parseDecimalParts } from '../util/decimal';
import type { FieldDefinition, FieldValue, JsonValue } from './types';

/** The outcome of parsing one cell: the canonical value, or a machine code and a message. */
export type ParseResult =
  | { readonly ok: true; readonly value: FieldValue }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Options of `parseValue`. */
export interface ParseOptions {
  /**
   * Only check the syntax and the type (no bounds, length, precision or scale). Filters use this:
   * `quantity lt -5` is a fine question even when quantities are never negative.
   * @default false
   */
  readonly lenient?: boolean;
  /**
   * The format the cell was read from. Only `'xlsx'` changes anything: a date or date-time column
   * then also accepts an Excel serial number, which is what a spreadsheet cell holds when it was
   * typed as a number rather than formatted as a date.
   * @default 'csv'
   */
  readonly sourceFormat?: TabularFormat;
}

const ok = (value: FieldValue): ParseResult => ({ ok: true, value });
// Blank cells and booleans share one result each: imports parse millions of cells.
const OK_NULL: ParseResult = { ok: true, value: null };
const OK_TRUE: ParseResult = { ok: true, value: true };
const OK_FALSE: ParseResult = { ok: true, value: false };
const fail = (code: string, message: string): ParseResult => ({ ok: false, code, message });

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'f']);
const DASH = 0x2d;
const DATETIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
// Pragmatic: one @, no spaces, a dot in the domain; the exact RFC grammar accepts addresses no mail
// system delivers and rejects nothing users actually mistype.
const EMAIL_PATTERN = /^[^\s@"<>(),;:\\]+@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]{2,}$/i;
const MANY_TO_MANY_SEPARATOR = '|';
const EXCEL_SERIAL_PATTERN = /^\d+(?:\.\d+)?$/;
/** 9999-12-31, the last day Excel can show. */
const EXCEL_MAX_SERIAL = 2958465;
const MS_PER_DAY = 86_400_000;

/**
 * Parses a raw cell into the canonical value of a field (see `FieldValue`). A blank cell (empty or
 * only spaces) is `null`; requiredness is the caller's concern.
 */
export function parseValue(field: FieldDefinition, raw: string | null | undefined, options: ParseOptions = {}): ParseResult {
  if (raw === null || raw === undefined) return OK_NULL;
  const text = raw.trim();
  if (text === '') return OK_NULL;
  const lenient = options.lenient ?? false;
  switch (field.type) {
    case 'string':
      return checkLength(field, text, lenient);
    case 'text':
      // Text keeps its spaces and line breaks: they are part of what the user wrote.
      return checkLength(field, raw, lenient);
    case 'integer':
      return parseInteger(field, text, lenient);
    case 'decimal':
      return parseDecimal(field, text, lenient);
    case 'boolean':
      return parseBoolean(text);
    case 'date':
      return options.sourceFormat === 'xlsx' && EXCEL_SERIAL_PATTERN.test(text) ? parseExcelDate(text) : parseDate(text);
    case 'datetime':
      return options.sourceFormat === 'xlsx' && EXCEL_SERIAL_PATTERN.test(text) ? parseExcelDatetime(text) : parseDatetime(text);
    case 'choice':
      return parseChoice(field, text);
    case 'email':
      return parseEmail(field, text, lenient);
    case 'foreign_key':
      return ok(text);
    case 'many_to_many':
      return ok(splitManyToMany(text));
    case 'json':
      return parseJson(text);
    default:
      return fail('invalid', `unsupported field type '${String((field as FieldDefinition).type)}'`);
  }
}

/** Formats a canonical value as an export cell: null → `''`, many-to-many joined by `|`, JSON as text. */
export function formatValue(field: FieldDefinition, value: FieldValue | undefined): string {
  if (value === null || value === undefined) return '';
  switch (field.type) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'many_to_many':
      return Array.isArray(value) ? value.join(MANY_TO_MANY_SEPARATOR) : String(value);
    case 'json':
      return JSON.stringify(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** The export column type of a field: what a typed writer (XLSX) stores it as. */
export function columnTypeOf(field: FieldDefinition): ColumnType {
  switch (field.type) {
    case 'integer':
    case 'decimal':
    case 'boolean':
    case 'date':
    case 'datetime':
      return field.type;
    default:
      return 'string';
  }
}

/**
 * Formats a canonical value as a typed export cell: integers as numbers, booleans as booleans,
 * decimals, dates and date-times as their canonical strings (never a float, which would lose
 * cents), many-to-many joined by `|`, JSON as text, and `null` for no value.
 */
export function formatCell(field: FieldDefinition, value: FieldValue | undefined): Cell {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'integer':
      return typeof value === 'number' ? value : Number(value);
    case 'boolean':
      return value === true;
    case 'many_to_many':
      return Array.isArray(value) ? value.join(MANY_TO_MANY_SEPARATOR) : String(value);
    case 'json':
      return JSON.stringify(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/**
 * Whether two canonical values of a field mean the same thing, so an import can tell an unchanged
 * row from an update: many-to-many compare as sets (an empty list equals no value), JSON by
 * content whatever the key order, everything else exactly (canonical forms make that safe).
 */
export function sameFieldValue(field: FieldDefinition, a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (field.type === 'many_to_many') {
    const left = new Set(Array.isArray(a) ? a.map(String) : []);
    const right = new Set(Array.isArray(b) ? b.map(String) : []);
    return left.size === right.size && [...left].every((id) => right.has(id));
  }
  const left = a ?? null;
  const right = b ?? null;
  if (field.type === 'json') return stableJson(left) === stableJson(right);
  return left === right;
}

/** Splits a many-to-many cell into its distinct, trimmed, non-blank parts. */
export function splitManyToMany(text: string): string[] {
  // One pass without intermediate arrays: called for every many-to-many cell of an import.
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf(MANY_TO_MANY_SEPARATOR, start);
    const part = text.slice(start, end === -1 ? text.length : end).trim();
    if (part !== '' && !parts.includes(part)) parts.push(part);
    if (end === -1) return parts;
    start = end + 1;
  }
}

/** Joins many-to-many parts into one cell. */
export function joinManyToMany(parts: readonly string[]): string {
  return parts.join(MANY_TO_MANY_SEPARATOR);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function checkLength(field: FieldDefinition, text: string, lenient: boolean): ParseResult {
  // A text has at most as many code points as UTF-16 units: only a long one needs counting.
  if (!lenient && field.maxLength !== undefined && text.length > field.maxLength) {
    // Count code points, not UTF-16 units: "Łódź" is 4 characters to the user.
    const length = [...text].length;
    if (length > field.maxLength) return fail('max_length', `at most ${field.maxLength} characters allowed (got ${length})`);
  }
  return ok(text);
}

function parseInteger(field: FieldDefinition, text: string, lenient: boolean): ParseResult {
  if (!isInteger(text)) return fail('invalid', `'${text}' is not a whole number`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return fail('invalid', `'${text}' is too large`);
  if (!lenient && field.min !== undefined && value < Number(field.min)) {
    return fail('min_value', `must be at least ${field.min}`);
  }
  if (!lenient && field.max !== undefined && value > Number(field.max)) {
    return fail('max_value', `must be at most ${field.max}`);
  }
  return ok(value === 0 ? 0 : value);
}

/** Whether the text is `/^[+-]?\d+$/`, checked by character code (no regular expression per cell). */
function isInteger(text: string): boolean {
  const first = text.charCodeAt(0);
  const start = first === 0x2b || first === 0x2d ? 1 : 0;
  if (start === text.length) return false;
  for (let i = start; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

function parseDecimal(field: FieldDefinition, text: string, lenient: boolean): ParseResult {
  const parts = parseDecimalParts(text);
  if (!parts) return fail('invalid', `'${text}' is not a decimal number (use digits and '.', no thousands separators)`);
  const scale = field.scale ?? 0;
  const precision = field.precision ?? Number.MAX_SAFE_INTEGER;
  if (!lenient && parts.fraction.length > scale) {
    return fail('invalid', `'${text}' has more than ${scale} decimal places`);
  }
  if (!lenient && parts.integer.length > precision - scale) {
    return fail('invalid', `'${text}' has more than ${precision - scale} digits before the decimal point`);
  }
  const places = Math.max(scale, parts.fraction.length);
  const sign = parts.negative ? '-' : '';
  const integer = parts.integer || '0';
  const value = places === 0 ? `${sign}${integer}` : `${sign}${integer}.${parts.fraction.padEnd(places, '0')}`;
  // `parts` are the parts of `value` too (padding adds only insignificant zeros).
  if (!lenient && field.min !== undefined && compareDecimalParts(parts, decimalPartsOf(String(field.min))) < 0) {
    return fail('min_value', `must be at least ${field.min}`);
  }
  if (!lenient && field.max !== undefined && compareDecimalParts(parts, decimalPartsOf(String(field.max))) > 0) {
    return fail('max_value', `must be at most ${field.max}`);
  }
  return ok(value);
}

function parseBoolean(text: string): ParseResult {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return OK_TRUE;
  if (FALSE_WORDS.has(word)) return OK_FALSE;
  return fail('invalid', `'${text}' is not a boolean (use true/false, yes/no or 1/0)`);
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

/** Days in a month (1-12), as `Date.UTC` counts them: it maps years 0-99 to 1900-1999. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  const y = year >= 0 && year <= 99 ? 1900 + year : year;
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
}

/** `YYYY-MM-DD`, checked by character code: no match array or Date per cell. */
function parseDate(text: string): ParseResult {
  const year = digitsAt(text, 0, 4);
  const valid = text.length === 10 && text.charCodeAt(4) === DASH && text.charCodeAt(7) === DASH && year >= 0 && isCalendarDate(year, digitsAt(text, 5, 7), digitsAt(text, 8, 10));
  return valid ? ok(text) : fail('invalid', `'${text}' is not a date (use YYYY-MM-DD)`);
}

/** The number the ASCII digits of `text[start, end)` spell, or -1 when one is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i += 1) {
    const digit = text.charCodeAt(i) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function parseDatetime(text: string): ParseResult {
  // Built only on failure: most cells are valid.
  const invalid = (): ParseResult => fail('invalid', `'${text}' is not a date-time (use ISO 8601, e.g. 2024-01-31T10:00:00Z)`);
  const match = DATETIME_PATTERN.exec(text);
  if (!match) return invalid();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (!isCalendarDate(year, month, day) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return invalid();
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 14 || minutes > 59) return invalid();
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  // A value without a zone is taken as UTC: an import must not depend on the server's time zone.
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = new Date(Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), millis));
  // Date.UTC maps years 0-99 to 1900-1999.
  utc.setUTCFullYear(year);
  return ok(new Date(utc.getTime() - offsetMinutes * 60_000).toISOString());
}

/**
 * An Excel serial in the 1900 date system as milliseconds since the Unix epoch. Excel counts
 * 1900-01-01 as day 1 and, copying Lotus 1-2-3, believes 1900 was a leap year: serial 60 is a
 * 29 February that never was, and every later serial is one day ahead of the real count.
 */
function excelSerialToEpochMs(text: string): number | undefined {
  const serial = Number(text);
  // Whole milliseconds: a spreadsheet's float time of day is never more precise than that.
  const totalMs = Math.round(serial * MS_PER_DAY);
  const day = Math.floor(totalMs / MS_PER_DAY);
  if (day < 1 || day > EXCEL_MAX_SERIAL || day === 60) return undefined;
  const dayZero = day > 60 ? Date.UTC(1899, 11, 30) : Date.UTC(1899, 11, 31);
  return dayZero + totalMs;
}

function parseExcelDate(text: string): ParseResult {
  const ms = excelSerialToEpochMs(text);
  if (ms === undefined) return fail('invalid', `'${text}' is not a date (an Excel date number runs from 1 to ${EXCEL_MAX_SERIAL}, without 60)`);
  // A date column keeps the day; a time of day in the serial is dropped, as Excel's date format does.
  return ok(new Date(ms).toISOString().slice(0, 10));
}

function parseExcelDatetime(text: string): ParseResult {
  const ms = excelSerialToEpochMs(text);
  if (ms === undefined) return fail('invalid', `'${text}' is not a date-time (an Excel date number runs from 1 to ${EXCEL_MAX_SERIAL}, without 60)`);
  // Spreadsheets have no time zone; like zone-less ISO text, the serial is taken as UTC.
  return ok(new Date(ms).toISOString());
}

function parseChoice(field: FieldDefinition, text: string): ParseResult {
  const choices = field.choices ?? [];
  if (choices.includes(text)) return ok(text);
  const lower = text.toLowerCase();
  const match = choices.find((choice) => choice.toLowerCase() === lower);
  if (match !== undefined) return ok(match);
  return fail('invalid_choice', `'${text}' is not one of ${choices.join(', ')}`);
}

function parseEmail(field: FieldDefinition, text: string, lenient: boolean): ParseResult {
  if (!EMAIL_PATTERN.test(text)) return fail('invalid_email', `'${text}' is not a valid email address`);
  const at = text.lastIndexOf('@');
  // The domain is case-insensitive; the local part may not be, so it is kept as written.
  return checkLength(field, `${text.slice(0, at)}@${text.slice(at + 1).toLowerCase()}`, lenient);
}

function parseJson(text: string): ParseResult {
  try {
    return ok(JSON.parse(text) as JsonValue);
  } catch (error) {
    return fail('invalid_json', `not valid JSON: ${(error as Error).message}`);
  }
}
