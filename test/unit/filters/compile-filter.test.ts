import { compileFilter, parseFilterTree, type CompiledFilter } from '../../../layers/core/filters';
import type { ModelDefinition, RecordValues, StoredRecord } from '../../../layers/core/model/types';
import { categories, erpRegistry, products, suppliers, tags } from '../../../layers/erp';
import { fixtureRegistry, widgets } from '../../fixtures/core/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';

const ORG = 'acme';

function rec(model: ModelDefinition, id: string, values: RecordValues): StoredRecord {
  const full = Object.fromEntries(Object.values(model.fields).map((f) => [f.name, values[f.name] ?? (f.type === 'many_to_many' ? [] : null)]));
  return { id, values: full, meta: { created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z' } };
}

const categoryRecords = [
  rec(categories, 'c-root', { code: 'ROOT', name: 'All' }),
  rec(categories, 'c-tools', { code: 'TOOLS', name: 'Tools', parent: 'c-root' }),
  rec(categories, 'c-paint', { code: 'PAINT', name: 'Paint', parent: 'c-root' }),
  rec(categories, 'c-garden', { code: 'GARDEN', name: 'Garden' }),
];
const supplierRecords = [
  rec(suppliers, 's-good', { name: 'Good Co', rating: 5, bank_account: 'DE00' }),
  rec(suppliers, 's-ok', { name: 'Ok Ltd', rating: 3 }),
  rec(suppliers, 's-new', { name: 'New GmbH' }),
];
const tagRecords = [rec(tags, 't-red', { name: 'red' }), rec(tags, 't-blue', { name: 'blue' }), rec(tags, 't-eco', { name: 'eco' })];
const productRecords = [
  rec(products, 'p-1', { sku: 'HAM-1', name: 'Hammer', description: 'Steel head', price: '10.10', quantity: 5, active: true, status: 'active', category: 'c-tools', supplier: 's-good', tags: ['t-red', 't-eco'], released_on: '2024-01-15', weight_kg: '1.500' }),
  rec(products, 'p-2', { sku: 'DRL-2', name: 'hammer drill', price: '99.00', quantity: 0, active: false, status: 'draft', category: 'c-tools', supplier: 's-ok', tags: ['t-blue'] }),
  rec(products, 'p-3', { sku: 'PNT-3', name: 'Ångström paint', price: '7.5', active: true, status: 'discontinued', category: 'c-paint', tags: ['t-red', 't-blue'], released_on: '2023-12-31' }),
  rec(products, 'p-4', { sku: 'SHV-4', name: 'Shovel', price: '25.00', quantity: 2, status: 'active', category: 'c-garden', supplier: 's-new', released_on: '2024-02-29' }),
  rec(products, 'p-5', { sku: 'MUG-5', name: '\u{1f600} mug', price: '3.00', quantity: 9, category: 'c-gone', supplier: 's-gone' }),
];

let store: InMemoryRecordStore;
beforeEach(() => {
  store = new InMemoryRecordStore();
  store.seed(ORG, categories, categoryRecords);
  store.seed(ORG, suppliers, supplierRecords);
  store.seed(ORG, tags, tagRecords);
  store.seed(ORG, products, productRecords);
});

async function compile(json: unknown): Promise<CompiledFilter> {
  return compileFilter(parseFilterTree(json, products, erpRegistry), { org: ORG, store, registry: erpRegistry });
}

async function selected(json: unknown): Promise<string[]> {
  const compiled = await compile(json);
  return productRecords.filter((r) => compiled.matches(r)).map((r) => r.id);
}

const cond = (field: string, op: string, value: unknown) => ({ field, op, value });

describe('compileFilter', () => {
  describe('operators (in memory)', () => {
    it.each([
      [cond('sku', 'eq', 'HAM-1'), ['p-1']],
      [cond('id', 'eq', 'p-2'), ['p-2']],
      [cond('price', 'eq', '7.50'), ['p-3']],
      [cond('price', 'eq', 3), ['p-5']],
      [cond('supplier', 'ne', 's-good'), ['p-2', 'p-3', 'p-4', 'p-5']],
      [cond('active', 'ne', true), ['p-2', 'p-4', 'p-5']],
      [cond('quantity', 'lt', 2), ['p-2']],
      [cond('quantity', 'lte', 2), ['p-2', 'p-4']],
      [cond('price', 'gt', '10.1'), ['p-2', 'p-4']],
      [cond('price', 'gte', '10.10'), ['p-1', 'p-2', 'p-4']],
      [cond('released_on', 'lt', '2024-01-31'), ['p-1', 'p-3']],
      [cond('price', 'between', ['7.5', '25']), ['p-1', 'p-3', 'p-4']],
      [cond('price', 'between', ['25', '7.5']), []],
      [cond('status', 'in', ['draft', 'DISCONTINUED']), ['p-2', 'p-3']],
      [cond('status', 'in', []), []],
      [cond('status', 'in', ['active', null]), ['p-1', 'p-4', 'p-5']],
      [cond('supplier', 'not_in', ['s-good', 's-ok']), ['p-3', 'p-4', 'p-5']],
      [cond('supplier', 'not_in', ['s-good', null]), ['p-2', 'p-4', 'p-5']],
      [cond('name', 'contains', 'ammer'), ['p-1', 'p-2']],
      [cond('name', 'contains', 'HAMMER'), []],
      [cond('name', 'icontains', 'HAMMER'), ['p-1', 'p-2']],
      [cond('name', 'icontains', 'ÅNGSTRÖM'), ['p-3']],
      [cond('sku', 'startswith', 'HAM'), ['p-1']],
      [cond('sku', 'startswith', 'ham'), []],
      [cond('name', 'istartswith', 'h'), ['p-1', 'p-2']],
      [cond('name', 'endswith', 'mug'), ['p-5']],
      [cond('released_on', 'isnull', true), ['p-2', 'p-5']],
      [cond('released_on', 'isnull', false), ['p-1', 'p-3', 'p-4']],
      [cond('supplier', 'eq', null), ['p-3']],
      [cond('tags', 'any', ['t-eco', 't-blue']), ['p-1', 'p-2', 'p-3']],
      [cond('tags', 'all', ['t-red', 't-blue']), ['p-3']],
      [cond('tags', 'all', []), ['p-1', 'p-2', 'p-3', 'p-4', 'p-5']],
      [cond('tags', 'none', ['t-red']), ['p-2', 'p-4', 'p-5']],
      [cond('tags', 'contains', 't-blue'), ['p-2', 'p-3']],
      [cond('tags', 'isnull', true), ['p-4', 'p-5']],
      [cond('name', 'lt', '\u{1f600}'), ['p-1', 'p-2', 'p-3', 'p-4']],
      [{ not: cond('released_on', 'lt', '2024-01-31') }, ['p-2', 'p-4', 'p-5']],
      [{ or: [cond('sku', 'eq', 'HAM-1'), cond('quantity', 'gt', 8)] }, ['p-1', 'p-5']],
      [{ and: [cond('active', 'eq', true), cond('quantity', 'isnull', false)] }, ['p-1']],
      [[cond('active', 'eq', true), { not: cond('tags', 'any', ['t-eco']) }], ['p-3']],
      [{ or: [] }, []],
      [{ and: [] }, ['p-1', 'p-2', 'p-3', 'p-4', 'p-5']],
    ])('%j selects %j', async (json, expected) => {
      expect(await selected(json)).toEqual(expected);
    });
  });

  describe('traversal', () => {
    it('resolves a foreign-key path with one scan of the related model and filters by id', async () => {
      store.resetCalls();

      const compiled = await compile(cond('category.code', 'in', ['TOOLS', 'PAINT']));

      expect(store.calls).toEqual({ getByIds: 0, findByUnique: 0, write: 0, scan: 1 });
      expect(compiled.storeFilter).toEqual({ field: 'category', op: 'in', value: ['c-paint', 'c-tools'] });
      expect(productRecords.filter((r) => compiled.matches(r)).map((r) => r.id)).toEqual(['p-1', 'p-2', 'p-3']);
    });

    it('asks the store to filter the related model too', async () => {
      const scans: unknown[] = [];
      const scan = store.scan.bind(store);
      store.scan = (org, model, options) => {
        scans.push({ model: model.plural, filter: options.filter });
        return scan(org, model, options);
      };

      await compile(cond('supplier.rating', 'gte', 4));

      expect(scans).toEqual([{ model: 'suppliers', filter: { field: 'rating', op: 'gte', value: 4 } }]);
    });

    it.each([
      [cond('supplier.rating', 'gte', 4), ['p-1'], 1],
      [cond('supplier.rating', 'isnull', true), ['p-4'], 1],
      [cond('supplier.name', 'ne', 'Good Co'), ['p-2', 'p-4'], 1],
      [{ not: cond('supplier.name', 'eq', 'Good Co') }, ['p-2', 'p-3', 'p-4', 'p-5'], 1],
      [cond('category.parent.code', 'eq', 'ROOT'), ['p-1', 'p-2', 'p-3'], 2],
      [cond('category.parent', 'isnull', true), ['p-4'], 1],
      [cond('category.parent_id', 'eq', 'c-root'), ['p-1', 'p-2', 'p-3'], 1],
      [cond('tags.name', 'eq', 'red'), ['p-1', 'p-3'], 1],
      [cond('tags.name', 'istartswith', 'B'), ['p-2', 'p-3'], 1],
      [cond('tags.name', 'any', ['eco', 'blue']), ['p-1', 'p-2', 'p-3'], 1],
      [cond('tags.name', 'all', ['red', 'blue']), ['p-3'], 1],
      [cond('tags.name', 'all', ['red', 'nope']), [], 1],
      [cond('tags.name', 'all', []), ['p-1', 'p-2', 'p-3', 'p-4', 'p-5'], 1],
      [cond('tags.name', 'none', ['red']), ['p-2', 'p-4', 'p-5'], 1],
      [cond('tags.id', 'in', ['t-eco']), ['p-1'], 1],
      [{ and: [cond('category.code', 'eq', 'TOOLS'), cond('supplier.rating', 'lt', 5)] }, ['p-2'], 2],
    ])('%j selects %j with %i scan(s)', async (json, expected, scans) => {
      store.resetCalls();

      expect(await selected(json)).toEqual(expected);
      expect(store.calls).toEqual({ getByIds: 0, findByUnique: 0, write: 0, scan: scans });
    });

    it('finds no record for a dangling foreign key', async () => {
      expect(await selected(cond('category.code', 'ne', 'NOPE'))).toEqual(['p-1', 'p-2', 'p-3', 'p-4']);
    });

    it('turns a traversal that matches nothing into a store filter that selects nothing', async () => {
      const compiled = await compile(cond('category.code', 'eq', 'NOPE'));

      expect(compiled.storeFilter).toEqual({ field: 'id', op: 'isnull', value: true });
    });

    it('keeps more related ids than one store `in` holds in memory only', async () => {
      const many = Array.from({ length: 150 }, (_, i) => rec(categories, `c-x${String(i).padStart(3, '0')}`, { code: `X${i}`, name: 'many' }));
      store.seed(ORG, categories, many);
      store.seed(ORG, products, [rec(products, 'p-x', { sku: 'X', name: 'x', price: '1', category: 'c-x149' })]);

      const compiled = await compile(cond('category.name', 'eq', 'many'));

      expect(compiled.storeFilter).toBeUndefined();
      expect(compiled.matches(store.all(ORG, products).find((r) => r.id === 'p-x')!)).toBe(true);
    });
  });

  describe('store filter', () => {
    it.each([
      [cond('sku', 'eq', 'A'), { field: 'sku', op: 'eq', value: 'A' }],
      [cond('supplier', 'ne', 's'), { field: 'supplier', op: 'ne', value: 's' }],
      [cond('price', 'between', [1, '2.5']), { field: 'price', op: 'between', value: ['1.00', '2.50'] }],
      [cond('status', 'in', ['draft', null]), { or: [{ field: 'status', op: 'isnull', value: true }, { field: 'status', op: 'in', value: ['draft'] }] }],
      [cond('status', 'in', []), { field: 'id', op: 'isnull', value: true }],
      [cond('status', 'not_in', ['draft']), { not: { field: 'status', op: 'in', value: ['draft'] } }],
      [cond('name', 'contains', 'x'), { field: 'name', op: 'contains', value: 'x' }],
      [cond('name', 'startswith', 'x'), { field: 'name', op: 'startswith', value: 'x' }],
      [cond('released_on', 'isnull', true), { field: 'released_on', op: 'isnull', value: true }],
      [cond('active', 'eq', true), { field: 'active', op: 'eq', value: true }],
      [{ or: [cond('sku', 'eq', 'A'), { not: cond('quantity', 'lt', 3) }] }, { or: [{ field: 'sku', op: 'eq', value: 'A' }, { not: { field: 'quantity', op: 'lt', value: 3 } }] }],
      // Partly expressible: an and keeps what the store can do, the rest runs in memory.
      [[cond('sku', 'eq', 'A'), cond('name', 'icontains', 'x')], { field: 'sku', op: 'eq', value: 'A' }],
      [{ or: [{ and: [cond('sku', 'eq', 'A'), cond('name', 'endswith', 'x')] }, cond('quantity', 'eq', 1)] }, { or: [{ field: 'sku', op: 'eq', value: 'A' }, { field: 'quantity', op: 'eq', value: 1 }] }],
    ])('%j → %j', async (json, expected) => {
      expect((await compile(json)).storeFilter).toEqual(expected);
    });

    it.each([
      ['case-insensitive', cond('name', 'icontains', 'x')],
      ['endswith', cond('name', 'endswith', 'x')],
      ['many-to-many set operations', cond('tags', 'any', ['t-red'])],
      ['an or with one branch the store cannot do', { or: [cond('sku', 'eq', 'A'), cond('name', 'istartswith', 'x')] }],
      ['a not over a partial and', { not: { and: [cond('sku', 'eq', 'A'), cond('name', 'endswith', 'x')] } }],
      ['a decimal beyond 38 digits', cond('price', 'lt', `1.${'0'.repeat(40)}1`)],
      ['an in list longer than 100 values', cond('sku', 'in', Array.from({ length: 101 }, (_, i) => `s${i}`))],
    ])('stays in memory: %s', async (_name, json) => {
      expect((await compile(json)).storeFilter).toBeUndefined();
    });

    it('keeps json conditions in memory', async () => {
      const tree = parseFilterTree({ field: 'extra', op: 'eq', value: { a: 1 } }, widgets, fixtureRegistry);

      const compiled = await compileFilter(tree, { org: ORG, store, registry: fixtureRegistry });

      expect(compiled.storeFilter).toBeUndefined();
      expect(compiled.matches(rec(widgets, 'w', { extra: { a: 1 } }))).toBe(true);
      expect(compiled.matches(rec(widgets, 'w', { extra: { a: 2 } }))).toBe(false);
    });

    it('keeps the store filter within the limits every adapter accepts, dropping parts of an and', async () => {
      const conditions = Array.from({ length: 60 }, (_, i) => cond('sku', 'ne', `s${i}`));

      const compiled = await compile(conditions);

      expect(compiled.storeFilter).toEqual({ and: conditions.slice(0, 40).map((c) => ({ field: 'sku', op: 'ne', value: c.value })) });
      expect(compiled.matches(productRecords[0]!)).toBe(true);
    });

    it('drops an or that is too large as a whole', async () => {
      const compiled = await compile({ or: Array.from({ length: 41 }, (_, i) => cond('sku', 'eq', `s${i}`)) });

      expect(compiled.storeFilter).toBeUndefined();
    });
  });
});
