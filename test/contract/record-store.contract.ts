import type { ModelDefinition, RecordValues, StoredRecord } from '../../layers/core/model/types';
import type { RecordStore } from '../../layers/core/ports';
import { erpRegistry } from '../../layers/erp';

const products = erpRegistry.require('products');
const tags = erpRegistry.require('tags');

function record(model: ModelDefinition, id: string, values: RecordValues): StoredRecord {
  const full = Object.fromEntries(Object.values(model.fields).map((f) => [f.name, values[f.name] ?? (f.type === 'many_to_many' ? [] : null)]));
  return { id, values: full, meta: { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', created_by: 'alice', updated_by: 'alice', job_id: 'job-1' } };
}

async function scanAll(store: RecordStore, org: string, model: ModelDefinition, totalSegments = 1): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  for (let segment = 0; segment < totalSegments; segment++) {
    for await (const page of store.scan(org, model, { segment, totalSegments })) all.push(...page);
  }
  return all;
}

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
