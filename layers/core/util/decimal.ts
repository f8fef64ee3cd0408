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

const DECIMAL_PATTERN = /^([+-])?(\d*)(?:\.(\d*))?$/;

/** Splits a plain decimal string (`-12.50`, `.5`, `+3`); returns undefined when it is not one. */
export function parseDecimalParts(text: string): DecimalParts | undefined {
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) return undefined;
  const [, sign, intDigits = '', fracDigits] = match;
  // "." alone or "-" alone carry no digit at all.
  if (intDigits === '' && (fracDigits === undefined || fracDigits === '')) return undefined;
  const integer = intDigits.replace(/^0+/, '');
  const fraction = (fracDigits ?? '').replace(/0+$/, '');
  // Negative zero is just zero, so comparisons and canonical output never show "-0.00".
  const negative = sign === '-' && (integer !== '' || fraction !== '');
  return { negative, integer, fraction };
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
  const left = parseDecimalParts(a.trim());
  const right = parseDecimalParts(b.trim());
  if (!left) throw new RangeError(`'${a}' is not a decimal number`);
  if (!right) throw new RangeError(`'${b}' is not a decimal number`);
  const scale = Math.max(left.fraction.length, right.fraction.length);
  const diff = toScaledBigInt(left, scale) - toScaledBigInt(right, scale);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

function toScaledBigInt(parts: DecimalParts, scale: number): bigint {
  const digits = (parts.integer || '0') + parts.fraction.padEnd(scale, '0');
  const magnitude = BigInt(digits);
  return parts.negative ? -magnitude : magnitude;
}

function formatParts(parts: DecimalParts, scale: number): string {
  const sign = parts.negative ? '-' : '';
  const integer = parts.integer || '0';
  return scale === 0 ? `${sign}${integer}` : `${sign}${integer}.${parts.fraction.padEnd(scale, '0')}`;
}
