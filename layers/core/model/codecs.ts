import { compareDecimal, parseDecimalParts } from '../util/decimal';
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
}

const ok = (value: FieldValue): ParseResult => ({ ok: true, value });
const fail = (code: string, message: string): ParseResult => ({ ok: false, code, message });

const INTEGER_PATTERN = /^[+-]?\d+$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'f']);
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
// Pragmatic: one @, no spaces, a dot in the domain; the exact RFC grammar accepts addresses no mail
// system delivers and rejects nothing users actually mistype.
const EMAIL_PATTERN = /^[^\s@"<>(),;:\\]+@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]{2,}$/i;
const MANY_TO_MANY_SEPARATOR = '|';

/**
 * Parses a raw cell into the canonical value of a field (see `FieldValue`). A blank cell (empty or
 * only spaces) is `null`; requiredness is the caller's concern.
 */
export function parseValue(field: FieldDefinition, raw: string | null | undefined, options: ParseOptions = {}): ParseResult {
  if (raw === null || raw === undefined || raw.trim() === '') return ok(null);
  const lenient = options.lenient ?? false;
  const text = raw.trim();
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
      return parseDate(text);
    case 'datetime':
      return parseDatetime(text);
    case 'choice':
      return parseChoice(field, text);
    case 'email':
      return parseEmail(field, text, lenient);
    case 'foreign_key':
      return ok(text);
    case 'many_to_many':
      return ok(splitIds(text));
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

function checkLength(field: FieldDefinition, text: string, lenient: boolean): ParseResult {
  // Count code points, not UTF-16 units: "Łódź" is 4 characters to the user.
  const length = [...text].length;
  if (!lenient && field.maxLength !== undefined && length > field.maxLength) {
    return fail('max_length', `at most ${field.maxLength} characters allowed (got ${length})`);
  }
  return ok(text);
}

function parseInteger(field: FieldDefinition, text: string, lenient: boolean): ParseResult {
  if (!INTEGER_PATTERN.test(text)) return fail('invalid', `'${text}' is not a whole number`);
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
  if (!lenient && field.min !== undefined && compareDecimal(value, String(field.min)) < 0) {
    return fail('min_value', `must be at least ${field.min}`);
  }
  if (!lenient && field.max !== undefined && compareDecimal(value, String(field.max)) > 0) {
    return fail('max_value', `must be at most ${field.max}`);
  }
  return ok(value);
}

function parseBoolean(text: string): ParseResult {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return ok(true);
  if (FALSE_WORDS.has(word)) return ok(false);
  return fail('invalid', `'${text}' is not a boolean (use true/false, yes/no or 1/0)`);
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

function parseDate(text: string): ParseResult {
  const match = DATE_PATTERN.exec(text);
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    return fail('invalid', `'${text}' is not a date (use YYYY-MM-DD)`);
  }
  return ok(text);
}

function parseDatetime(text: string): ParseResult {
  const invalid = fail('invalid', `'${text}' is not a date-time (use ISO 8601, e.g. 2024-01-31T10:00:00Z)`);
  const match = DATETIME_PATTERN.exec(text);
  if (!match) return invalid;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (!isCalendarDate(year, month, day) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return invalid;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 14 || minutes > 59) return invalid;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  // A value without a zone is taken as UTC: an import must not depend on the server's time zone.
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = new Date(Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), millis));
  // Date.UTC maps years 0-99 to 1900-1999.
  utc.setUTCFullYear(year);
  return ok(new Date(utc.getTime() - offsetMinutes * 60_000).toISOString());
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

function splitIds(text: string): string[] {
  const ids = text.split(MANY_TO_MANY_SEPARATOR).map((id) => id.trim()).filter((id) => id !== '');
  return [...new Set(ids)];
}

function parseJson(text: string): ParseResult {
  try {
    return ok(JSON.parse(text) as JsonValue);
  } catch (error) {
    return fail('invalid_json', `not valid JSON: ${(error as Error).message}`);
  }
}
