/**
 * Exact decimal arithmetic on strings. Money and quantities must never pass through binary
 * floating point, where `0.1 + 0.2 !== 0.3` and large amounts silently lose cents.
 */

/** A decimal number split into sign and digit strings, without insignificant zeros. */
export interface DecimalParts {
  readonly negative: boolean;
  /** Integer digits without leading zeros (`''` for zero). */
  readonly integer: string;
  /** Fraction digits without trailing zeros (`''` when none). */
  readonly fraction: string;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Splits a plain decimal string (`-12.50`, `.5`, `+3`); returns undefined when it is not one.
 * Accepts exactly `/^[+-]?\d*(\.\d*)?$/` with at least one digit. Scanned by character code rather
 * than with regular expressions: imports call this for every decimal cell, and the match arrays
 * and replaced strings were a measurable share of their garbage.
 */
export function parseDecimalParts(text: string): DecimalParts | undefined {
  const length = text.length;
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === PLUS || first === MINUS) i = 1;
  const intStart = i;
  while (i < length && isDigit(text.charCodeAt(i))) i += 1;
  const intEnd = i;
  let fracStart = i;
  if (i < length) {
    if (text.charCodeAt(i) !== DOT) return undefined;
    i += 1;
    fracStart = i;
    while (i < length && isDigit(text.charCodeAt(i))) i += 1;
    if (i < length) return undefined;
  }
  const fracEnd = i;
  // "." alone or "-" alone carry no digit at all.
  if (intEnd === intStart && fracEnd === fracStart) return undefined;
  let significantStart = intStart;
  while (significantStart < intEnd && text.charCodeAt(significantStart) === ZERO) significantStart += 1;
  let significantEnd = fracEnd;
  while (significantEnd > fracStart && text.charCodeAt(significantEnd - 1) === ZERO) significantEnd -= 1;
  const integer = text.slice(significantStart, intEnd);
  const fraction = text.slice(fracStart, significantEnd);
  // Negative zero is just zero, so comparisons and canonical output never show "-0.00".
  const negative = first === MINUS && (integer !== '' || fraction !== '');
  return { negative, integer, fraction };
}

/**
 * The parts of a decimal string, surrounding spaces ignored.
 * @throws RangeError when it is not a decimal
 */
export function decimalPartsOf(text: string): DecimalParts {
  const parts = parseDecimalParts(text.trim());
  if (!parts) throw new RangeError(`'${text}' is not a decimal number`);
  return parts;
}

/** Whether a string is a plain decimal number accepted by `normalizeDecimal`. */
export function isDecimal(text: string): boolean {
  return parseDecimalParts(text) !== undefined;
}

/**
 * Canonical form of a decimal with exactly `scale` places (`"12.5"`, 2 → `"12.50"`).
 * Throws a RangeError when the value needs more places than `scale` (it never rounds) or is not a
 * decimal.
 */
export function normalizeDecimal(text: string, scale: number): string {
  const parts = parseDecimalParts(text.trim());
  if (!parts) throw new RangeError(`'${text}' is not a decimal number`);
  if (parts.fraction.length > scale) {
    throw new RangeError(`'${text}' has more than ${scale} decimal places`);
  }
  return formatParts(parts, scale);
}

/** Number of decimal places a value needs (trailing zeros do not count). */
export function decimalPlaces(text: string): number {
  const parts = parseDecimalParts(text.trim());
  if (!parts) throw new RangeError(`'${text}' is not a decimal number`);
  return parts.fraction.length;
}

/** Number of integer digits a value has (leading zeros do not count). */
export function integerDigits(text: string): number {
  const parts = parseDecimalParts(text.trim());
  if (!parts) throw new RangeError(`'${text}' is not a decimal number`);
  return parts.integer.length;
}

/** Compares two decimal strings exactly: negative when a < b, 0 when equal, positive when a > b. */
export function compareDecimal(a: string, b: string): number {
  const left = decimalPartsOf(a);
  return compareDecimalParts(left, decimalPartsOf(b));
}

/**
 * Compares two parsed decimals exactly (-1, 0 or 1). Parts are canonical (no leading zeros in the
 * integer, no trailing zeros in the fraction, zero never negative), so comparing digit strings by
 * length, then text, is exact: no float, and no BigInt to allocate.
 */
export function compareDecimalParts(a: DecimalParts, b: DecimalParts): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  const magnitude = compareMagnitude(a, b);
  return a.negative && magnitude !== 0 ? -magnitude : magnitude;
}

function compareMagnitude(a: DecimalParts, b: DecimalParts): number {
  if (a.integer.length !== b.integer.length) return a.integer.length < b.integer.length ? -1 : 1;
  if (a.integer !== b.integer) return a.integer < b.integer ? -1 : 1;
  // Without trailing zeros, text order is numeric order: "5" < "51" as 0.5 < 0.51.
  if (a.fraction !== b.fraction) return a.fraction < b.fraction ? -1 : 1;
  return 0;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

function formatParts(parts: DecimalParts, scale: number): string {
  const sign = parts.negative ? '-' : '';
  const integer = parts.integer || '0';
  return scale === 0 ? `${sign}${integer}` : `${sign}${integer}.${parts.fraction.padEnd(scale, '0')}`;
}
