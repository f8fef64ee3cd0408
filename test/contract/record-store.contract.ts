import type { ModelDefinition, RecordValues, StoredRecord } from '../../layers/core/model/types';
import type { RecordStore, StoreFilter } from '../../layers/core/ports';
import { erpRegistry } from '../../layers/erp';

const products = erpRegistry.require('products');
const tags = erpRegistry.require('tags');

function record(model: ModelDefinition, id: string, values: RecordValues): StoredRecord {
  const full = Object.fromEntries(Object.values(model.fields).map((f) => [f.name, values[f.name] ?? (f.type === 'many_to_many' ? [] : null)]));
  return { id, values: full, meta: { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', created_by: 'alice', updated_by: 'alice', job_id: 'job-1' } };
}

async function scanAll(store: RecordStore, org: string, model: ModelDefinition, totalSegments = 1, filter?: StoreFilter): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  for (let segment = 0; segment < totalSegments; segment++) {
    for await (const page of store.scan(org, model, { segment, totalSegments, filter })) all.push(...page);
  }
  return all;
}

// Records for the store filter cases: every kind of value, nulls, and strings whose UTF-8 order
// differs from their UTF-16 order ('\uff5a' sorts before an emoji by code point, after it by unit).
const filtered = [
  record(products, 'p-1', { sku: 'A-1', name: 'Hammer', description: 'Steel head', price: '10.10', quantity: 5, active: true, status: 'active', category: 'c-1', supplier: 's-1', released_on: '2024-01-15', weight_kg: '1.500', tags: ['t-1'] }),
  record(products, 'p-2', { sku: 'B-2', name: 'hammer drill', price: '9.99', quantity: 0, active: false, status: 'draft', category: 'c-2' }),
  record(products, 'p-3', { sku: 'C-3', name: 'Ångström ruler', price: '100.00', active: true, status: 'discontinued', category: 'c-1', supplier: 's-2', released_on: '2023-12-31', weight_kg: '0.250' }),
  record(products, 'p-4', { sku: 'D-4', name: '\u{1f600} mug', price: '-0.50', quantity: 12, status: 'active', category: 'c-3', supplier: 's-1', released_on: '2024-02-29' }),
  record(products, 'p-5', { sku: 'E-5', name: '\uff5aebra', price: '0.00', quantity: -3, active: false, category: 'c-3' }),
];
const ALL = ['p-1', 'p-2', 'p-3', 'p-4', 'p-5'];
const but = (...ids: string[]) => ALL.filter((id) => !ids.includes(id));

const STORE_FILTER_CASES: ReadonlyArray<[string, StoreFilter, string[]]> = [
  ['eq on a string', { field: 'sku', op: 'eq', value: 'A-1' }, ['p-1']],
  ['eq on id', { field: 'id', op: 'eq', value: 'p-3' }, ['p-3']],
  ['eq on a decimal compares numbers', { field: 'price', op: 'eq', value: '10.1' }, ['p-1']],
  ['eq on a boolean', { field: 'active', op: 'eq', value: false }, ['p-2', 'p-5']],
  ['eq on a foreign key', { field: 'category', op: 'eq', value: 'c-1' }, ['p-1', 'p-3']],
  ['ne holds for records without a value', { field: 'supplier', op: 'ne', value: 's-1' }, ['p-2', 'p-3', 'p-5']],
  ['ne on a boolean holds for null', { field: 'active', op: 'ne', value: true }, ['p-2', 'p-4', 'p-5']],
  ['lt on a date skips nulls', { field: 'released_on', op: 'lt', value: '2024-01-31' }, ['p-1', 'p-3']],
  ['not lt holds for nulls', { not: { field: 'released_on', op: 'lt', value: '2024-01-31' } }, ['p-2', 'p-4', 'p-5']],
  ['lte on an integer', { field: 'quantity', op: 'lte', value: 0 }, ['p-2', 'p-5']],
  ['gt on a decimal, negative values', { field: 'price', op: 'gt', value: '-0.5' }, ['p-1', 'p-2', 'p-3', 'p-5']],
  ['gte on a decimal with another scale', { field: 'weight_kg', op: 'gte', value: '0.25' }, ['p-1', 'p-3']],
  ['between is inclusive', { field: 'price', op: 'between', value: ['9.99', '10.10'] }, ['p-1', 'p-2']],
  ['between with low above high selects nothing', { field: 'price', op: 'between', value: ['10', '1'] }, []],
  ['in on a choice', { field: 'status', op: 'in', value: ['draft', 'discontinued'] }, ['p-2', 'p-3']],
  ['in on decimals', { field: 'price', op: 'in', value: ['100', '0', '7'] }, ['p-3', 'p-5']],
  ['not in holds for nulls', { not: { field: 'supplier', op: 'in', value: ['s-1'] } }, ['p-2', 'p-3', 'p-5']],
  ['contains is case-sensitive', { field: 'name', op: 'contains', value: 'ammer' }, ['p-1', 'p-2']],
  ['contains with non-ASCII text', { field: 'name', op: 'contains', value: 'ström' }, ['p-3']],
  ['not contains holds for nulls', { not: { field: 'description', op: 'contains', value: 'Steel' } }, but('p-1')],
  ['startswith', { field: 'name', op: 'startswith', value: 'H' }, ['p-1']],
  ['isnull true', { field: 'released_on', op: 'isnull', value: true }, ['p-2', 'p-5']],
  ['isnull false', { field: 'supplier', op: 'isnull', value: false }, ['p-1', 'p-3', 'p-4']],
  ['strings compare by UTF-8 bytes', { field: 'name', op: 'lt', value: '\u{1f600}' }, ['p-1', 'p-2', 'p-3', 'p-5']],
  ['gt above the BMP', { field: 'name', op: 'gt', value: '\uff5a' }, ['p-4', 'p-5']],
  ['and', { and: [{ field: 'active', op: 'eq', value: true }, { field: 'quantity', op: 'gt', value: 1 }] }, ['p-1']],
  ['or', { or: [{ field: 'sku', op: 'eq', value: 'A-1' }, { field: 'status', op: 'isnull', value: true }] }, ['p-1', 'p-5']],
  ['not of an or', { not: { or: [{ field: 'active', op: 'eq', value: true }, { field: 'quantity', op: 'lt', value: 0 }] } }, ['p-2', 'p-4']],
  ['empty and selects everything', { and: [] }, ALL],
  ['empty or selects nothing', { or: [] }, []],
  ['isnull on id selects nothing', { field: 'id', op: 'isnull', value: true }, []],
];

/** The behaviour every RecordStore adapter must have. */
export function recordStoreContract(name: string, create: () => Promise<RecordStore>): void {
  describe(`RecordStore contract: ${name}`, () => {
    let store: RecordStore;
    let org: string;
    beforeEach(async () => {
      store = await create();
      org = `org${Math.random().toString(36).slice(2, 10)}`;
    });

    it('returns written records by id with every value type intact', async () => {
      const written = record(products, 'p-1', {
        sku: 'SKU-1', name: 'Müller Łódź 東京', price: '12.50', weight_kg: '0.125', quantity: 7, active: true,
        status: 'active', category: 'cat-1', tags: ['t-1', 't-2'], released_on: '2024-02-29',
      });

      await store.write(org, products, [{ record: written }]);
      const found = await store.getByIds(org, products, ['p-1', 'missing']);

      expect([...found.keys()]).toEqual(['p-1']);
      expect(found.get('p-1')).toEqual(written);
    });

    it('keeps decimals exact, including values binary floats cannot hold', async () => {
      const values = ['0.10', '0.30', '9999999999.99', '-0.01', '0.00'];
      await store.write(org, products, values.map((price, i) => ({ record: record(products, `p-${i}`, { sku: `S${i}`, name: 'n', price, category: 'c' }) })));

      const found = await store.getByIds(org, products, values.map((_, i) => `p-${i}`));

      expect(values.map((_, i) => found.get(`p-${i}`)?.values.price)).toEqual(values);
    });

    it('scopes records to their organization', async () => {
      await store.write(org, tags, [{ record: record(tags, 't-1', { name: 'red' }) }]);

      expect((await store.getByIds(`${org}x`, tags, ['t-1'])).size).toBe(0);
      expect((await store.findByUnique(`${org}x`, tags, 'name', ['red'])).size).toBe(0);
      expect(await scanAll(store, `${org}x`, tags)).toEqual([]);
    });

    it('finds which record holds a unique value and releases the old value on update', async () => {
      const before = record(tags, 't-1', { name: 'red' });
      await store.write(org, tags, [{ record: before }]);
      expect(await store.findByUnique(org, tags, 'name', ['red', 'blue'])).toEqual(new Map([['red', 't-1']]));

      await store.write(org, tags, [{ record: record(tags, 't-1', { name: 'blue' }), previous: before }]);

      expect(await store.findByUnique(org, tags, 'name', ['red', 'blue'])).toEqual(new Map([['blue', 't-1']]));
    });

    it('is idempotent: writing the same records twice leaves one copy', async () => {
      const writes = [{ record: record(tags, 't-1', { name: 'red' }) }, { record: record(tags, 't-2', { name: 'green' }) }];

      await store.write(org, tags, writes);
      await store.write(org, tags, writes);

      expect((await scanAll(store, org, tags)).map((r) => r.id).sort()).toEqual(['t-1', 't-2']);
    });

    it.each(STORE_FILTER_CASES)('scan with a store filter: %s', async (_name, filter, expected) => {
      await store.write(org, products, filtered.map((r) => ({ record: r })));

      const found = await scanAll(store, org, products, 2, filter);

      expect(found.map((r) => r.id).sort()).toEqual(expected);
      expect(found).toEqual(expect.arrayContaining(filtered.filter((r) => expected.includes(r.id))));
    });

    it('scans with a store filter across many pages and segments', async () => {
      await store.write(org, tags, Array.from({ length: 230 }, (_, i) => ({ record: record(tags, `t-${i}`, { name: `tag ${String(i).padStart(3, '0')}` }) })));

      const found = await scanAll(store, org, tags, 3, { field: 'name', op: 'gte', value: 'tag 200' });

      expect(found.map((r) => r.id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `t-${200 + i}`).sort());
    });

    it('splits a scan into disjoint segments that cover every record', async () => {
      const writes = Array.from({ length: 230 }, (_, i) => ({ record: record(tags, `t-${i}`, { name: `tag ${i}` }) }));
      await store.write(org, tags, writes);

      const segments = await Promise.all([0, 1, 2].map(async (segment) => {
        const ids: string[] = [];
        for await (const page of store.scan(org, tags, { segment, totalSegments: 3 })) ids.push(...page.map((r) => r.id));
        return ids;
      }));

      const all = segments.flat();
      expect(all).toHaveLength(230);
      expect(new Set(all).size).toBe(230);
      expect(segments.every((ids) => ids.length > 0)).toBe(true);
    });
  });
}
