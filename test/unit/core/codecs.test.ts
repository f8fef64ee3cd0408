import { formatValue, parseValue } from '../../../layers/core/model/codecs';
import type { FieldDefinition } from '../../../layers/core/model/types';
import { widgets } from '../../fixtures/core/models';

const f = (name: string): FieldDefinition => widgets.fields[name] as FieldDefinition;

describe('parseValue', () => {
  it.each(['', '   ', '\t'])('reads the blank cell %j as null for every type', (raw) => {
    for (const fieldDef of Object.values(widgets.fields)) {
      expect(parseValue(fieldDef, raw)).toEqual({ ok: true, value: null });
    }
  });

  describe('string and text', () => {
    it('trims strings but keeps text as written', () => {
      expect(parseValue(f('title'), '  Łódź ')).toEqual({ ok: true, value: 'Łódź' });
      expect(parseValue(f('notes'), ' a\nb ')).toEqual({ ok: true, value: ' a\nb ' });
    });

    it('counts characters, not UTF-16 units, against maxLength', () => {
      expect(parseValue(f('code'), '😀'.repeat(10))).toEqual({ ok: true, value: '😀'.repeat(10) });
      expect(parseValue(f('code'), 'x'.repeat(11))).toMatchObject({ ok: false, code: 'max_length' });
    });
  });

  describe('integer', () => {
    it('accepts signed digits', () => {
      expect(parseValue(f('count'), '+42')).toEqual({ ok: true, value: 42 });
      expect(parseValue(f('count'), '-0')).toEqual({ ok: true, value: 0 });
    });

    it.each(['4.0', '1e2', '12a', '1 000', '0x10'])('rejects %j', (raw) => {
      expect(parseValue(f('count'), raw)).toMatchObject({ ok: false, code: 'invalid' });
    });

    it('enforces safe range and bounds', () => {
      expect(parseValue({ name: 'n', type: 'integer' }, '9007199254740993')).toMatchObject({ ok: false, code: 'invalid' });
      expect(parseValue(f('count'), '-1')).toMatchObject({ ok: false, code: 'min_value' });
      expect(parseValue(f('count'), '101')).toMatchObject({ ok: false, code: 'max_value' });
    });
  });

  describe('decimal', () => {
    it('returns the canonical string padded to the scale', () => {
      expect(parseValue(f('price'), '12')).toEqual({ ok: true, value: '12.00' });
      expect(parseValue(f('price'), '12.5')).toEqual({ ok: true, value: '12.50' });
      expect(parseValue(f('price'), '0.30')).toEqual({ ok: true, value: '0.30' });
      expect(parseValue(f('price'), '12.500')).toEqual({ ok: true, value: '12.50' });
    });

    it('keeps a negative sign and exactness', () => {
      const signed: FieldDefinition = { name: 'd', type: 'decimal', precision: 30, scale: 20 };
      expect(parseValue(signed, '-0.5')).toEqual({ ok: true, value: '-0.50000000000000000000' });
      expect(parseValue(signed, '0.30000000000000004')).toEqual({ ok: true, value: '0.30000000000000004000' });
    });

    it('rejects too many decimal places instead of rounding', () => {
      const result = parseValue(f('price'), '0.305');
      expect(result).toMatchObject({ ok: false, code: 'invalid' });
      expect(!result.ok && result.message).toMatch(/decimal places/);
    });

    it('rejects more digits than the precision allows', () => {
      // precision 6, scale 2: at most 4 digits before the point.
      expect(parseValue({ ...f('price'), max: undefined }, '12345')).toMatchObject({ ok: false, code: 'invalid' });
      expect(parseValue({ ...f('price'), max: undefined }, '9999.99')).toEqual({ ok: true, value: '9999.99' });
    });

    it.each(['1,234.50', '1.234,5', '12e1', 'NaN', '€5'])('rejects %j', (raw) => {
      expect(parseValue(f('price'), raw)).toMatchObject({ ok: false, code: 'invalid' });
    });

    it('compares bounds exactly', () => {
      expect(parseValue(f('price'), '1000.00')).toEqual({ ok: true, value: '1000.00' });
      expect(parseValue(f('price'), '1000.01')).toMatchObject({ ok: false, code: 'max_value' });
      expect(parseValue(f('price'), '-0.01')).toMatchObject({ ok: false, code: 'min_value' });
    });
  });

  describe('boolean', () => {
    it.each([['true', true], ['YES', true], ['y', true], ['1', true], ['T', true], ['false', false], ['No', false], ['n', false], ['0', false], ['f', false]])(
      'reads %j as %s',
      (raw, expected) => {
        expect(parseValue(f('enabled'), raw)).toEqual({ ok: true, value: expected });
      },
    );

    it('rejects other words', () => {
      expect(parseValue(f('enabled'), 'maybe')).toMatchObject({ ok: false, code: 'invalid' });
    });
  });

  describe('date', () => {
    it('accepts real calendar dates only', () => {
      expect(parseValue(f('day'), '2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
      expect(parseValue(f('day'), '2023-02-29')).toMatchObject({ ok: false, code: 'invalid' });
      expect(parseValue(f('day'), '2024-13-01')).toMatchObject({ ok: false, code: 'invalid' });
      expect(parseValue(f('day'), '31/01/2024')).toMatchObject({ ok: false, code: 'invalid' });
    });
  });

  describe('datetime', () => {
    it('normalises to UTC', () => {
      expect(parseValue(f('at'), '2024-01-31T10:00:00+02:00')).toEqual({ ok: true, value: '2024-01-31T08:00:00.000Z' });
      expect(parseValue(f('at'), '2024-01-31T10:00:00Z')).toEqual({ ok: true, value: '2024-01-31T10:00:00.000Z' });
      expect(parseValue(f('at'), '2024-01-31 10:00')).toEqual({ ok: true, value: '2024-01-31T10:00:00.000Z' });
      expect(parseValue(f('at'), '2024-01-31T23:30:00.123-01:00')).toEqual({ ok: true, value: '2024-02-01T00:30:00.123Z' });
    });

    it('rejects impossible instants', () => {
      expect(parseValue(f('at'), '2024-01-31T25:00:00Z')).toMatchObject({ ok: false, code: 'invalid' });
      expect(parseValue(f('at'), 'yesterday')).toMatchObject({ ok: false, code: 'invalid' });
    });
  });

  describe('choice', () => {
    it('returns the declared spelling', () => {
      expect(parseValue(f('size'), 'M')).toEqual({ ok: true, value: 'M' });
      expect(parseValue(f('size'), 'm')).toEqual({ ok: true, value: 'M' });
      expect(parseValue(f('size'), 'XL')).toMatchObject({ ok: false, code: 'invalid_choice' });
    });
  });

  describe('email', () => {
    it('lower-cases the domain only', () => {
      expect(parseValue(f('email'), ' Jo.Doe@Example.COM ')).toEqual({ ok: true, value: 'Jo.Doe@example.com' });
    });

    it.each(['jo', 'jo@', '@x.com', 'jo@x', 'jo doe@x.com', 'a@b@c.com'])('rejects %j', (raw) => {
      expect(parseValue(f('email'), raw)).toMatchObject({ ok: false, code: 'invalid_email' });
    });
  });

  describe('relations and json', () => {
    it('reads ids', () => {
      expect(parseValue(f('owner'), ' own-1 ')).toEqual({ ok: true, value: 'own-1' });
      expect(parseValue(f('labels'), 'a| b ||a')).toEqual({ ok: true, value: ['a', 'b'] });
    });

    it('parses json', () => {
      expect(parseValue(f('extra'), '{"a":[1,2]}')).toEqual({ ok: true, value: { a: [1, 2] } });
      expect(parseValue(f('extra'), '{a:1}')).toMatchObject({ ok: false, code: 'invalid_json' });
    });
  });

  it('skips bounds when lenient', () => {
    expect(parseValue(f('count'), '-5', { lenient: true })).toEqual({ ok: true, value: -5 });
    expect(parseValue(f('price'), '0.125', { lenient: true })).toEqual({ ok: true, value: '0.125' });
  });
});

describe('formatValue', () => {
  it('turns canonical values into cells', () => {
    expect(formatValue(f('title'), null)).toBe('');
    expect(formatValue(f('enabled'), true)).toBe('true');
    expect(formatValue(f('enabled'), false)).toBe('false');
    expect(formatValue(f('count'), 0)).toBe('0');
    expect(formatValue(f('price'), '12.50')).toBe('12.50');
    expect(formatValue(f('labels'), ['a', 'b'])).toBe('a|b');
    expect(formatValue(f('extra'), { a: 1 })).toBe('{"a":1}');
  });

  it('round-trips through parseValue', () => {
    const values: Array<[string, unknown]> = [['price', '12.50'], ['at', '2024-01-31T08:00:00.000Z'], ['labels', ['a', 'b']], ['extra', [1, { b: null }]], ['enabled', false]];
    for (const [name, value] of values) {
      const cell = formatValue(f(name), value as never);
      expect(parseValue(f(name), cell)).toEqual({ ok: true, value });
    }
  });
});
