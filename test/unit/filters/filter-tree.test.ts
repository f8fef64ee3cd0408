import { ValidationError } from '../../../layers/core/errors';
import { FILTER_LIMITS, parseFilterTree, type FilterLimits, type FilterNode } from '../../../layers/core/filters';
import { erpRegistry, products } from '../../../layers/erp';

function parse(json: unknown, limits?: Partial<FilterLimits>): FilterNode {
  return parseFilterTree(json, products, erpRegistry, limits).root;
}

function errorOf(json: unknown, limits?: Partial<FilterLimits>): ValidationError {
  try {
    parse(json, limits);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const cond = (field: string, op: string, value: unknown) => ({ field, op, value });

describe('parseFilterTree', () => {
  describe('values', () => {
    it.each([
      [cond('price', 'eq', '10.1'), 'eq', '10.10'],
      [cond('price', 'gt', 10.5), 'gt', '10.50'],
      [cond('price', 'lt', '10.105'), 'lt', '10.105'],
      [cond('quantity', 'gte', '5'), 'gte', 5],
      [cond('active', 'eq', 'yes'), 'eq', true],
      [cond('status', 'eq', 'ACTIVE'), 'eq', 'active'],
      [cond('released_on', 'lt', '2024-02-29'), 'lt', '2024-02-29'],
      [cond('sku', 'eq', ' SKU-1 '), 'eq', 'SKU-1'],
      [cond('category_id', 'eq', 'cat-1'), 'eq', 'cat-1'],
      [cond('price', 'between', ['1', 2]), 'between', ['1.00', '2.00']],
      [cond('status', 'in', ['draft', null]), 'in', ['draft', null]],
      [cond('supplier', 'eq', null), 'isnull', true],
      [cond('supplier', 'ne', null), 'isnull', false],
      [cond('tags', 'contains', 't-1'), 'any', ['t-1']],
      [cond('name', 'icontains', 'HAM'), 'icontains', 'HAM'],
    ])('%j parses to %s %j', (json, op, value) => {
      expect(parse(json)).toMatchObject({ kind: 'condition', op, value });
    });

    it('names a foreign key by its own name whichever way it was asked for', () => {
      expect(parse(cond('category_id', 'eq', 'c'))).toMatchObject({ field: 'category', type: 'foreign_key' });
      expect(parse(cond('category', 'eq', 'c'))).toMatchObject({ field: 'category', type: 'foreign_key' });
      expect(parse(cond('id', 'eq', 'p'))).toMatchObject({ field: 'id', type: 'string' });
    });
  });

  describe('structure', () => {
    it('reads arrays as and, and nests and/or/not', () => {
      const root = parse([cond('sku', 'eq', 'a'), { or: [{ not: cond('quantity', 'lt', 1) }, { and: [] }] }]);

      expect(root).toEqual({
        kind: 'and',
        children: [
          { kind: 'condition', field: 'sku', type: 'string', op: 'eq', value: 'a' },
          { kind: 'or', children: [{ kind: 'not', child: { kind: 'condition', field: 'quantity', type: 'integer', op: 'lt', value: 1 } }, { kind: 'and', children: [] }] },
        ],
      });
    });

    it('turns a foreign-key path into a relation condition over the related model', () => {
      expect(parse(cond('category.code', 'in', ['TOOLS', 'PAINT']))).toEqual({
        kind: 'related', relation: 'category', many: false, target: erpRegistry.require('categories'), quantifier: 'any',
        tests: [{ kind: 'condition', field: 'code', type: 'string', op: 'in', value: ['TOOLS', 'PAINT'] }],
      });
    });

    it('nests two hops, innermost last', () => {
      const root = parse(cond('category.parent.code', 'eq', 'ROOT'));

      expect(root).toMatchObject({ kind: 'related', relation: 'category', tests: [{ kind: 'related', relation: 'parent', tests: [{ field: 'code', op: 'eq', value: 'ROOT' }] }] });
    });

    it('quantifies many-to-many paths: all gives one test per value, any/none one list', () => {
      expect(parse(cond('tags.name', 'all', ['red', 'blue']))).toMatchObject({
        kind: 'related', relation: 'tags', many: true, quantifier: 'all',
        tests: [{ field: 'name', op: 'eq', value: 'red' }, { field: 'name', op: 'eq', value: 'blue' }],
      });
      expect(parse(cond('tags.name', 'none', ['red']))).toMatchObject({ quantifier: 'none', tests: [{ field: 'name', op: 'in', value: ['red'] }] });
      expect(parse(cond('tags.name', 'istartswith', 'r'))).toMatchObject({ quantifier: 'any', tests: [{ field: 'name', op: 'istartswith', value: 'r' }] });
    });
  });

  describe('errors name the path from the root', () => {
    it.each([
      // fields
      [cond('nope', 'eq', 1), 'filters.field', "unknown field 'nope'"],
      [cond('cost_price', 'eq', 1), 'filters.field', "field 'cost_price' cannot be filtered on"],
      [cond('supplier.bank_account', 'eq', 'x'), 'filters.field', "field 'supplier.bank_account' cannot be filtered on"],
      [cond('category.nope', 'eq', 'x'), 'filters.field', "unknown field 'category.nope' (categories has no field 'nope')"],
      [cond('sku.name', 'eq', 'x'), 'filters.field', "'sku' is not a relation, so 'sku.name' cannot be followed"],
      [cond('category.parent.parent.code', 'eq', 'x'), 'filters.field', "'category.parent.parent.code' follows more than 2 relations"],
      [cond('category_id.code', 'eq', 'x'), 'filters.field', "'category_id' is not a relation, so 'category_id.code' cannot be followed"],
      [{ field: 5, op: 'eq', value: 1 }, 'filters.field', 'expected a field name (a string)'],
      // operators
      [cond('sku', 'like', 'x'), 'filters.op', "unknown operator 'like' (use one of eq, ne, lt, lte, gt, gte, between, in, not_in, contains, icontains, startswith, istartswith, endswith, isnull, any, all, none)"],
      [cond('active', 'lt', true), 'filters.op', "operator 'lt' does not apply to boolean field 'active'"],
      [cond('quantity', 'contains', '1'), 'filters.op', "operator 'contains' does not apply to integer field 'quantity'"],
      [cond('tags', 'eq', 't1'), 'filters.op', "operator 'eq' does not apply to many_to_many field 'tags'"],
      [cond('category.code', 'any', ['x']), 'filters.op', "operator 'any' does not apply to string field 'category.code' (only for many-to-many fields and paths through one)"],
      // values
      [{ and: [cond('sku', 'eq', 'a'), { or: [cond('released_on', 'gte', 'soon')] }] }, 'filters.and[1].or[0].value', 'expected a date (YYYY-MM-DD)'],
      [cond('released_on', 'eq', 20240101), 'filters.value', 'expected a date (YYYY-MM-DD)'],
      [cond('released_on', 'gte', '2024-02-30'), 'filters.value', 'expected a date (YYYY-MM-DD)'],
      [cond('quantity', 'eq', 'many'), 'filters.value', 'expected a whole number'],
      [cond('quantity', 'eq', '99999999999999999999'), 'filters.value', "'99999999999999999999' is too large"],
      [cond('price', 'in', ['1', '1,5']), 'filters.value[1]', "expected a decimal number (digits and '.', no thousands separators)"],
      [cond('active', 'eq', 'maybe'), 'filters.value', 'expected a boolean'],
      [cond('status', 'eq', 'gone'), 'filters.value', 'expected one of draft, active, discontinued'],
      [cond('sku', 'eq', { a: 1 }), 'filters.value', 'expected a string'],
      [cond('sku', 'eq', true), 'filters.value', 'expected a string'],
      [cond('quantity', 'lt', null), 'filters.value', "a value is required ('lt' compares with a value; use 'isnull' for blanks)"],
      [{ field: 'sku', op: 'eq' }, 'filters.value', 'a value is required'],
      [cond('sku', 'isnull', 'yes'), 'filters.value', "expected true or false ('isnull' takes a boolean)"],
      [cond('price', 'in', 5), 'filters.value', 'expected an array of values'],
      [cond('price', 'between', ['1']), 'filters.value', "'between' takes [low, high]"],
      [cond('price', 'between', ['1', null]), 'filters.value[1]', "a value is required ('between' compares with a value; use 'isnull' for blanks)"],
      [cond('name', 'contains', ''), 'filters.value', "'contains' takes a non-empty string"],
      [cond('name', 'startswith', 5), 'filters.value', "'startswith' takes a non-empty string"],
      [cond('tags', 'any', ['t1', '']), 'filters.value[1]', 'expected an id (a string)'],
      [cond('tags.name', 'all', ['red', null]), 'filters.value[1]', "a value is required ('all' compares with a value; use 'isnull' for blanks)"],
      // structure
      [[cond('sku', 'eq', 'a'), 'x'], 'filters[1]', 'expected a condition {"field", "op", "value"}, a group {"and"}, {"or"}, {"not"} or an array'],
      [{ and: 'x' }, 'filters.and', 'expected an array of filters'],
      [{ or: [cond('sku', 'eq', 'a')], and: [] }, 'filters', 'Unrecognized key: "or"'],
      [{ ...cond('sku', 'eq', 'a'), extra: 1 }, 'filters', 'Unrecognized key: "extra"'],
      [{ nope: 1 }, 'filters', 'expected a condition {"field", "op", "value"}, a group {"and"}, {"or"}, {"not"} or an array'],
      ['sku', 'filters', 'expected a condition {"field", "op", "value"}, a group {"and"}, {"or"}, {"not"} or an array'],
      [{ not: [cond('sku', 'eq', 1), { not: null }] }, 'filters.not[1].not', 'expected a condition {"field", "op", "value"}, a group {"and"}, {"or"}, {"not"} or an array'],
    ])('%j → %s: %s', (json, path, message) => {
      const error = errorOf(json);

      expect(error.message).toBe(`${path}: ${message}`);
      expect(error.details).toEqual({ path: path.replace(/^filters\.?/, '') });
      expect(error.code).toBe('validation_error');
    });
  });

  describe('bounds', () => {
    const nested = (levels: number): unknown => (levels === 0 ? cond('sku', 'eq', 'a') : { and: [nested(levels - 1)] });

    it(`allows ${FILTER_LIMITS.maxDepth} levels of nesting and refuses one more`, () => {
      expect(() => parse(nested(10))).not.toThrow();

      const error = errorOf(nested(11));

      expect(error.message).toBe(`filters${'.and[0]'.repeat(10)}: filters may nest at most 10 levels deep`);
      expect(error.details).toEqual({ path: Array(10).fill('and[0]').join('.') });
    });

    it('refuses a deeply nested filter without exhausting the stack', () => {
      let deep: unknown = cond('sku', 'eq', 'a');
      for (let i = 0; i < 100_000; i++) deep = { not: deep };

      expect(errorOf(deep).message).toMatch(/nest at most 10 levels/);
    });

    it('counts top-level arrays as a level', () => {
      expect(errorOf([nested(10)]).message).toMatch(/^filters\[0\](\.and\[0\]){9}: filters may nest/);
    });

    it(`allows ${FILTER_LIMITS.maxConditions} conditions and names the first one too many`, () => {
      const many = (n: number) => ({ or: Array.from({ length: n }, (_, i) => cond('sku', 'eq', `s${i}`)) });
      expect(() => parse(many(200))).not.toThrow();

      const error = errorOf(many(201));

      expect(error.message).toBe('filters.or[200]: a filter may hold at most 200 conditions');
      expect(error.details).toEqual({ path: 'or[200]' });
    });

    it(`allows ${FILTER_LIMITS.maxValues} values in a list and refuses more`, () => {
      const values = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
      expect(() => parse(cond('sku', 'in', values(1000)))).not.toThrow();

      expect(errorOf({ and: [cond('sku', 'not_in', values(1001))] }).message).toBe('filters.and[0].value: a list may hold at most 1000 values');
      expect(errorOf(cond('tags', 'any', values(1001))).message).toBe('filters.value: a list may hold at most 1000 values');
    });

    it('takes other limits when asked', () => {
      expect(errorOf([cond('sku', 'eq', 'a'), cond('sku', 'eq', 'b')], { maxConditions: 1 }).message).toBe('filters[1]: a filter may hold at most 1 conditions');
      expect(errorOf({ not: { not: cond('sku', 'eq', 'a') } }, { maxDepth: 1 }).message).toBe('filters.not: filters may nest at most 1 levels deep');
    });
  });
});
