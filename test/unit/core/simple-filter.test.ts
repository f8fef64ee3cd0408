import { ValidationError } from '../../../layers/core/errors';
import { matchesFilter, parseFilter } from '../../../layers/core/filters/simple-filter';
import { products } from '../../../layers/erp/models';
import { stored } from '../../fixtures/core/models';

const hammer = stored('prod-1', {
  sku: 'SKU-1', name: 'Hammer', price: '10.10', quantity: 5, active: true, status: 'active',
  category: 'cat-1', supplier: null, tags: ['t1', 't2'], released_on: '2020-05-01', weight_kg: '1.500',
});

function matches(json: unknown): boolean {
  return matchesFilter(parseFilter(json, products), hammer);
}

function errorOf(json: unknown): ValidationError {
  try {
    parseFilter(json, products);
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseFilter / matchesFilter', () => {
  it.each([
    [{ field: 'sku', op: 'eq', value: 'SKU-1' }, true],
    [{ field: 'sku', op: 'ne', value: 'SKU-1' }, false],
    [{ field: 'id', op: 'eq', value: 'prod-1' }, true],
    [{ field: 'price', op: 'eq', value: '10.1' }, true],
    [{ field: 'price', op: 'gt', value: 10.09 }, true],
    [{ field: 'price', op: 'lte', value: '10.10' }, true],
    [{ field: 'price', op: 'lt', value: '10.10' }, false],
    [{ field: 'quantity', op: 'gte', value: 5 }, true],
    [{ field: 'quantity', op: 'gt', value: '5' }, false],
    [{ field: 'quantity', op: 'lt', value: 10 }, true],
    [{ field: 'released_on', op: 'lt', value: '2021-01-01' }, true],
    [{ field: 'active', op: 'eq', value: 'yes' }, true],
    [{ field: 'status', op: 'in', value: ['draft', 'ACTIVE'] }, true],
    [{ field: 'status', op: 'in', value: [] }, false],
    [{ field: 'name', op: 'contains', value: 'amm' }, true],
    [{ field: 'name', op: 'contains', value: 'AMM' }, false],
    [{ field: 'tags', op: 'contains', value: 't2' }, true],
    [{ field: 'category_id', op: 'eq', value: 'cat-1' }, true],
    [{ field: 'category', op: 'eq', value: 'cat-2' }, false],
    [{ field: 'supplier', op: 'eq', value: null }, true],
    [{ field: 'supplier', op: 'ne', value: 'sup-1' }, true],
    [{ field: 'supplier', op: 'lt', value: 'zzz' }, false],
    [{ field: 'description', op: 'gt', value: 'a' }, false],
  ])('%j → %s', (json, expected) => {
    expect(matches(json)).toBe(expected);
  });

  it('combines arrays and nested and', () => {
    expect(matches([{ field: 'quantity', op: 'gt', value: 1 }, { and: [{ field: 'active', op: 'eq', value: true }, { field: 'sku', op: 'eq', value: 'SKU-1' }] }])).toBe(true);
    expect(matches({ and: [{ field: 'quantity', op: 'gt', value: 1 }, { field: 'active', op: 'eq', value: false }] })).toBe(false);
    expect(matches({ and: [] })).toBe(true);
  });

  it.each([
    [{ field: 'nope', op: 'eq', value: 1 }, 'filters.field', /unknown field 'nope'/],
    [{ field: 'cost_price', op: 'eq', value: 1 }, 'filters.field', /cannot be filtered/],
    [{ field: 'sku', op: 'like', value: 'x' }, 'filters.op', /./],
    [{ and: [{ field: 'sku', op: 'eq', value: 'a' }, { field: 'quantity', op: 'eq', value: 'many' }] }, 'filters.and[1].value', /not a whole number/],
    [[{ field: 'price', op: 'in', value: 5 }], 'filters[0].value', /array/],
    [{ field: 'price', op: 'in', value: ['1', 'x'] }, 'filters.value[1]', /decimal/],
    [{ field: 'released_on', op: 'gte', value: '2024-02-30' }, 'filters.value', /date/],
    [{ field: 'quantity', op: 'lt', value: null }, 'filters.value', /required/],
    [{ field: 'status', op: 'eq', value: 'gone' }, 'filters.value', /not one of/],
    [{ field: 'quantity', op: 'contains', value: '1' }, 'filters.op', /does not apply/],
    [{ field: 'tags', op: 'eq', value: 't1' }, 'filters.op', /does not apply/],
    [{ field: 'sku', op: 'eq', value: { a: 1 } }, 'filters.value', /string, number or boolean/],
    [{ field: 'sku', op: 'eq', value: 'a', extra: 1 }, 'filters', /extra/],
    [{ and: 'x' }, 'filters.and', /./],
    ['sku', 'filters', /./],
  ])('rejects %j at %s', (json, path, message) => {
    const error = errorOf(json);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.details).toEqual({ path });
  });

  it('accepts values outside field bounds', () => {
    expect(matches({ field: 'quantity', op: 'gt', value: -5 })).toBe(true);
    expect(matches({ field: 'price', op: 'lt', value: '10.105' })).toBe(true);
  });
});
