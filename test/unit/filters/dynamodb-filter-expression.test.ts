import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { toFilterExpression } from '../../../layers/aws/dynamodb-record-store';
import type { StoreFilter } from '../../../layers/core/ports';
import { products } from '../../../layers/erp';

describe('toFilterExpression (DynamoDB)', () => {
  it.each<[StoreFilter, string]>([
    [{ field: 'sku', op: 'eq', value: 'A' }, '#f0 = :f0'],
    [{ field: 'sku', op: 'ne', value: 'A' }, 'attribute_not_exists(#f0) OR #f0 <> :f0'],
    [{ field: 'quantity', op: 'lte', value: 3 }, '#f0 <= :f0'],
    [{ field: 'quantity', op: 'between', value: [1, 3] }, '#f0 >= :f0 AND #f0 <= :f1'],
    [{ field: 'status', op: 'in', value: ['a', 'b'] }, '#f0 IN (:f0, :f1)'],
    [{ field: 'name', op: 'contains', value: 'x' }, 'contains(#f0, :f0)'],
    [{ field: 'name', op: 'startswith', value: 'x' }, 'begins_with(#f0, :f0)'],
    [{ field: 'supplier', op: 'isnull', value: true }, 'attribute_not_exists(#f0)'],
    [{ field: 'supplier', op: 'isnull', value: false }, 'attribute_exists(#f0)'],
    [{ and: [] }, 'attribute_exists(#f0)'],
    [{ or: [] }, 'attribute_not_exists(#f0)'],
    [{ and: [{ and: [{ field: 'sku', op: 'eq', value: 'A' }] }] }, '#f0 = :f0'],
    [{ not: { field: 'sku', op: 'eq', value: 'A' } }, 'NOT #f0 = :f0'],
    [{ not: { field: 'sku', op: 'ne', value: 'A' } }, 'NOT (attribute_not_exists(#f0) OR #f0 <> :f0)'],
    [
      { or: [{ and: [{ field: 'sku', op: 'eq', value: 'A' }, { not: { field: 'quantity', op: 'gt', value: 1 } }] }, { field: 'sku', op: 'ne', value: 'B' }] },
      '(#f0 = :f0 AND (NOT #f1 > :f1)) OR (attribute_not_exists(#f0) OR #f0 <> :f2)',
    ],
  ])('%j → %s', (filter, expression) => {
    expect(toFilterExpression(products, filter).expression).toBe(expression);
  });

  it('names every attribute by placeholder (field names may be reserved words) and sends decimals as numbers', () => {
    const result = toFilterExpression(products, { and: [{ field: 'name', op: 'eq', value: 'x' }, { field: 'price', op: 'gt', value: '10.10' }, { field: 'name', op: 'lt', value: 'y' }] });

    expect(result.names).toEqual({ '#f0': 'name', '#f1': 'price' });
    expect(result.values[':f0']).toBe('x');
    expect(result.values[':f1']).toEqual(NumberValue.from('10.10'));
    expect(result.values[':f2']).toBe('y');
  });

  it('refuses a field that is not a scalar field of the model', () => {
    expect(() => toFilterExpression(products, { field: 'tags', op: 'eq', value: 'x' })).toThrow("store filter on products: 'tags' is not a scalar field");
    expect(() => toFilterExpression(products, { field: 'nope', op: 'eq', value: 'x' })).toThrow(/'nope' is not a scalar field/);
  });

  it('refuses an expression longer than DynamoDB takes', () => {
    const huge: StoreFilter = { or: Array.from({ length: 200 }, (_, i) => ({ field: 'sku', op: 'ne', value: `s${i}` })) };

    expect(() => toFilterExpression(products, huge)).toThrow(/too long for DynamoDB/);
  });
});
