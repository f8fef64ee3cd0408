import { compareDecimal, normalizeDecimal, parseDecimalParts } from '../../../layers/core/util/decimal';

describe('decimal', () => {
  it('compares exactly where floats do not', () => {
    // Arrange: 0.1 + 0.2 is 0.30000000000000004 in floating point.
    const floatSum = String(0.1 + 0.2);

    // Act / Assert
    expect(compareDecimal('0.3', '0.30')).toBe(0);
    expect(compareDecimal(floatSum, '0.3')).toBe(1);
    expect(compareDecimal('-0.5', '0')).toBe(-1);
    expect(compareDecimal('99999999999999999999.99', '99999999999999999999.98')).toBe(1);
    expect(compareDecimal('-0', '0.00')).toBe(0);
  });

  it('normalizes to the scale without rounding', () => {
    expect(normalizeDecimal('12.5', 2)).toBe('12.50');
    expect(normalizeDecimal('+007', 2)).toBe('7.00');
    expect(normalizeDecimal('.5', 1)).toBe('0.5');
    expect(normalizeDecimal('-0.00', 2)).toBe('0.00');
    expect(normalizeDecimal('3', 0)).toBe('3');
    expect(() => normalizeDecimal('1.005', 2)).toThrow(RangeError);
    expect(() => normalizeDecimal('1e3', 2)).toThrow(RangeError);
  });

  it('rejects what is not a plain decimal', () => {
    for (const text of ['', '.', '-', '1,000.00', '1.2.3', 'abc', '1e5', ' 1 2']) {
      expect(parseDecimalParts(text)).toBeUndefined();
    }
  });
});
