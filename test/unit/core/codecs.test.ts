import { columnTypeOf, formatCell, formatValue, parseValue, sameFieldValue } from '../../../layers/core/model/codecs';
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

describe('Excel serial dates', () => {
  const xlsx = { sourceFormat: 'xlsx' } as const;

  it.each([
    ['1', '1900-01-01'],
    ['59', '1900-02-28'],
    ['61', '1900-03-01'],
    ['45292', '2024-01-01'],
    ['45292.75', '2024-01-01'],
    ['2958465', '9999-12-31'],
  ])('reads serial %s as %s from xlsx', (serial, date) => {
    expect(parseValue(f('day'), serial, xlsx)).toEqual({ ok: true, value: date });
  });

  it.each(['0', '0.5', '60', '60.5', '2958466', '-1', '1e5'])('rejects serial %s', (serial) => {
    expect(parseValue(f('day'), serial, xlsx)).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('reads the fraction of a serial as the time of day (UTC) in a date-time column', () => {
    expect(parseValue(f('at'), '45292.5', xlsx)).toEqual({ ok: true, value: '2024-01-01T12:00:00.000Z' });
    expect(parseValue(f('at'), '45292', xlsx)).toEqual({ ok: true, value: '2024-01-01T00:00:00.000Z' });
    expect(parseValue(f('at'), '61.25', xlsx)).toEqual({ ok: true, value: '1900-03-01T06:00:00.000Z' });
    expect(parseValue(f('at'), '60.25', xlsx)).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('accepts serials only from xlsx files', () => {
    expect(parseValue(f('day'), '45292')).toMatchObject({ ok: false, code: 'invalid' });
    expect(parseValue(f('day'), '45292', { sourceFormat: 'csv' })).toMatchObject({ ok: false, code: 'invalid' });
    expect(parseValue(f('at'), '45292.5', { sourceFormat: 'csv' })).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('still reads ISO text from xlsx', () => {
    expect(parseValue(f('day'), '2024-02-29', xlsx)).toEqual({ ok: true, value: '2024-02-29' });
    expect(parseValue(f('at'), '2024-01-31T10:00:00+02:00', xlsx)).toEqual({ ok: true, value: '2024-01-31T08:00:00.000Z' });
  });
});

describe('formatCell', () => {
  it('turns canonical values into typed cells', () => {
    expect(formatCell(f('title'), null)).toBeNull();
    expect(formatCell(f('title'), undefined)).toBeNull();
    expect(formatCell(f('count'), 0)).toBe(0);
    expect(formatCell(f('enabled'), false)).toBe(false);
    expect(formatCell(f('price'), '12.50')).toBe('12.50');
    expect(formatCell(f('day'), '2024-02-29')).toBe('2024-02-29');
    expect(formatCell(f('at'), '2024-01-31T08:00:00.000Z')).toBe('2024-01-31T08:00:00.000Z');
    expect(formatCell(f('labels'), ['a', 'b'])).toBe('a|b');
    expect(formatCell(f('extra'), { a: 1 })).toBe('{"a":1}');
  });

  it('types columns after their fields', () => {
    expect(['count', 'price', 'enabled', 'day', 'at', 'title', 'size', 'owner', 'labels', 'extra'].map((name) => columnTypeOf(f(name)))).toEqual([
      'integer', 'decimal', 'boolean', 'date', 'datetime', 'string', 'string', 'string', 'string', 'string',
    ]);
  });
});

describe('sameFieldValue', () => {
  it('compares many-to-many as sets, an empty list equal to no value', () => {
    expect(sameFieldValue(f('labels'), ['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameFieldValue(f('labels'), [], null)).toBe(true);
    expect(sameFieldValue(f('labels'), ['a'], ['a', 'b'])).toBe(false);
  });

  it('compares JSON by content and the rest exactly, undefined as null', () => {
    expect(sameFieldValue(f('extra'), { a: 1, b: [1] }, { b: [1], a: 1 })).toBe(true);
    expect(sameFieldValue(f('extra'), { a: 1 }, { a: 2 })).toBe(false);
    expect(sameFieldValue(f('title'), undefined, null)).toBe(true);
    expect(sameFieldValue(f('price'), '1.00', '1.00')).toBe(true);
    expect(sameFieldValue(f('count'), 0, null)).toBe(false);
  });
});
