import { sameFieldValue } from '../model/codecs';
import type { FieldType, FieldValue } from '../model/types';
import { compareDecimal } from '../util/decimal';

/**
 * Compares strings by Unicode code point, which is the order of their UTF-8 bytes: the order
 * DynamoDB uses, so a comparison means the same in memory and in a FilterExpression. (JavaScript's
 * `<` compares UTF-16 code units, which puts U+E000..U+FFFF after astral characters.)
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates (0xD800-0xDFFF) stand for code points above 0xFFFF: rank them above 0xE000-0xFFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/**
 * Compares two non-null canonical values of one field type: integers and decimals by number
 * (decimals exactly), booleans false before true, everything else (strings, ids, ISO dates and
 * date-times) by code point.
 */
export function compareFieldValues(type: FieldType, a: FieldValue, b: FieldValue): number {
  switch (type) {
    case 'integer':
      return Math.sign(Number(a) - Number(b));
    case 'decimal':
      return compareDecimal(String(a), String(b));
    case 'boolean':
      return Number(a === true) - Number(b === true);
    default:
      return compareCodePoints(String(a), String(b));
  }
}

/** Whether two non-null canonical values of one field type are equal (decimals by value, JSON by content). */
export function equalFieldValues(type: FieldType, a: FieldValue, b: FieldValue): boolean {
  if (type === 'json') return sameFieldValue({ name: '', type }, a, b);
  if (type === 'decimal') return compareDecimal(String(a), String(b)) === 0;
  if (type === 'integer') return Number(a) === Number(b);
  return a === b;
}
