import { ValidationError } from '../../../layers/core/errors';
import { compareRecords, parseOrdering } from '../../../layers/core/filters';
import type { RecordValues, StoredRecord } from '../../../layers/core/model/types';
import { products } from '../../../layers/erp';

function rec(id: string, values: RecordValues): StoredRecord {
  return { id, values, meta: { created_at: '', updated_at: '' } };
}

function errorOf(json: unknown): ValidationError {
  try {
    parseOrdering(json, products);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const records = [
  rec('p-3', { price: '10.10', name: 'b', quantity: 2, released_on: null, active: true }),
  rec('p-1', { price: '9.99', name: 'B', quantity: 10, released_on: '2024-01-01', active: false }),
  rec('p-2', { price: '10.1', name: '\u{1f600}', quantity: null, released_on: '2023-05-01', active: null }),
  rec('p-4', { price: '100.00', name: '\uff5a', quantity: 2, released_on: '2024-01-01', active: true }),
  rec('p-0', { price: null, name: 'a', quantity: 1, released_on: null, active: true }),
];
const order = (json: unknown) => [...records].sort(compareRecords(parseOrdering(json, products))).map((r) => r.id);

describe('parseOrdering', () => {
  it('reads field names with an optional - for descending, with their types', () => {
    expect(parseOrdering(['-price', 'name', 'id'], products)).toEqual([
      { field: 'price', descending: true, type: 'decimal' },
      { field: 'name', descending: false, type: 'string' },
      { field: 'id', descending: false, type: 'string' },
    ]);
    expect(parseOrdering([], products)).toEqual([]);
  });

  it.each([
    ['-price', '', 'expected an array of field names, e.g. ["-price", "name"]'],
    [['name', 5], '[1]', 'expected a field name, optionally prefixed with - for descending'],
    [['-'], '[0]', 'expected a field name, optionally prefixed with - for descending'],
    [['name', 'nope'], '[1]', "unknown field 'nope'"],
    [['cost_price'], '[0]', "field 'cost_price' cannot be ordered by"],
    [['-category'], '[0]', "a foreign_key field cannot be ordered by ('category')"],
    [['category_id'], '[0]', "unknown field 'category_id'"],
    [['tags'], '[0]', "a many_to_many field cannot be ordered by ('tags')"],
    [['name', '-name'], '[1]', "field 'name' is listed twice"],
  ])('%j → ordering%s: %s', (json, at, message) => {
    const error = errorOf(json);

    expect(error.message).toBe(`ordering${at}: ${message}`);
    expect(error.details).toEqual({ path: at });
  });
});

describe('compareRecords', () => {
  it('compares decimals exactly, ties broken by id', () => {
    expect(order(['price'])).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-0']);
  });

  it('puts nulls last ascending and first descending', () => {
    expect(order(['-price'])).toEqual(['p-0', 'p-4', 'p-2', 'p-3', 'p-1']);
    expect(order(['released_on'])).toEqual(['p-2', 'p-1', 'p-4', 'p-0', 'p-3']);
  });

  it('compares integers as numbers and then by the next term', () => {
    expect(order(['quantity', '-released_on'])).toEqual(['p-0', 'p-3', 'p-4', 'p-1', 'p-2']);
  });

  it('compares text by code point (UTF-8 order), case-sensitively', () => {
    expect(order(['name'])).toEqual(['p-1', 'p-0', 'p-3', 'p-4', 'p-2']);
  });

  it('orders booleans false first', () => {
    expect(order(['active'])).toEqual(['p-1', 'p-0', 'p-3', 'p-4', 'p-2']);
  });

  it('orders by id alone when asked for nothing', () => {
    expect(order([])).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
    expect(order(['-id'])).toEqual(['p-4', 'p-3', 'p-2', 'p-1', 'p-0']);
  });

  it('takes field types from the model for terms built by hand', () => {
    const byPrice = compareRecords([{ field: 'price', descending: false }], products);

    expect([...records].sort(byPrice).map((r) => r.id)).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-0']);
  });
});
